import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { smartAccess } from "../../src/policy/smartAccess.ts";
import { proveVersions } from "./support/proveVersions.ts";
import { proveWorld } from "./support/proveWorld.ts";
import { type ClinicalSpec, worldArb } from "./support/world.ts";
import { clinicalArb, versionArb } from "./support/world.ts";

/*
 * The proof's own checks, checked: on the server without consent (scopes ∩ role only) they
 * agree with an oracle told consent is off, and the consent oracle finds that server leaking.
 */

const scopesOnly = () => smartAccess();

describe("the proof's checks", () => {
  it("agree with the scopes-only server when the oracle enforces no consent (reads, twins, conditional updates)", async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.array(clinicalArb, { minLength: 1, maxLength: 3 }), (spec, twin: ClinicalSpec[]) =>
        proveWorld(spec, { guard: scopesOnly, enforce: false, twin }),
      ),
      { numRuns: 3 },
    );
  });

  it("agree with the scopes-only server on every version in history", async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.array(versionArb, { minLength: 1, maxLength: 4 }), (spec, changes) =>
        proveVersions(spec, changes, scopesOnly, false),
      ),
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
      fc.asyncProperty(leaky, (spec) => proveWorld(spec, { guard: scopesOnly })),
      { numRuns: 1, endOnFailure: true },
    );
    expect(result.failed).toBe(true);
    expect(String((result.errorInstance as Error).message)).toMatch(/hidden answers as absent|search/);
  });
});
