import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { smartAccess } from "../../src/policy/smartAccess.ts";
import { callerOf, describeCaller } from "./support/callers.ts";
import { proofEngine } from "./support/consentEngine.ts";
import { Oracle } from "./support/oracle.ts";
import { checkReadPaths } from "./support/readPaths.ts";
import { renderWorld, type WorldSpec, worldArb } from "./support/world.ts";

/*
 * The proof's own checks, checked: on the server without consent (scopes ∩ role only) they
 * agree with an oracle told consent is off, and the consent oracle finds that server leaking.
 */

async function runWorld(spec: WorldSpec, enforce: boolean): Promise<void> {
  const world = renderWorld(spec);
  const e = await proofEngine(() => smartAccess());
  try {
    await e.put(world.resources);
    for (const [i, c] of spec.callers.entries()) {
      const { actor, model } = callerOf(c, i);
      const oracle = new Oracle(world.resources, model, {
        defaultDecision: spec.defaultDecision,
        bindsClients: spec.bindsClients,
        now: Date.now(),
        enforce,
      });
      await checkReadPaths(e, actor, oracle, describeCaller(c));
    }
  } finally {
    await e.close();
  }
}

describe("the read-path checks", () => {
  it("agree with the scopes-only server when the oracle enforces no consent", async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, (spec) => runWorld(spec, false)),
      { numRuns: 2 },
    );
  });

  it("find the scopes-only server leaking what consent hides", async () => {
    // opt-in and a practitioner reading: the compartments it may not see are there to be found
    const leaky = worldArb.map((spec) => ({
      ...spec,
      defaultDecision: "deny" as const,
      consents: [],
      callers: [{ kind: "practitioner" as const, who: "dr1", scopes: "user/*.rs", purpose: "TREAT" }],
    }));
    const result = await fc.check(
      fc.asyncProperty(leaky, (spec) => runWorld(spec, true)),
      { numRuns: 1, endOnFailure: true },
    );
    expect(result.failed).toBe(true);
    expect(String((result.errorInstance as Error).message)).toMatch(/hidden answers as absent|search/);
  });
});
