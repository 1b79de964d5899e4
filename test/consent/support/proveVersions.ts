import { expect } from "vitest";
import type { AccessGuard } from "../../../src/fhir/engine/AccessGuard.ts";
import { KNOWN_DEVIATIONS } from "./deviations.ts";
import { callerOf, describeCaller } from "./callers.ts";
import { proofEngine, type StoreDeps } from "./consentEngine.ts";
import type { ConsentSourceLike } from "./memorySource.ts";
import { memorySource } from "./memorySource.ts";
import { keyOf, Oracle } from "./oracle.ts";
import { cases } from "./readPaths.ts";
import { split } from "./vocab.ts";
import { renderWorld, type WorldSpec } from "./world.ts";

type Json = Record<string, unknown>;

/** A second version of clinical resource `clinical`: its security label and code changed, its compartment kept. */
export interface VersionSpec {
  clinical: number;
  label: string | null;
  code: string;
}

interface Entry {
  resource?: { resourceType: string; id: string; meta?: { versionId?: string } };
}

/**
 * History at every level decides each version on that version's content: a label added in
 * version 2 hides version 2, and a label removed in version 2 does not show version 1. An
 * older version the caller may see but the server keeps back is not a leak, and is allowed.
 */
export async function proveVersions(
  spec: WorldSpec,
  changes: readonly VersionSpec[],
  guard: (source: ConsentSourceLike, spec: WorldSpec, deps: StoreDeps) => AccessGuard,
  enforce = true,
): Promise<void> {
  const world = renderWorld(spec);
  const v1 = new Map<string, Json>();
  const v2 = new Map<string, Json>();
  for (const c of changes) {
    const i = c.clinical % spec.clinical.length;
    const r = world.resources[world.resources.length - spec.consents.length - spec.clinical.length + i]! as Json;
    const key = keyOf(r as never);
    if (v2.has(key)) continue;
    const { meta: _meta, ...rest } = r;
    const next: Json = { ...rest, ...(c.label ? { meta: { security: [split(c.label)] } } : {}) };
    if (r.resourceType === "MedicationRequest") next.medicationCodeableConcept = { coding: [split(c.code)] };
    else if ("code" in r) next.code = { coding: [split(c.code)] };
    v1.set(key, r);
    v2.set(key, next);
  }
  const current = world.resources.map((r) => v2.get(keyOf(r as never)) ?? (r as Json));
  const e = await proofEngine((deps) =>
    guard(
      memorySource(() => current),
      spec,
      deps,
    ),
  );
  try {
    await e.put(world.resources);
    await e.put([...v2.values()] as never);
    for (const [n, c] of spec.callers.entries()) {
      const { actor, model } = callerOf(c, n);
      const oracle = new Oracle(current, model, {
        defaultDecision: spec.defaultDecision,
        bindsClients: spec.bindsClients,
        now: Date.now(),
        enforce,
        ...KNOWN_DEVIATIONS,
      });
      const who = describeCaller(c);
      for (const [key, first] of v1) {
        const type = key.split("/")[0]!;
        if (!oracle.typeGranted("r", type)) continue;
        const allowed = [oracle.allows("r", first), oracle.allows("r", v2.get(key)!)];
        for (const version of [1, 2]) {
          cases.count++;
          const got = await e.call(actor, "GET", `${key}/_history/${version}`);
          // a version it may not see is never shown; the current one, when allowed, always is
          if (!allowed[version - 1] || version === 2)
            expect(got.status, `${who}: ${key}/_history/${version}`).toBe(allowed[version - 1] ? 200 : 404);
        }
        cases.count++;
        const history = await e.call(actor, "GET", `${key}/_history`);
        const shown = ((history.resource?.entry ?? []) as Entry[])
          .map((x) => Number(x.resource?.meta?.versionId))
          .sort();
        const wanted = [1, 2].filter((v) => allowed[v - 1]);
        if (history.status === 200) {
          for (const v of shown) expect(wanted, `${who}: ${key}/_history shows version ${v}`).toContain(v);
          if (allowed[1]) expect(shown, `${who}: ${key}/_history`).toContain(2);
        }
        // or, its current version hidden, as an unknown resource (keeping back an older one is no leak)
        else expect(allowed[1], `${who}: ${key}/_history answered ${history.status}`).toBe(false);
        if (!oracle.typeGranted("s", type)) continue;
        cases.count++;
        const typeHistory = await e.call(actor, "GET", `${type}/_history?_count=500`);
        const versions = ((typeHistory.resource?.entry ?? []) as Entry[])
          .filter((x) => x.resource !== undefined && keyOf(x.resource) === key)
          .map((x) => Number(x.resource?.meta?.versionId))
          .sort();
        for (const v of versions) expect(wanted, `${who}: ${type}/_history shows ${key} version ${v}`).toContain(v);
        if (allowed[1]) expect(versions, `${who}: ${type}/_history`).toContain(2);
      }
    }
  } finally {
    await e.close();
  }
}
