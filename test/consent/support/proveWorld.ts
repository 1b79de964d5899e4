import { expect } from "vitest";
import type { Actor } from "../../../src/auth/Actor.ts";
import type { AccessGuard } from "../../../src/fhir/engine/AccessGuard.ts";
import { KNOWN_DEVIATIONS, KNOWN_LEAKS } from "./deviations.ts";
import { callerOf, describeCaller } from "./callers.ts";
import { checkConditionalUpdate } from "./conditionalUpdate.ts";
import { type ProofEngine, proofEngine, type StoreDeps } from "./consentEngine.ts";
import type { ConsentSourceLike } from "./memorySource.ts";
import { memorySource } from "./memorySource.ts";
import { compartmentOfWorld, keyOf, Oracle, type OracleOptions } from "./oracle.ts";
import { cases, checkReadPaths, checkSearches } from "./readPaths.ts";
import { normalised, twinExtras } from "./twins.ts";
import { CODES, LABELS, PATIENTS, SYS } from "./vocab.ts";
import { type ClinicalSpec, clinicalKey, renderWorld, type WorldSpec } from "./world.ts";

type Json = Record<string, unknown>;

export interface ProveOptions {
  /** The access guard under test, reading consents from `source`. */
  guard: (source: ConsentSourceLike, spec: WorldSpec, deps: StoreDeps) => AccessGuard;
  /** false: the oracle enforces no consent (the server before issue 18) */
  enforce?: boolean;
  /** extra resources for a twin world; compared for every caller they stay hidden from */
  twin?: readonly ClinicalSpec[];
  /** oracle options over the known deviations (regression tests state the spec with `{}`) */
  deviations?: Partial<OracleOptions>;
}

/** Counts of what the run compared, for the end-of-file assertion. */
export const twinsCompared = { callers: 0 };
/** Bound callers for whom consent hid part of the compartments and showed part: the cases that test consent. */
export const mixedCallers = { count: 0 };

/**
 * Loads one generated world into a real engine, checks every read path for every caller
 * against the oracle, compares it with its twin (same world plus resources the caller may not
 * see) answer by answer, then runs the conditional updates.
 */
export async function proveWorld(spec: WorldSpec, options: ProveOptions): Promise<void> {
  const world = renderWorld(spec);
  let current: Json[] = [...world.resources];
  const engines: ProofEngine[] = [];
  try {
    const e = await proofEngine((deps) =>
      options.guard(
        memorySource(() => current),
        spec,
        deps,
      ),
    );
    engines.push(e);
    await e.put(world.resources);
    const extras = options.twin && options.twin.length > 0 ? twinExtras(spec, options.twin) : [];
    const twinWorld: Json[] = [...world.resources, ...extras];
    let twin: ProofEngine | undefined;
    if (extras.length > 0) {
      twin = await proofEngine((deps) =>
        options.guard(
          memorySource(() => twinWorld),
          spec,
          deps,
        ),
      );
      engines.push(twin);
      await twin.put(world.resources);
      await twin.put(extras);
    }
    const oracleOf = (resources: readonly Json[], c: (typeof spec.callers)[number], i: number) =>
      new Oracle(resources, callerOf(c, i).model, {
        defaultDecision: spec.defaultDecision,
        bindsClients: spec.bindsClients,
        now: Date.now(),
        enforce: options.enforce ?? true,
        ...(options.deviations ?? KNOWN_DEVIATIONS),
      });

    // one actor object per caller for the whole world: the same token before and after a revocation
    const actors = spec.callers.map((c, i) => callerOf(c, i).actor);
    for (const [i, c] of spec.callers.entries()) {
      const actor = actors[i]!;
      const oracle = oracleOf(current, c, i);
      const inCompartments = current.filter((r) => compartmentOfWorld(r) !== null);
      const shown = inCompartments.filter((r) => oracle.consentAllows(r, "access")).length;
      if (shown > 0 && shown < inCompartments.length) mixedCallers.count++;
      await checkReadPaths(e, actor, oracle, describeCaller(c));
      if (twin !== undefined) {
        const other = oracleOf(twinWorld, c, i);
        if (sameSets(oracle.visible("s"), other.visible("s")) && sameSets(oracle.visible("r"), other.visible("r"))) {
          twinsCompared.callers++;
          await compareTwins(e, twin, actor, [...world.resources, ...extras], describeCaller(c));
        }
      }
    }

    for (const [n, written] of spec.writes.entries()) {
      // every other write aims at a group (several matches: 412), the rest at one resource
      const w = n % 2 === 0 ? { ...written, target: null } : written;
      const writers = spec.callers.map((c, i) => ({ c, i })).filter(({ c }) => c.scopes.includes("cruds"));
      if (writers.length === 0) continue;
      const { c, i } = writers[w.caller % writers.length]!;
      const actor = actors[i]!;
      const identifier =
        w.target === null
          ? { system: SYS.group, value: w.group }
          : { system: "urn:proof:id", value: clinicalKey(spec, w.target % spec.clinical.length).split("/")[1]! };
      current = await checkConditionalUpdate(e, actor, oracleOf(current, c, i), w, identifier, describeCaller(c));
    }

    // the patient revokes an active consent; from the next request on, the same tokens see the world without it
    const revoked = current.find((r) => r.resourceType === "Consent" && r.status === "active");
    if (revoked !== undefined) {
      const patient = String((revoked.patient as Json).reference).split("/")[1]!;
      const owner: Actor = {
        id: `owner-${patient}`,
        role: "patient",
        patient,
        fhirUser: `Patient/${patient}`,
        scopes: ["patient/Consent.cruds"],
      };
      const { meta: _meta, ...body } = revoked;
      cases.count++;
      const put = await e.call(owner, "PUT", `Consent/${revoked.id}`, { body: { ...body, status: "inactive" } });
      expect(put.status, `the patient revokes Consent/${revoked.id}`).toBe(200);
      current = current.map((r) => (r === revoked ? (put.resource as Json) : r));
      for (const [i, c] of spec.callers.entries()) {
        if (c.kind !== "practitioner") continue;
        await checkSearches(
          e,
          actors[i]!,
          oracleOf(current, c, i),
          `${describeCaller(c)} after revoking Consent/${revoked.id}`,
        );
      }
    }
  } finally {
    for (const engine of engines) await engine.close();
  }
}

const sameSets = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/** Every read path asked of both worlds: the answers must be the same bytes. */
async function compareTwins(a: ProofEngine, b: ProofEngine, actor: Actor, all: readonly Json[], who: string) {
  const paths: string[] = [];
  for (const r of all) {
    const key = keyOf(r as never);
    paths.push(key, `${key}/_history/1`, `${key}/_history`);
  }
  for (const type of ["Patient", "Observation", "Condition", "Encounter", "MedicationRequest", "DocumentReference"]) {
    paths.push(`${type}?_count=100`, `${type}?_summary=count`, `${type}/_history?_count=100`);
  }
  paths.push("?_count=300", "_history?_count=300");
  for (const v of CODES) {
    const q = encodeURIComponent(v);
    paths.push(
      `Observation?code=${q}&_count=100`,
      `Condition?code=${q}&_count=100`,
      `Patient?_has:Observation:subject:code=${q}`,
      `Encounter?_has:Condition:encounter:code=${q}`,
      `Encounter?_has:Observation:encounter:code=${q}`,
    );
  }
  for (const v of LABELS)
    paths.push(`Patient?_security=${encodeURIComponent(v)}`, `Observation?_security=${encodeURIComponent(v)}`);
  paths.push(
    "Observation?subject:Patient.family=Ash",
    "Observation?encounter:Encounter.status=finished",
    "Patient?_revinclude=Observation:subject&_revinclude=Condition:subject&_revinclude=MedicationRequest:subject",
    "Encounter?_revinclude=Observation:encounter&_revinclude=Condition:encounter&_revinclude=DocumentReference:encounter",
    "Observation?_include=Observation:encounter&_include=Observation:has-member&_include=Observation:derived-from",
    "Condition?_include=Condition:evidence-detail&_include=Condition:encounter",
    "Encounter?_include=Encounter:reason-reference",
    "DocumentReference?_include=DocumentReference:related",
  );
  for (const p of PATIENTS) paths.push(`Patient/${p}/$everything?_count=300`);
  paths.push("Patient/$everything?_count=1000&_total=accurate");
  const granular = actor.scopes.some((s) => s.includes("?"));
  for (const path of paths) {
    if (KNOWN_LEAKS.everythingIncludesUnderGranularScopes && granular && path.includes("$everything")) continue;
    cases.count++;
    const [x, y] = [await a.call(actor, "GET", path), await b.call(actor, "GET", path)];
    expect(normalised(y), `${who}: twin worlds differ on GET ${path}`).toBe(normalised(x));
  }
}
