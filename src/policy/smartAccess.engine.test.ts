import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../auth/Actor.ts";
import type { FhirResource } from "../records/RecordRepository.ts";
import { entriesOf, type ScopedEngine, scopedEngine } from "./testSupport/scopedEngine.ts";

const CAT = "http://terminology.hl7.org/CodeSystem/observation-category";
const LAB = `${CAT}|laboratory`;

function observation(id: string, patient: string, category: string, status = "final"): FhirResource {
  return {
    resourceType: "Observation",
    id,
    status,
    category: [{ coding: [{ system: CAT, code: category }] }],
    code: { text: "x" },
    subject: { reference: `Patient/${patient}` },
    performer: [{ reference: "Practitioner/pr1" }],
  };
}

const system: Actor = { id: "sys", role: "system", scopes: ["system/*.*"] };
const patient1 = (scopes: string): Actor => ({ id: "u1", role: "patient", patient: "p1", scopes: scopes.split(" ") });
const practitioner = (scopes: string): Actor => ({ id: "dr", role: "practitioner", scopes: scopes.split(" ") });

/** A fresh engine with the fixture data for each group of tests (some of them write). */
function withEngine(): { get e(): ScopedEngine } {
  const holder = {} as { e: ScopedEngine };
  beforeAll(async () => {
    holder.e = await scopedEngine();
    await holder.e.put(
      { resourceType: "Patient", id: "p1", name: [{ family: "One" }] },
      { resourceType: "Patient", id: "p2", name: [{ family: "Two" }], identifier: [{ system: "urn:t", value: "two" }] },
      { resourceType: "Practitioner", id: "pr1" },
      observation("o1", "p1", "laboratory"),
      observation("o2", "p1", "vital-signs"),
      observation("o3", "p2", "laboratory"),
      observation("o4", "p2", "vital-signs"),
      observation("o5", "p1", "laboratory", "preliminary"),
      { resourceType: "Condition", id: "c1", subject: { reference: "Patient/p1" } },
      { resourceType: "Condition", id: "c2", subject: { reference: "Patient/p2" } },
    );
  });
  afterAll(async () => {
    await holder.e.close();
  });
  return holder;
}

describe("SMART scopes enforced by the engine", () => {
  describe("decisions by type", () => {
    const fx = withEngine();
    it("answers a type no scope grants with a 403 naming the scope, the same for a resource that exists and one that does not", async () => {
      const dr = practitioner("user/Observation.rs");
      const existing = await fx.e.call(dr, "GET", "Condition/c1");
      const absent = await fx.e.call(dr, "GET", "Condition/nope");
      expect(existing.status).toBe(403);
      expect(existing.error!.message).toContain("user/Condition.r");
      expect(absent).toEqual(existing);
      expect((await fx.e.call(dr, "GET", "Condition")).error!.message).toContain("user/Condition.s");
    });

    it("gives administrators the CapabilityStatement and no clinical data; auditors AuditEvent only", async () => {
      const admin: Actor = { id: "a", role: "admin", scopes: ["user/*.*", "system/*.*"] };
      expect((await fx.e.call(admin, "GET", "metadata")).status).toBe(200);
      expect((await fx.e.call(admin, "GET", "Patient")).status).toBe(403);
      const auditor: Actor = { id: "au", role: "auditor", scopes: ["user/*.*"] };
      expect((await fx.e.call(auditor, "GET", "AuditEvent")).status).toBe(200);
      expect((await fx.e.call(auditor, "GET", "Observation")).status).toBe(403);
      expect((await fx.e.call(auditor, "GET", "Patient/p1")).status).toBe(403);
    });

    it("limits system search and history to the types granted; _type naming another is a 403", async () => {
      const dr = practitioner("user/Observation.rs");
      const all = await fx.e.call(dr, "GET", "?_count=100");
      expect(all.resource!.total).toBe(5);
      expect(entriesOf(all.resource).match.every((k) => k.startsWith("Observation/"))).toBe(true);
      expect((await fx.e.call(dr, "GET", "?_type=Condition")).status).toBe(403);
      const history = await fx.e.call(dr, "GET", "_history");
      const types = ((history.resource!.entry ?? []) as { resource: { resourceType: string } }[]).map(
        (x) => x.resource.resourceType,
      );
      expect(types.length).toBe(5);
      expect(new Set(types)).toEqual(new Set(["Observation"]));
      expect((await fx.e.call(dr, "GET", "_history?_type=Condition")).status).toBe(403);
      expect((await fx.e.call(dr, "GET", "Condition/_history")).status).toBe(403);
    });

    it("reads v1 scopes as their v2 letters: .read allows search, not writes", async () => {
      const dr = practitioner("user/Observation.read");
      expect((await fx.e.call(dr, "GET", "Observation?_summary=count")).resource?.total).toBe(5);
      const create = await fx.e.call(dr, "POST", "Observation", { body: observation("x", "p1", "laboratory") });
      expect(create.status).toBe(403);
    });
  });

  describe("patient compartment confinement", () => {
    const fx = withEngine();
    const me = patient1("patient/*.rs");

    it("searches only the patient's compartment, with an exact total, and reads another's resource as unknown (404)", async () => {
      const search = await fx.e.call(me, "GET", "Observation?_count=1");
      expect(search.resource!.total).toBe(3);
      expect((await fx.e.call(me, "GET", "Patient")).resource!.total).toBe(1);
      expect((await fx.e.call(me, "GET", "Observation/o1")).status).toBe(200);
      const other = await fx.e.call(me, "GET", "Observation/o3");
      const absent = await fx.e.call(me, "GET", "Observation/zzz");
      expect(other.status).toBe(404);
      expect(other.error!.message).toBe("Observation/o3 is not known");
      expect(absent.error!.message).toBe("Observation/zzz is not known");
      expect((await fx.e.call(me, "GET", "Patient/p2")).status).toBe(404);
      expect((await fx.e.call(me, "GET", "Observation/o3/_history/1")).status).toBe(404);
    });

    it("reaches types outside the patient compartment (Practitioner) as the scope says", async () => {
      expect((await fx.e.call(me, "GET", "Practitioner/pr1")).status).toBe(200);
      expect((await fx.e.call(me, "GET", "Practitioner")).resource!.total).toBe(1);
    });

    it("pages a confined search without losing or repeating a match", async () => {
      const seen: string[] = [];
      let path: string | undefined = "Observation?_count=2";
      while (path !== undefined) {
        const page = await fx.e.call(me, "GET", path);
        expect(page.resource!.total).toBe(3);
        seen.push(...entriesOf(page.resource).match);
        const next = (page.resource!.link as { relation: string; url: string }[]).find((l) => l.relation === "next");
        path = next?.url.replace("http://fhir.test/", "");
      }
      expect(seen.sort()).toEqual(["Observation/o1", "Observation/o2", "Observation/o5"]);
    });

    it("never includes another patient's resources, and a system search spans the compartment only", async () => {
      const rev = await fx.e.call(me, "GET", "Practitioner?_revinclude=Observation:performer");
      expect(entriesOf(rev.resource).include).toEqual(["Observation/o1", "Observation/o2", "Observation/o5"]);
      const all = await fx.e.call(me, "GET", "?_type=Patient,Condition");
      expect(all.resource!.total).toBe(2);
      expect(entriesOf(all.resource).match).toEqual(["Condition/c1", "Patient/p1"]);
    });

    it("filters chains and _has on what the patient may see only", async () => {
      expect((await fx.e.call(me, "GET", "Observation?subject:Patient.name=Two")).resource!.total).toBe(0);
      expect((await fx.e.call(me, "GET", "Observation?subject:Patient.name=One")).resource!.total).toBe(3);
      const has = await fx.e.call(me, "GET", "Patient?_has:Observation:subject:_id=o3");
      expect(has.resource!.total).toBe(0);
    });

    it("confines history, $everything and $verify", async () => {
      const history = await fx.e.call(me, "GET", "Observation/_history?_total=accurate");
      expect(history.resource!.total).toBe(3);
      const ids = ((history.resource!.entry ?? []) as { resource: { id: string } }[]).map((x) => x.resource.id).sort();
      expect(ids).toEqual(["o1", "o2", "o5"]);
      expect((await fx.e.call(me, "GET", "Observation/o3/_history")).status).toBe(404);
      const system = await fx.e.call(me, "GET", "_history");
      const types = ((system.resource!.entry ?? []) as { resource: { resourceType: string; id: string } }[]).map(
        (x) => `${x.resource.resourceType}/${x.resource.id}`,
      );
      expect(types).not.toContain("Observation/o3");
      expect(types).not.toContain("Patient/p2");
      const everything = await fx.e.call(me, "GET", "Patient/p1/$everything");
      expect(entriesOf(everything.resource).match).toEqual([
        "Condition/c1",
        "Observation/o1",
        "Observation/o2",
        "Observation/o5",
        "Patient/p1",
      ]);
      expect(everything.resource!.total).toBe(5);
      expect((await fx.e.call(me, "GET", "Patient/p2/$everything")).status).toBe(404);
      expect((await fx.e.call(me, "GET", "Patient/$everything")).status).toBe(403);
      expect((await fx.e.call(me, "GET", "Observation/o3/$verify")).status).toBe(404);
    });

    it("limits $everything to the types granted", async () => {
      const some = patient1("patient/Patient.rs patient/Condition.rs");
      const everything = await fx.e.call(some, "GET", "Patient/p1/$everything");
      expect(entriesOf(everything.resource).match).toEqual(["Condition/c1", "Patient/p1"]);
      expect(everything.resource!.total).toBe(2);
      expect((await fx.e.call(some, "GET", "Patient/p1/$everything?_type=Observation")).status).toBe(403);
    });

    it("refuses writes outside the compartment as if the resource did not exist", async () => {
      const writer = patient1("patient/Observation.cruds");
      const foreign = await fx.e.call(writer, "POST", "Observation", { body: observation("n", "p2", "laboratory") });
      expect(foreign.status).toBe(403);
      const own = await fx.e.call(writer, "POST", "Observation", { body: observation("n", "p1", "laboratory") });
      expect(own.status).toBe(201);
      expect(
        (await fx.e.call(writer, "PUT", "Observation/o3", { body: observation("o3", "p2", "laboratory") })).status,
      ).toBe(404);
      // moving one's own resource into another's compartment is refused too
      expect(
        (await fx.e.call(writer, "PUT", "Observation/o1", { body: observation("o1", "p2", "laboratory") })).status,
      ).toBe(403);
      expect((await fx.e.call(writer, "DELETE", "Observation/o3")).status).toBe(404);
      expect((await fx.e.call(writer, "DELETE", "Observation/never")).status).toBe(404);
      expect((await fx.e.call(system, "GET", "Observation/o3")).status).toBe(200);
      const patch = await fx.e.call(writer, "PATCH", "Observation/o3", {
        body: [{ op: "replace", path: "/status", value: "amended" }],
      });
      expect(patch.status).toBe(404);
    });

    it("matches conditional criteria inside the compartment only", async () => {
      const writer = patient1("patient/Observation.cruds");
      await fx.e.put(observation("d1", "p1", "exam"), observation("d2", "p2", "exam"));
      const deleted = await fx.e.call(writer, "DELETE", "Observation?category=exam");
      expect(deleted.status).toBe(204);
      expect((await fx.e.call(system, "GET", "Observation/d1")).status).toBe(410);
      expect((await fx.e.call(system, "GET", "Observation/d2")).status).toBe(200);
    });
  });

  describe("granular scopes", () => {
    const fx = withEngine();
    it("ANDs one constraint into the query, with an exact total", async () => {
      const dr = practitioner(`user/Observation.rs?category=${LAB}`);
      const page = await fx.e.call(dr, "GET", "Observation?_count=1&_sort=_id");
      expect(page.resource!.total).toBe(3);
      expect(entriesOf(page.resource).match).toEqual(["Observation/o1"]);
      expect((await fx.e.call(dr, "GET", "Observation?status=final")).resource!.total).toBe(2);
      expect((await fx.e.call(dr, "GET", "Observation/o2")).status).toBe(404);
      expect((await fx.e.call(dr, "GET", "Observation/o3")).status).toBe(200);
    });

    it("ORs several constraints on one type", async () => {
      const dr = practitioner(
        `user/Observation.rs?category=${LAB}&status=final user/Observation.rs?category=${CAT}|vital-signs`,
      );
      const all = await fx.e.call(dr, "GET", "Observation?_count=100");
      expect(entriesOf(all.resource).match).toEqual([
        "Observation/o1",
        "Observation/o2",
        "Observation/o3",
        "Observation/o4",
      ]);
      expect(all.resource!.total).toBe(4);
      expect((await fx.e.call(dr, "GET", "Observation/o5")).status).toBe(404);
    });

    it("checks $everything members against a constraint one by one, without a total", async () => {
      const me = patient1(`patient/Patient.rs patient/Observation.rs?category=${LAB}`);
      const everything = await fx.e.call(me, "GET", "Patient/p1/$everything");
      expect(entriesOf(everything.resource).match).toEqual(["Observation/o1", "Observation/o5", "Patient/p1"]);
      expect(everything.resource!.total).toBeUndefined();
    });

    it("combines a constraint with patient confinement", async () => {
      const me = patient1(`patient/Observation.rs?category=${LAB} patient/Patient.rs`);
      const rev = await fx.e.call(me, "GET", "Patient?_revinclude=Observation:subject");
      expect(entriesOf(rev.resource)).toEqual({ match: ["Patient/p1"], include: ["Observation/o1", "Observation/o5"] });
    });

    it("leaves out an included resource the scopes don't cover", async () => {
      const dr = practitioner("user/Observation.rs");
      const page = await fx.e.call(
        dr,
        "GET",
        "Observation?_id=o1&_include=Observation:subject&_include=Observation:performer",
      );
      expect(entriesOf(page.resource)).toEqual({ match: ["Observation/o1"], include: [] });
      const more = practitioner("user/Observation.rs user/Practitioner.rs");
      const page2 = await fx.e.call(
        more,
        "GET",
        "Observation?_id=o1&_include=Observation:subject&_include=Observation:performer",
      );
      expect(entriesOf(page2.resource)).toEqual({ match: ["Observation/o1"], include: ["Practitioner/pr1"] });
    });

    it("refuses a chain or _has through a type not granted", async () => {
      const dr = practitioner("user/Observation.rs");
      expect((await fx.e.call(dr, "GET", "Observation?subject:Patient.name=One")).status).toBe(403);
      const pats = practitioner("user/Patient.rs");
      expect((await fx.e.call(pats, "GET", "Patient?_has:Observation:subject:_id=o1")).status).toBe(403);
    });

    it("writes only resources that satisfy a constraint of a c/u scope", async () => {
      const dr = practitioner(`user/Observation.cu?category=${LAB}`);
      expect((await fx.e.call(dr, "POST", "Observation", { body: observation("w", "p1", "vital-signs") })).status).toBe(
        403,
      );
      expect((await fx.e.call(dr, "POST", "Observation", { body: observation("w", "p1", "laboratory") })).status).toBe(
        201,
      );
      // update that would create needs c, which .u alone lacks
      const onlyU = practitioner("user/Observation.u");
      const created = await fx.e.call(onlyU, "PUT", "Observation/new1", {
        body: observation("new1", "p1", "laboratory"),
      });
      expect(created.status).toBe(403);
    });
  });

  describe("bundles", () => {
    const fx = withEngine();
    it("refuses a batch entry the scopes don't cover in that entry's response", async () => {
      const dr = practitioner("user/Observation.rs");
      const batch = await fx.e.call(dr, "POST", "", {
        body: {
          resourceType: "Bundle",
          type: "batch",
          entry: [
            { request: { method: "GET", url: "Observation/o1" } },
            { request: { method: "GET", url: "Condition/c1" } },
          ],
        },
      });
      const statuses = (batch.resource!.entry as { response: { status: string } }[]).map((x) => x.response.status);
      expect(statuses[0]).toMatch(/^200/);
      expect(statuses[1]).toMatch(/^403/);
    });

    it("fails a transaction whose write leaves the patient's compartment", async () => {
      const writer = patient1("patient/Observation.cruds");
      const tx = await fx.e.call(writer, "POST", "", {
        body: {
          resourceType: "Bundle",
          type: "transaction",
          entry: [
            { resource: observation("t1", "p1", "laboratory"), request: { method: "POST", url: "Observation" } },
            { resource: observation("t2", "p2", "laboratory"), request: { method: "POST", url: "Observation" } },
          ],
        },
      });
      expect(tx.status).toBe(403);
      const own = await fx.e.call(system, "GET", "Observation?category=laboratory&subject=Patient/p1&_summary=count");
      expect(own.resource!.total).toBe(2); // o1 and o5: t1 was not written
    });

    it("resolves conditional references and If-None-Exist only to what the caller may see", async () => {
      const me = patient1("patient/Patient.rus patient/Observation.cruds");
      const tx = await fx.e.call(me, "POST", "", {
        body: {
          resourceType: "Bundle",
          type: "transaction",
          entry: [
            {
              resource: {
                ...observation("r1", "p1", "laboratory"),
                subject: { reference: "Patient?identifier=urn:t|two" },
              },
              request: { method: "POST", url: "Observation" },
            },
          ],
        },
      });
      expect(tx.status).toBe(412); // p2 holds the identifier, but is not the caller's to find
      const dr = practitioner("user/Patient.cruds");
      const created = await fx.e.call(dr, "POST", "Patient", {
        body: { resourceType: "Patient", identifier: [{ system: "urn:t", value: "two" }] },
        headers: { ifNoneExist: "identifier=urn:t|two" },
      });
      expect(created.status).toBe(200); // the practitioner sees p2: the existing one answers
      const writer = patient1("patient/Patient.cruds");
      const patch = await fx.e.call(writer, "POST", "", {
        body: {
          resourceType: "Bundle",
          type: "transaction",
          entry: [
            {
              resource: {
                resourceType: "Parameters",
                parameter: [
                  {
                    name: "operation",
                    part: [
                      { name: "type", valueCode: "delete" },
                      { name: "path", valueString: "Patient.nonsense" },
                    ],
                  },
                ],
              },
              request: { method: "PATCH", url: "Patient/p2" },
            },
          ],
        },
      });
      expect(patch.status).toBe(404);
    });

    it("confines a batch's search entries like a search", async () => {
      const me = patient1("patient/Observation.rs");
      const batch = await fx.e.call(me, "POST", "", {
        body: {
          resourceType: "Bundle",
          type: "batch",
          entry: [{ request: { method: "GET", url: "Observation?category=laboratory" } }],
        },
      });
      const inner = (batch.resource!.entry as { resource: { total: number } }[])[0]!.resource;
      expect(inner.total).toBe(2);
    });
  });

  describe("operations", () => {
    const fx = withEngine();
    it("lets $erase through for system clients with Patient.d and administrators only", async () => {
      const dr = practitioner("user/*.*");
      expect((await fx.e.call(dr, "POST", "Patient/p2/$erase", { body: {} })).status).toBe(403);
      const readOnly: Actor = { id: "s", role: "system", scopes: ["system/*.rs"] };
      expect((await fx.e.call(readOnly, "POST", "Patient/p2/$erase", { body: {} })).status).toBe(403);
      // allowed by the policy: the operation itself then asks for its reason (400)
      expect((await fx.e.call(system, "POST", "Patient/p2/$erase", { body: {} })).status).toBe(400);
    });
  });

  it("compiles the policy on the reader threads the server searches on", async () => {
    const e = await scopedEngine({ readers: true });
    try {
      await e.put(
        { resourceType: "Patient", id: "p1" },
        { resourceType: "Patient", id: "p2" },
        observation("o1", "p1", "laboratory"),
        observation("o2", "p2", "laboratory"),
        observation("o3", "p1", "vital-signs"),
      );
      const me = patient1(`patient/Observation.rs?category=${LAB} patient/Patient.rs`);
      const page = await e.call(me, "GET", "Patient?_revinclude=Observation:subject");
      expect(page.resource!.total).toBe(1);
      expect(entriesOf(page.resource)).toEqual({ match: ["Patient/p1"], include: ["Observation/o1"] });
    } finally {
      await e.close();
    }
  });
});
