import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { memoryFhir } from "./testSupport/memoryFhir.ts";
import type { MemoryFhir } from "./testSupport/memoryFhir.ts";

interface Bundle {
  total?: number;
  link: { relation: string; url: string }[];
  entry?: {
    fullUrl?: string;
    resource: { resourceType: string; id: string; issue?: { severity: string; diagnostics: string }[] };
    search: { mode: string };
  }[];
}
const VIP = { system: "http://example.org/tags", code: "vip" };

/** FhirInteractions.searchSystem over the in-memory engine: what a client of GET [base]?… gets. */
describe("system-level search", () => {
  let engine: MemoryFhir;
  const search = async (query: string, strict = false) =>
    (await engine.fhir.searchSystem(engine.actor, new URLSearchParams(query), { baseUrl: "http://fhir.test", strict }))
      .resource as unknown as Bundle;
  const matches = (b: Bundle) =>
    (b.entry ?? []).filter((e) => e.search.mode === "match").map((e) => `${e.resource.resourceType}/${e.resource.id}`);

  beforeAll(async () => {
    engine = await memoryFhir();
    await engine.put(
      { resourceType: "Patient", id: "pa", meta: { tag: [VIP] } },
      { resourceType: "Patient", id: "pb" },
      {
        resourceType: "Observation",
        id: "oa",
        meta: { tag: [VIP] },
        status: "final",
        code: { text: "x" },
        subject: { reference: "Patient/pb" },
      },
      { resourceType: "Organization", id: "org" },
      {
        resourceType: "AuditEvent",
        id: "ae",
        meta: { tag: [VIP] },
        type: { code: "rest" },
        recorded: "2026-01-01T00:00:00Z",
        agent: [{ requestor: true }],
        source: { observer: { display: "x" } },
      },
    );
  });
  afterAll(async () => {
    await engine?.close();
  });

  it("finds every type a common parameter matches, AuditEvents included, with links on the base URL", async () => {
    const b = await search("_tag=http://example.org/tags|vip");
    expect(matches(b)).toEqual(["Patient/pa", "Observation/oa", "AuditEvent/ae"]);
    expect(b.total).toBe(3);
    expect(b.link).toEqual([{ relation: "self", url: "http://fhir.test?_tag=http%3A%2F%2Fexample.org%2Ftags%7Cvip" }]);
    expect(b.entry![0]!.fullUrl).toBe("http://fhir.test/Patient/pa");
    expect(matches(await search(""))).toEqual([
      "Patient/pa",
      "Patient/pb",
      "Observation/oa",
      "Organization/org",
      "AuditEvent/ae",
    ]);
  });

  it("restricts to the types _type names, and pages with next links that keep _type", async () => {
    const first = await search("_type=Patient,Organization&_count=2&_sort=-_id");
    expect(matches(first)).toEqual(["Patient/pb", "Patient/pa"]);
    expect(first.total).toBe(3);
    const next = first.link.find((l) => l.relation === "next")!.url;
    expect(next).toMatch(/^http:\/\/fhir\.test\?_type=Patient%2COrganization&_sort=-_id&_count=2&_cursor=/);
    const second = await search(new URL(next).search.slice(1));
    expect(matches(second)).toEqual(["Organization/org"]);
    expect(second.link.find((l) => l.relation === "next")).toBeUndefined();
  });

  it("reports parameters not every type has, or refuses them under strict handling", async () => {
    const b = await search("family=x&_tag=vip");
    expect(matches(b)).toEqual(["Patient/pa", "Observation/oa", "AuditEvent/ae"]);
    const outcome = b.entry!.find((e) => e.search.mode === "outcome")!.resource;
    expect(outcome.issue).toEqual([
      {
        severity: "warning",
        code: "not-supported",
        diagnostics: "parameter ignored: family (not a parameter of every type searched)",
      },
    ]);
    await expect(search("family=x", true)).rejects.toThrow(FhirLedgerError);
    await expect(search("family=x", true)).rejects.toMatchObject({
      code: "invalid",
      issues: [{ type: "not-supported", expression: ["family"] }],
    });
    await expect(search("_type=Patient&family=x", true)).resolves.toMatchObject({ total: 0 });
  });

  it("takes _include with _type, _summary=count and _elements as type-level search does", async () => {
    const b = await search("_type=Observation&_include=Observation:subject");
    expect(matches(b)).toEqual(["Observation/oa"]);
    expect((b.entry ?? []).filter((e) => e.search.mode === "include").map((e) => e.resource.id)).toEqual(["pb"]);
    const count = await search("_summary=count&_tag=vip");
    expect([count.total, count.entry]).toEqual([3, undefined]);
    const elements = await search("_id=oa&_elements=status");
    expect(elements.entry![0]!.resource).toMatchObject({ resourceType: "Observation", id: "oa", status: "final" });
    expect(elements.entry![0]!.resource).toMatchObject({ code: { text: "x" } }); // mandatory: kept
    expect(elements.entry![0]!.resource).not.toHaveProperty("subject");
  });
});
