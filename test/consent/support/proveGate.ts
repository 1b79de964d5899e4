import { expect } from "vitest";
import type { Actor } from "../../../src/auth/Actor.ts";
import { type ConsentView, consentView, dependentsNamed } from "../../../src/consent/consentView.ts";
import { storedReferences } from "../../../src/consent/storedReferences.ts";
import type { AccessGuard } from "../../../src/fhir/engine/AccessGuard.ts";
import { compartmentOf } from "../../../src/fhir/resource/compartmentOf.ts";
import { KNOWN_DEVIATIONS } from "./deviations.ts";
import { callerOf } from "./callers.ts";
import { proofEngine, type StoreDeps } from "./consentEngine.ts";
import { memorySource } from "./memorySource.ts";
import { keyOf, Oracle } from "./oracle.ts";
import { cases } from "./readPaths.ts";
import { renderWorld, type WorldSpec } from "./world.ts";

type Json = Record<string, unknown>;

/** A guard that is nothing but a consent view: the SQL gate on searches, the in-memory decision on reads. */
function gateOnly(views: Map<Actor, ConsentView>): AccessGuard {
  const view = (actor: Actor) => {
    const v = views.get(actor);
    if (v === undefined) throw new Error("no view for this caller");
    return v;
  };
  return {
    check() {},
    searchPolicy: (actor) => ({ rules: [{ types: "*", filters: [] }], gate: view(actor).expr }),
    permits: (actor, letter, resource, compartment) =>
      view(actor).decide(resource, compartment, letter === "r" || letter === "s" ? "access" : "correct"),
    unrestricted: () => false,
  };
}

const TYPES = [
  "Patient",
  "Observation",
  "Condition",
  "Encounter",
  "MedicationRequest",
  "DocumentReference",
  "Consent",
  "CareTeam",
];

/**
 * For every practitioner of a world, the view's expression run as SQL by the index and the
 * same view's decision in memory select the same resources, and both are the oracle's.
 */
export async function proveGate(spec: WorldSpec): Promise<void> {
  const world = renderWorld(spec);
  const views = new Map<Actor, ConsentView>();
  const source = memorySource(() => world.resources as Json[]);
  let store: StoreDeps | undefined;
  const e = await proofEngine((deps) => {
    store = deps;
    return gateOnly(views);
  });
  try {
    await e.put(world.resources);
    for (const [i, c] of spec.callers.entries()) {
      if (c.kind !== "practitioner") continue;
      const { actor, model } = callerOf(c, i);
      const got = await source.consentsFor(actor);
      // `dependents` resolved as consentAccess resolves them (the references the named resources hold)
      const lookup = storedReferences(store!);
      const named = dependentsNamed(got.consents);
      const dependents = new Map(await Promise.all(named.map(async (ref) => [ref, await lookup(ref)] as const)));
      views.set(
        actor,
        consentView(got.consents, got.accessor, {
          defaultDecision: spec.defaultDecision,
          ...(named.length === 0 ? {} : { dependents }),
        }),
      );
      const oracle = new Oracle(
        world.resources,
        { ...model, scopes: "user/*.rs" },
        {
          defaultDecision: spec.defaultDecision,
          bindsClients: spec.bindsClients,
          now: Date.now(),
          ...KNOWN_DEVIATIONS,
        },
      );
      for (const type of TYPES) {
        cases.count++;
        const page = await e.call(actor, "GET", `${type}?_count=100`);
        const sql = ((page.resource?.entry ?? []) as { resource: Json }[])
          .map((x) => keyOf(x.resource as never))
          .sort();
        const inMemory = world.resources
          .filter((r) => r.resourceType === type)
          .filter((r) => views.get(actor)!.decide(r, compartmentOf(r), "access"))
          .map((r) => keyOf(r))
          .sort();
        const expected = world.resources
          .filter((r) => r.resourceType === type && oracle.consentAllows(r as Json, "access"))
          .map((r) => keyOf(r))
          .sort();
        expect(sql, `${c.who}: ${type} SQL gate vs decide`).toEqual(inMemory);
        expect(inMemory, `${c.who}: ${type} decide vs oracle`).toEqual(expected);
      }
    }
  } finally {
    await e.close();
  }
}
