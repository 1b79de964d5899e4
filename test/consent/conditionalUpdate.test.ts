import { afterEach, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/Actor.ts";
import { consentGuard } from "./support/consentGuard.ts";
import { type ProofEngine, proofEngine } from "./support/consentEngine.ts";
import { memorySource } from "./support/memorySource.ts";
import { SYS } from "./support/vocab.ts";
import type { WorldSpec } from "./support/world.ts";

/* A conditional update's 200 / 201 / 412 counts only the matches the caller may update: a hidden one changes nothing. */

type Json = Record<string, unknown>;

const spec = { defaultDecision: "deny", bindsClients: "*" } as WorldSpec;
const obs = (id: string, patient: string): Json => ({
  resourceType: "Observation",
  id,
  status: "final",
  identifier: [{ system: SYS.group, value: "g" }],
  code: { coding: [{ system: SYS.loinc, code: "1111-1" }] },
  subject: { reference: `Patient/${patient}` },
});
const permit = (patient: string): Json => ({
  resourceType: "Consent",
  id: `c-${patient}`,
  status: "active",
  scope: { coding: [{ system: SYS.scope, code: "patient-privacy" }] },
  category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
  patient: { reference: `Patient/${patient}` },
  provision: { actor: [{ reference: { reference: "Practitioner/dr1" } }] },
});
const dr1: Actor = { id: "dr1", role: "practitioner", fhirUser: "Practitioner/dr1", scopes: ["user/*.cruds"] };
const body = { ...obs("x", "p1"), id: undefined };

describe("conditional update under consent", () => {
  let e: ProofEngine | undefined;
  afterEach(async () => {
    await e?.close();
    e = undefined;
  });

  const put = async (resources: Json[]) => {
    e = await proofEngine((deps) =>
      consentGuard(
        memorySource(() => resources),
        spec,
        deps,
      ),
    );
    await e.put(resources as never);
    const { id: _id, ...rest } = body;
    return (await e.call(dr1, "PUT", `Observation?identifier=${encodeURIComponent(`${SYS.group}|g`)}`, { body: rest }))
      .status;
  };
  const base = [{ resourceType: "Patient", id: "p1" }, { resourceType: "Patient", id: "p2" }, permit("p1")];

  it("updates the one match it may update, a hidden second match notwithstanding (200, not 412)", async () => {
    expect(await put([...base, obs("a", "p1"), obs("h", "p2")])).toBe(200);
  });

  it("creates when the only match is hidden (201, not 200)", async () => {
    expect(await put([...base, obs("h", "p2")])).toBe(201);
  });

  it("answers 412 when two matches may be updated", async () => {
    expect(await put([...base, obs("a", "p1"), obs("b", "p1")])).toBe(412);
  });
});
