import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../auth/Actor.ts";
import type { FhirResource } from "../records/RecordRepository.ts";
import { forAll, random, type Random } from "./testSupport/randomCases.ts";
import { entriesOf, type ScopedEngine, scopedEngine } from "./testSupport/scopedEngine.ts";

/*
 * Random scopes × random small data: every search, read and include answers only what an
 * independent model of the grant (written here from the SMART rules, not from src/policy)
 * allows, and Bundle.total is the number of allowed matches.
 */

const CAT = "http://terminology.hl7.org/CodeSystem/observation-category";
const PATIENTS = ["p1", "p2", "p3"];
const CATEGORIES = ["laboratory", "vital-signs", "exam"];
const STATUSES = ["final", "preliminary"];

interface Res {
  type: string;
  id: string;
  patient?: string;
  category?: string;
  status?: string;
  body: FhirResource;
}

function dataset(r: Random): Res[] {
  const out: Res[] = [];
  for (const p of PATIENTS) out.push({ type: "Patient", id: p, patient: p, body: { resourceType: "Patient", id: p } });
  out.push({ type: "Practitioner", id: "pr1", body: { resourceType: "Practitioner", id: "pr1" } });
  for (let i = 0; i < 4 + r.int(8); i++) {
    const [patient, category, status] = [r.pick(PATIENTS), r.pick(CATEGORIES), r.pick(STATUSES)];
    out.push({
      type: "Observation",
      id: `o${i}`,
      patient,
      category,
      status,
      body: {
        resourceType: "Observation",
        id: `o${i}`,
        status,
        category: [{ coding: [{ system: CAT, code: category }] }],
        code: { text: "x" },
        subject: { reference: `Patient/${patient}` },
        ...(r.bool() ? { performer: [{ reference: "Practitioner/pr1" }] } : {}),
      },
    });
  }
  for (let i = 0; i < 1 + r.int(4); i++) {
    const patient = r.pick(PATIENTS);
    out.push({
      type: "Condition",
      id: `c${i}`,
      patient,
      body: { resourceType: "Condition", id: `c${i}`, subject: { reference: `Patient/${patient}` } },
    });
  }
  return out;
}

interface Scope {
  context: "patient" | "user" | "system";
  type: string;
  letters: string;
  constraint?: { param: "category" | "status"; value: string; matches: (x: Res) => boolean };
}

const CONSTRAINTS: NonNullable<Scope["constraint"]>[] = [
  { param: "category", value: `${CAT}|laboratory`, matches: (x) => x.category === "laboratory" },
  { param: "category", value: "vital-signs", matches: (x) => x.category === "vital-signs" },
  { param: "status", value: "final", matches: (x) => x.status === "final" },
];

function scopes(r: Random): Scope[] {
  return Array.from({ length: 1 + r.int(4) }, () => {
    const type = r.pick(["Observation", "Condition", "Patient", "Practitioner", "*"]);
    const s: Scope = {
      context: r.pick(["patient", "user", "system"] as const),
      type,
      letters: r.subset(["c", "r", "u", "d", "s"], 1).join(""),
    };
    if (type === "Observation" && r.int(3) === 0) s.constraint = r.pick(CONSTRAINTS);
    return s;
  });
}

const text = (s: Scope) =>
  `${s.context}/${s.type}.${s.letters}${s.constraint ? `?${s.constraint.param}=${s.constraint.value}` : ""}`;

/** The model: who the actor is decides which contexts count and what is confined. */
function allows(role: string, patient: string | undefined, grant: Scope[], letter: string, x: Res): boolean {
  return grant.some((s) => {
    if (!s.letters.includes(letter) || (s.type !== "*" && s.type !== x.type)) return false;
    if (s.constraint && !s.constraint.matches(x)) return false;
    const inCompartment = x.type === "Practitioner" || x.patient === patient;
    if (role === "system") return s.context === "system";
    if (role === "practitioner")
      return s.context === "user" || (s.context === "patient" && patient !== undefined && inCompartment);
    if (role === "patient") return s.context !== "system" && patient !== undefined && inCompartment;
    return false;
  });
}

const typeGranted = (role: string, patient: string | undefined, grant: Scope[], letter: string, type: string) =>
  grant.some(
    (s) =>
      s.letters.includes(letter) &&
      (s.type === "*" || s.type === type) &&
      (role === "system"
        ? s.context === "system"
        : role === "practitioner"
          ? s.context === "user" || (s.context === "patient" && patient !== undefined)
          : s.context !== "system"),
  );

describe.each([7, 8, 9])(
  "property on data set %i: answers hold only what the grant allows, totals count exactly that",
  (dataSeed) => {
    let e: ScopedEngine;
    let data: Res[];
    beforeAll(async () => {
      e = await scopedEngine();
      data = dataset(random(dataSeed));
      await e.put(...data.map((x) => x.body));
    });
    afterAll(async () => {
      await e.close();
    });

    it("search, paging, includes and reads", async () => {
      await forAll(
        40,
        async (r) => {
          const role = r.pick(["system", "practitioner", "patient"]);
          const patient = role === "system" ? undefined : role === "patient" || r.bool() ? "p1" : undefined;
          const grant = scopes(r);
          const actor: Actor = {
            id: "a",
            role: role as Actor["role"],
            scopes: grant.map(text),
            ...(patient ? { patient } : {}),
          };
          const visible = (letter: string, x: Res) => allows(role, patient, grant, letter, x);
          const keys = (xs: Res[]) => xs.map((x) => `${x.type}/${x.id}`).sort();
          const context = `data ${dataSeed}: ${role} ${patient ?? "-"} ${actor.scopes.join(" ")}`;

          for (const type of ["Observation", "Patient", "Condition"]) {
            const granted = typeGranted(role, patient, grant, "s", type);
            const seen: string[] = [];
            let path: string | undefined = `${type}?_count=2`;
            while (path !== undefined) {
              const page = await e.call(actor, "GET", path);
              if (!granted) {
                expect(page.status, context).toBe(403);
                break;
              }
              const expected = data.filter((x) => x.type === type && visible("s", x));
              expect(page.resource!.total, `${context} ${path}`).toBe(expected.length);
              seen.push(...entriesOf(page.resource).match);
              const next = (page.resource!.link as { relation: string; url: string }[]).find(
                (l) => l.relation === "next",
              );
              path = next?.url.replace("http://fhir.test/", "");
              if (path === undefined) expect(seen.sort(), context).toEqual(keys(expected));
            }
          }

          if (typeGranted(role, patient, grant, "s", "Observation")) {
            const page = await e.call(
              actor,
              "GET",
              "Observation?_count=100&_include=Observation:subject&_include=Observation:performer",
            );
            const included = entriesOf(page.resource).include;
            const allowedIncludes = keys(
              data.filter((x) => (x.type === "Patient" || x.type === "Practitioner") && visible("s", x)),
            );
            for (const key of included) expect(allowedIncludes, `${context} include ${key}`).toContain(key);
          }
          if (typeGranted(role, patient, grant, "s", "Patient")) {
            const page = await e.call(
              actor,
              "GET",
              "Patient?_count=100&_revinclude=Observation:subject&_revinclude=Condition:subject",
            );
            const included = entriesOf(page.resource).include;
            const allowedIncludes = keys(
              data.filter((x) => (x.type === "Observation" || x.type === "Condition") && visible("s", x)),
            );
            for (const key of included) expect(allowedIncludes, `${context} revinclude ${key}`).toContain(key);
            // and nothing allowed is missing: every visible Observation/Condition of a visible patient is there
            const patients = new Set(entriesOf(page.resource).match.map((k) => k.split("/")[1]));
            const wanted = keys(
              data.filter(
                (x) =>
                  (x.type === "Observation" || x.type === "Condition") && patients.has(x.patient!) && visible("s", x),
              ),
            );
            expect(included, context).toEqual(wanted);
          }

          if (typeGranted(role, patient, grant, "s", "Observation")) {
            const history = await e.call(actor, "GET", "Observation/_history?_total=accurate&_count=100");
            const shown = ((history.resource!.entry ?? []) as { resource?: { id: string } }[])
              .map((x) => `Observation/${x.resource?.id}`)
              .sort();
            const expected = keys(data.filter((x) => x.type === "Observation" && visible("s", x)));
            expect(shown, `${context} history`).toEqual(expected);
            if (history.resource!.total !== undefined) expect(history.resource!.total, context).toBe(expected.length);
          }

          for (const x of data) {
            const read = await e.call(actor, "GET", `${x.type}/${x.id}`);
            const expected = !typeGranted(role, patient, grant, "r", x.type) ? 403 : visible("r", x) ? 200 : 404;
            expect(read.status, `${context} read ${x.type}/${x.id}`).toBe(expected);
          }
        },
        dataSeed * 1000,
      );
    }, 120_000);
  },
);
