import { expect } from "vitest";
import type { Actor } from "../../../src/auth/Actor.ts";
import type { Answer, ProofEngine } from "./consentEngine.ts";
import { compartmentOfWorld, keyOf, type Oracle, referencesIn } from "./oracle.ts";
import { CODES, LABELS, PATIENTS } from "./vocab.ts";

type Json = Record<string, unknown>;

/** The number of request/answer pairs checked against the oracle, over the whole file's run. */
export const cases = { count: 0 };

const SEARCHED = [
  "Patient",
  "Observation",
  "Condition",
  "Encounter",
  "MedicationRequest",
  "DocumentReference",
  "Consent",
  "CareTeam",
  "Practitioner",
  "RelatedPerson",
];

interface Entry {
  resource?: { resourceType: string; id: string };
  search?: { mode?: string };
  response?: { status: string };
}

/** `Type/id` of a bundle's entries, matches and includes apart, sorted; OperationOutcomes left out. */
export function entries(bundle: Json | undefined): { match: string[]; include: string[] } {
  const out = { match: [] as string[], include: [] as string[] };
  for (const e of (bundle?.entry ?? []) as Entry[]) {
    if (e.resource === undefined || e.resource.resourceType === "OperationOutcome") continue;
    (e.search?.mode === "include" ? out.include : out.match).push(keyOf(e.resource));
  }
  out.match.sort();
  out.include.sort();
  return out;
}

const sorted = (keys: Iterable<string>) => [...keys].sort();

/** A refusal as a client sees it, the resource named in the message replaced so hidden and absent compare. */
function refusal(a: Answer, key: string): unknown {
  return { status: a.status, code: a.error?.code, message: a.error?.message.split(key).join("<key>") };
}

/** Type searches only (matches and totals): the quick look after the world changed. */
export async function checkSearches(e: ProofEngine, actor: Actor, oracle: Oracle, who: string): Promise<void> {
  const visible = oracle.visible("s");
  for (const type of SEARCHED) {
    if (!oracle.typeGranted("s", type)) continue;
    cases.count++;
    const page = await e.call(actor, "GET", `${type}?_count=100`);
    const expected = [...visible].filter((k) => k.startsWith(`${type}/`)).sort();
    expect(entries(page.resource).match, `${who}: ${type} search`).toEqual(expected);
    expect(page.resource?.total, `${who}: ${type} total`).toBe(expected.length);
  }
}

/**
 * Every read path for one caller over one loaded world, each answer compared with the oracle:
 * nothing outside the allowed set, totals equal the allowed count, hidden reads answer as absent.
 */
export async function checkReadPaths(e: ProofEngine, actor: Actor, oracle: Oracle, who: string): Promise<void> {
  const world = oracle.world;
  const visible = oracle.visible("s");
  const readable = oracle.visible("r");
  const at = (what: string) => `${who}: ${what}`;
  const call = async (path: string) => {
    cases.count++;
    return e.call(actor, "GET", path);
  };

  // read, vread, instance history: allowed → 200; hidden → exactly what an absent id answers
  for (const r of world) {
    const key = keyOf(r as { resourceType: string; id: unknown });
    const type = String(r.resourceType);
    const absentKey = `${type}/absent-${type.length}`;
    for (const suffix of ["", "/_history/1", "/_history"]) {
      const got = await call(`${key}${suffix}`);
      if (!oracle.typeGranted("r", type)) expect(got.status, at(`${key}${suffix} type not granted`)).toBe(403);
      else if (readable.has(key)) {
        expect(got.status, at(`${key}${suffix} allowed`)).toBe(200);
        if (suffix === "/_history") expect(entries(got.resource).match, at(`${key}${suffix}`)).toEqual([key]);
      } else {
        const absent = await call(`${absentKey}${suffix}`);
        expect(refusal(got, key), at(`${key}${suffix} hidden answers as absent`)).toEqual(refusal(absent, absentKey));
      }
    }
  }

  // type search: matches, Bundle.total, _summary=count; type history
  for (const type of SEARCHED) {
    const expected = sorted(
      world.filter((r) => r.resourceType === type && visible.has(keyOf(r as never))).map((r) => keyOf(r as never)),
    );
    const page = await call(`${type}?_count=100`);
    if (!oracle.typeGranted("s", type)) {
      expect(page.status, at(`${type} search not granted`)).toBe(403);
      continue;
    }
    expect(page.status, at(`${type} search`)).toBe(200);
    expect(entries(page.resource).match, at(`${type} search`)).toEqual(expected);
    expect(page.resource?.total, at(`${type} total`)).toBe(expected.length);
    const count = await call(`${type}?_summary=count`);
    expect(count.resource?.total, at(`${type}?_summary=count`)).toBe(expected.length);
    const history = await call(`${type}/_history?_count=100`);
    expect(sorted(new Set(entries(history.resource).match)), at(`${type}/_history`)).toEqual(expected);
    if (history.resource?.total !== undefined)
      expect(history.resource.total, at(`${type}/_history total`)).toBe(expected.length);
  }

  // paging through a gated search loses and repeats nothing
  if (oracle.typeGranted("s", "Observation")) {
    const expected = sorted(
      world
        .filter((r) => r.resourceType === "Observation" && visible.has(keyOf(r as never)))
        .map((r) => keyOf(r as never)),
    );
    const seen: string[] = [];
    let path: string | undefined = "Observation?_count=2";
    while (path !== undefined) {
      const page = await call(path);
      expect(page.resource?.total, at(path)).toBe(expected.length);
      seen.push(...entries(page.resource).match);
      const next = ((page.resource?.link ?? []) as { relation: string; url: string }[]).find(
        (l) => l.relation === "next",
      );
      path = next?.url.replace("http://fhir.test/", "");
    }
    expect(seen.sort(), at("Observation pages")).toEqual(expected);
  }

  // system search and system history over every type the scopes grant
  const systemTypes = SEARCHED.filter((t) => oracle.typeGranted("s", t));
  if (systemTypes.length > 0) {
    const expected = sorted([...visible].filter((k) => systemTypes.includes(k.split("/")[0]!)));
    const all = await call(`?_type=${systemTypes.join(",")}&_count=200`);
    expect(entries(all.resource).match, at("system search")).toEqual(expected);
    expect(all.resource?.total, at("system search total")).toBe(expected.length);
  }
  if (SEARCHED.every((t) => oracle.typeGranted("s", t))) {
    const history = await call("_history?_count=500");
    const shown = new Set(entries(history.resource).match);
    for (const key of shown) expect(visible.has(key) || !oracle.get(key), at(`_history shows ${key}`)).toBe(true);
    expect(
      sorted(shown).filter((k) => oracle.get(k)),
      at("_history"),
    ).toEqual(sorted(visible));
  }

  // filters on codes and labels: nothing hidden matches
  for (const [type, param] of [
    ["Observation", "code"],
    ["Condition", "code"],
    ["MedicationRequest", "code"],
    ["Observation", "_security"],
    ["Encounter", "_security"],
  ] as const) {
    if (!oracle.typeGranted("s", type)) continue;
    for (const value of param === "code" ? CODES : LABELS) {
      const [system, code] = [value.slice(0, value.lastIndexOf("|")), value.slice(value.lastIndexOf("|") + 1)];
      const has = (r: Json) => {
        const own =
          param === "_security"
            ? (((r.meta as Json | undefined)?.security ?? []) as Json[])
            : ((((type === "MedicationRequest" ? r.medicationCodeableConcept : r.code) as Json | undefined)?.coding ??
                []) as Json[]);
        return own.some((c) => c.system === system && c.code === code);
      };
      const expected = sorted(
        world
          .filter((r) => r.resourceType === type && visible.has(keyOf(r as never)) && has(r))
          .map((r) => keyOf(r as never)),
      );
      const page = await call(`${type}?${param}=${encodeURIComponent(value)}&_count=100`);
      expect(entries(page.resource).match, at(`${type}?${param}=${value}`)).toEqual(expected);
      expect(page.resource?.total, at(`${type}?${param}=${value} total`)).toBe(expected.length);
    }
  }

  // _include: only allowed targets of allowed matches
  if (oracle.typeGranted("s", "Observation")) {
    const page = await call(
      "Observation?_count=100&_include=Observation:subject&_include=Observation:encounter&_include=Observation:performer",
    );
    const { match, include } = entries(page.resource);
    const wanted = new Set<string>();
    for (const m of match) {
      const r = oracle.get(m)!;
      for (const field of ["subject", "encounter", "performer"]) {
        const v = r[field];
        for (const ref of referencesIn(v)) if (visible.has(ref) && !match.includes(ref)) wanted.add(ref);
      }
    }
    expect(include, at("Observation _include")).toEqual(sorted(wanted));
  }

  // _revinclude: only allowed sources pointing at allowed matches
  if (oracle.typeGranted("s", "Patient")) {
    const page = await call(
      "Patient?_count=100&_revinclude=Observation:subject&_revinclude=Consent:patient&_revinclude=CareTeam:subject",
    );
    const { match, include } = entries(page.resource);
    const wanted = world
      .filter(
        (r) =>
          ["Observation", "Consent", "CareTeam"].includes(String(r.resourceType)) && visible.has(keyOf(r as never)),
      )
      .filter((r) => {
        const field = r.resourceType === "Consent" ? "patient" : "subject";
        const ref = (r[field] as Json | undefined)?.reference;
        return typeof ref === "string" && match.includes(ref);
      })
      .map((r) => keyOf(r as never));
    expect(include, at("Patient _revinclude")).toEqual(sorted(wanted));
  }

  // chains: a filter on a hidden target never selects
  if (oracle.typeGranted("s", "Observation") && oracle.typeGranted("s", "Patient")) {
    for (const family of ["Ash", "Birch"]) {
      const expected = sorted(
        world
          .filter((r) => r.resourceType === "Observation" && visible.has(keyOf(r as never)))
          .filter((r) => {
            const target = oracle.get(String((r.subject as Json | undefined)?.reference));
            return (
              target !== undefined &&
              visible.has(keyOf(target as never)) &&
              ((target.name ?? []) as { family?: string }[]).some((n) => n.family === family)
            );
          })
          .map((r) => keyOf(r as never)),
      );
      const page = await call(`Observation?subject:Patient.family=${family}&_count=100`);
      expect(entries(page.resource).match, at(`chain family=${family}`)).toEqual(expected);
      expect(page.resource?.total, at(`chain family=${family} total`)).toBe(expected.length);
    }
  }
  if (oracle.typeGranted("s", "Observation") && oracle.typeGranted("s", "Encounter")) {
    const expected = sorted(
      world
        .filter((r) => r.resourceType === "Observation" && visible.has(keyOf(r as never)))
        .filter((r) => {
          const target = oracle.get(String((r.encounter as Json | undefined)?.reference));
          return target !== undefined && visible.has(keyOf(target as never)) && target.status === "finished";
        })
        .map((r) => keyOf(r as never)),
    );
    const page = await call("Observation?encounter:Encounter.status=finished&_count=100");
    expect(entries(page.resource).match, at("chain encounter.status")).toEqual(expected);
  }

  // _has: a hidden referrer never makes a target match
  if (oracle.typeGranted("s", "Patient") && oracle.typeGranted("s", "Observation")) {
    for (const value of CODES) {
      const [system, code] = [value.slice(0, value.lastIndexOf("|")), value.slice(value.lastIndexOf("|") + 1)];
      const expected = sorted(
        world
          .filter((p) => p.resourceType === "Patient" && visible.has(keyOf(p as never)))
          .filter((p) =>
            world.some(
              (o) =>
                o.resourceType === "Observation" &&
                visible.has(keyOf(o as never)) &&
                (o.subject as Json | undefined)?.reference === keyOf(p as never) &&
                (((o.code as Json).coding ?? []) as Json[]).some((c) => c.system === system && c.code === code),
            ),
          )
          .map((p) => keyOf(p as never)),
      );
      const page = await call(`Patient?_has:Observation:subject:code=${encodeURIComponent(value)}&_count=100`);
      expect(entries(page.resource).match, at(`_has code=${value}`)).toEqual(expected);
      expect(page.resource?.total, at(`_has code=${value} total`)).toBe(expected.length);
    }
  }

  // Patient/$everything: the allowed part of the compartment; a hidden patient answers as an absent one
  if (oracle.typeGranted("r", "Patient")) {
    const absent = await call("Patient/absent/$everything?_count=200");
    for (const p of PATIENTS) {
      const got = await call(`Patient/${p}/$everything?_count=200`);
      if (!readable.has(`Patient/${p}`)) {
        expect(refusal(got, `Patient/${p}`), at(`Patient/${p}/$everything hidden`)).toEqual(
          refusal(absent, "Patient/absent"),
        );
        continue;
      }
      const expected = sorted(
        world
          .filter((r) => compartmentOfWorld(r) === `Patient/${p}` && visible.has(keyOf(r as never)))
          .map((r) => keyOf(r as never)),
      );
      const { match, include } = entries(got.resource);
      expect(match, at(`Patient/${p}/$everything`)).toEqual(expected);
      for (const k of include) expect(visible.has(k), at(`Patient/${p}/$everything includes ${k}`)).toBe(true);
      if (got.resource?.total !== undefined) expect(got.resource.total, at(`$everything total`)).toBe(expected.length);
    }
  }

  // type-level Patient/$everything (every patient): refused, or only what the caller may see
  {
    const got = await call("Patient/$everything?_count=1000&_total=accurate");
    expect([200, 403], at("Patient/$everything status")).toContain(got.status);
    if (got.status === 200) {
      const { match, include } = entries(got.resource);
      for (const k of [...match, ...include]) expect(visible.has(k), at(`Patient/$everything shows ${k}`)).toBe(true);
      const expected = sorted([...visible].filter((k) => compartmentOfWorld(oracle.get(k)!) !== null));
      expect(match, at("Patient/$everything")).toEqual(expected);
      if (got.resource?.total !== undefined)
        expect(got.resource.total, at("Patient/$everything total")).toBe(match.length);
    }
  }

  // batch GET entries answer as the same reads alone
  const keys = world.map((r) => keyOf(r as never));
  cases.count++;
  const batch = await e.call(actor, "POST", "", {
    body: {
      resourceType: "Bundle",
      type: "batch",
      entry: [...keys, "Observation/absent"].map((url) => ({ request: { method: "GET", url } })),
    },
  });
  expect(batch.status, at("batch")).toBe(200);
  const answers = (batch.resource?.entry ?? []) as Entry[];
  keys.forEach((key, i) => {
    const type = key.split("/")[0]!;
    const status = !oracle.typeGranted("r", type) ? "403" : readable.has(key) ? "200" : "404";
    expect(answers[i]?.response?.status.slice(0, 3), at(`batch GET ${key}`)).toBe(status);
  });
}
