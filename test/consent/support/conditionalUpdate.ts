import { expect } from "vitest";
import type { Actor } from "../../../src/auth/Actor.ts";
import type { ProofEngine } from "./consentEngine.ts";
import { keyOf, type Oracle } from "./oracle.ts";
import { cases } from "./readPaths.ts";
import { SYS, split } from "./vocab.ts";
import type { WriteSpec } from "./world.ts";

type Json = Record<string, unknown>;

/** How often each status answered a conditional update over the run (each kind must occur for the check to mean much). */
export const writeOutcomes: Record<number, number> = {};

/**
 * `PUT Observation?identifier=…`: the outcome depends on the matches the caller may update
 * only (none: create, one: update, several: 412), so 200 against 412 against 201 never tells
 * of a match it may not see. Returns the world after the write, as the server now holds it.
 */
export async function checkConditionalUpdate(
  e: ProofEngine,
  actor: Actor,
  oracle: Oracle,
  write: WriteSpec,
  identifier: { system: string; value: string },
  who: string,
): Promise<Json[]> {
  const world = [...oracle.world];
  const body: Json = {
    resourceType: "Observation",
    ...(write.label ? { meta: { security: [split(write.label)] } } : {}),
    identifier: [identifier],
    status: "final",
    category: [{ coding: [{ system: SYS.category, code: "laboratory" }] }],
    code: { coding: [split(write.code)] },
    subject: { reference: `Patient/${write.patient}` },
  };
  const mine = world.filter(
    (r) =>
      r.resourceType === "Observation" &&
      ((r.identifier ?? []) as Json[]).some((i) => i.system === identifier.system && i.value === identifier.value) &&
      oracle.allows("u", r),
  );
  cases.count++;
  const got = await e.call(
    actor,
    "PUT",
    `Observation?identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`,
    {
      body,
    },
  );
  writeOutcomes[got.status] = (writeOutcomes[got.status] ?? 0) + 1;
  const at = `${who}: PUT Observation?identifier=${identifier.value} (${mine.length} updatable matches)`;
  if (mine.length > 1) expect(got.status, at).toBe(412);
  else if (mine.length === 1) {
    const target = mine[0]!;
    const next = { ...body, id: target.id };
    expect(got.status, at).toBe(oracle.allows("u", next) ? 200 : 403);
  } else expect(got.status, at).toBe(oracle.allows("c", { ...body, id: "new" }) ? 201 : 403);
  if (got.status === 200 || got.status === 201) {
    const written = got.resource as Json;
    const key = keyOf(written as never);
    const at = world.findIndex((r) => keyOf(r as never) === key);
    if (at >= 0) world[at] = written;
    else world.push(written);
  }
  return world;
}
