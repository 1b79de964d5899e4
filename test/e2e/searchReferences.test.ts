import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

type R = Record<string, unknown> & { resourceType: string; id: string };
interface Bundle {
  resourceType: string;
  entry?: {
    resource: R & { issue?: { severity: string; code: string; diagnostics: string }[] };
    search: { mode: string };
  }[];
}

/**
 * `_include:iterate` across specs and references written with the server's own base URL, over
 * HTTP on real components. The include depth limit is 2 here, so a third round is cut off.
 */
describe("search follows iterated includes and own-base references", () => {
  let server: TestServer;
  const search = async (path: string) => {
    const res = await server.json<Bundle>(path);
    expect(res.status, path).toBe(200);
    return res.body;
  };
  const ids = (b: Bundle, mode = "match") =>
    (b.entry ?? [])
      .filter((e) => e.search.mode === mode)
      .map((e) => `${e.resource.resourceType}/${e.resource.id}`)
      .sort();
  const outcome = (b: Bundle) => b.entry?.find((e) => e.search.mode === "outcome")?.resource;

  beforeAll(async () => {
    server = await startTestServer({ env: { FHIRLEDGER_MAX_INCLUDE_DEPTH: "2" } });
    // The base is this server's own address, known only once it listens on its free port.
    const own = server.baseUrl;
    const resources: R[] = [
      { resourceType: "Organization", id: "s-o1", name: "Head Office" },
      { resourceType: "Organization", id: "s-o2", name: "Branch", partOf: { reference: "Organization/s-o1" } },
      { resourceType: "Patient", id: "s-p1", managingOrganization: { reference: "Organization/s-o1" } },
      { resourceType: "Patient", id: "s-p3", managingOrganization: { reference: "Organization/s-o2" } },
      {
        resourceType: "Patient",
        id: "s-p2",
        name: [{ family: "Ownbase" }],
        managingOrganization: { reference: `${own}/Organization/s-o1` },
      },
      {
        resourceType: "Observation",
        id: "s-o-1",
        status: "final",
        code: { text: "x" },
        subject: { reference: "Patient/s-p1" },
      },
      {
        resourceType: "Observation",
        id: "s-o-3",
        status: "final",
        code: { text: "x" },
        subject: { reference: "Patient/s-p3" },
      },
      {
        resourceType: "Observation",
        id: "s-o-2",
        status: "final",
        code: { text: "x" },
        subject: { reference: `${own}/Patient/s-p2` },
      },
      {
        resourceType: "Observation",
        id: "s-o-4",
        status: "final",
        code: { text: "x" },
        subject: { reference: `${own}/Patient/s-p2/_history/1` },
      },
      {
        resourceType: "Observation",
        id: "s-o-5",
        status: "final",
        code: { text: "x" },
        subject: { reference: "http://other.example.org/fhir/Patient/s-p2" },
      },
    ];
    await server.putAll(resources);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("_include:iterate applies to what another _include added", async () => {
    const b = await search("/Observation?_id=s-o-1&_include=Observation:subject&_include:iterate=Patient:organization");
    expect(ids(b)).toEqual(["Observation/s-o-1"]);
    expect(ids(b, "include")).toEqual(["Organization/s-o1", "Patient/s-p1"]);
    expect(outcome(b)).toBeUndefined();
  });

  it("_revinclude:iterate reaches the patients of sub-organizations", async () => {
    const b = await search(
      "/Organization?_id=s-o1&_revinclude:iterate=Organization:partof&_revinclude:iterate=Patient:organization",
    );
    expect(ids(b)).toEqual(["Organization/s-o1"]);
    expect(ids(b, "include")).toEqual(["Organization/s-o2", "Patient/s-p1", "Patient/s-p2", "Patient/s-p3"]);
  });

  it("applies _include without :iterate to the matches only", async () => {
    const b = await search("/Observation?_id=s-o-1&_include=Observation:subject&_include=Patient:organization");
    expect(ids(b, "include")).toEqual(["Patient/s-p1"]);
  });

  it("says so in an OperationOutcome when the include depth limit cuts iteration off", async () => {
    const b = await search(
      "/Observation?_id=s-o-3&_include=Observation:subject&_include:iterate=Patient:organization&_include:iterate=Organization:partof",
    );
    // Two rounds: the patient, then its organization; the parent organization would be the third.
    expect(ids(b, "include")).toEqual(["Organization/s-o2", "Patient/s-p3"]);
    const issues = outcome(b)?.issue ?? [];
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: "warning", code: "too-costly" });
    expect(issues[0]!.diagnostics).toMatch(/iterate/);
  });

  it("finds, includes and chains through references written with the server's own base", async () => {
    const own = ["Observation/s-o-2", "Observation/s-o-4"];
    expect(ids(await search("/Observation?subject=Patient/s-p2"))).toEqual(own);
    expect(ids(await search(`/Observation?subject=${encodeURIComponent(`${server.baseUrl}/Patient/s-p2`)}`))).toEqual(
      own,
    );
    expect(ids(await search("/Observation?patient=s-p2"))).toEqual(own);
    expect(ids(await search("/Observation?subject:Patient.name=Ownbase"))).toEqual(own);
    const inc = await search(
      "/Observation?_id=s-o-2&_include=Observation:subject&_include:iterate=Patient:organization",
    );
    expect(ids(inc, "include")).toEqual(["Organization/s-o1", "Patient/s-p2"]);
    expect(
      ids(await search(`/Observation?subject=${encodeURIComponent("http://other.example.org/fhir/Patient/s-p2")}`)),
    ).toEqual(["Observation/s-o-5"]);
  });
});
