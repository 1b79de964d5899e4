import { describe, expect, it } from "vitest";
import { parseSearchRequest } from "../search/parseSearchRequest.ts";
import { searchParameterByUrl } from "../search/searchParameters.ts";
import { serverCapabilityStatement } from "./serverCapabilityStatement.ts";

interface Statement {
  rest: { resource: { type: string; searchParam?: { name: string; type: string; definition?: string }[] }[] }[];
}

const VALUE: Record<string, string> = { date: "2020", number: "1", quantity: "1" };
/** A well-formed value of the parameter's type (a composite: one per component, joined by `$`). */
const sampleValue = (p: { type: string; definition?: string }): string =>
  p.type === "composite"
    ? (searchParameterByUrl(p.definition!)?.component ?? [])
        .map((c) => VALUE[searchParameterByUrl(c.definition)!.type] ?? "x")
        .join("$")
    : (VALUE[p.type] ?? "x");

describe("serverCapabilityStatement's search parameters", () => {
  const cs = serverCapabilityStatement({
    baseUrl: "http://fhir.test",
    software: { name: "t", version: "0" },
  }) as unknown as Statement;
  const declared = (type: string) =>
    (cs.rest[0]!.resource.find((r) => r.type === type)?.searchParam ?? []).map((p) => p.name);

  it("declares no parameter the search would only report as unsupported (Location.near, InsurancePlan.name)", () => {
    expect(declared("Location")).not.toContain("near");
    expect(declared("Location")).toEqual(expect.arrayContaining(["address", "name", "_id", "_lastUpdated"]));
    expect(declared("InsurancePlan")).not.toContain("name");
    expect(declared("InsurancePlan")).toContain("phonetic");
  });

  it("declares only parameters that parse into a filter", () => {
    let count = 0;
    for (const { type, searchParam } of cs.rest[0]!.resource) {
      for (const p of searchParam ?? []) {
        count++;
        const request = parseSearchRequest(type, [[p.name, sampleValue(p)]]);
        expect(request.unknown, `${type}.${p.name}`).toEqual([]);
      }
    }
    expect(count).toBeGreaterThan(2000);
  });
});
