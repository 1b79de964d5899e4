import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchParameterByUrl } from "../../src/fhir/search/searchParameters.ts";
import { createValidator } from "../../src/fhir/validation/createValidator.ts";
import type { Outcome, R, Searchset } from "../support/fhirBundles.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

interface Declared {
  name: string;
  type: string;
  definition?: string;
}
interface CapabilityStatement {
  rest: { resource: { type: string; searchParam?: Declared[] }[] }[];
}

/** A value of each parameter type that no stored resource holds. */
const NO_MATCH: Record<string, string> = {
  string: "zzznomatch",
  token: "zzznomatch",
  reference: "zzznomatch",
  date: "1801-01-01",
  number: "987654321",
  quantity: "987654321",
  uri: "urn:zzz:nomatch",
  // near: a point in the South Pacific, within 1 km
  special: "-48.876667|-123.393333|1|km",
};

/** Such a value for a declared parameter; a composite's is one per component, joined by `$`. */
function noMatchValue(param: Declared): string {
  if (param.type !== "composite") return NO_MATCH[param.type]!;
  const components = searchParameterByUrl(param.definition!)?.component ?? [];
  return components.map((c) => NO_MATCH[searchParameterByUrl(c.definition)!.type]!).join("$");
}

/**
 * One resource of every type: the first official R4 example of the type that is valid, and a
 * minimal one for the six types without such an example.
 */
function oneOfEachType(): R[] {
  const dir = join(createRequire(import.meta.url).resolve("hl7.fhir.r4.examples/package.json"), "..");
  const validator = createValidator();
  const byType = new Map<string, R>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".json") || file === "package.json" || file.startsWith(".")) continue;
    const resource = JSON.parse(readFileSync(join(dir, file), "utf8")) as R;
    if (typeof resource.resourceType !== "string" || byType.has(resource.resourceType)) continue;
    if (typeof resource.id !== "string") continue;
    try {
      validator.validate(resource);
      byType.set(resource.resourceType, resource);
    } catch {
      // an example the R4 rules reject (14 of them): another of its type is taken
    }
  }
  const text = { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">walk</div>' };
  for (const type of [
    "SubstanceNucleicAcid",
    "SubstancePolymer",
    "SubstanceProtein",
    "SubstanceReferenceInformation",
    "SubstanceSourceMaterial",
  ])
    byType.set(type, { resourceType: type, id: "walk", text } as R);
  byType.set("Parameters", { resourceType: "Parameters", id: "walk", parameter: [{ name: "walk", valueString: "x" }] });
  return [...byType.values()];
}

/**
 * Declared means working: every search parameter the CapabilityStatement lists, for every type,
 * is applied. With one resource of each type stored, a value that matches nothing must find
 * nothing: a parameter that is ignored would return the unfiltered set (that resource).
 * @see https://hl7.org/fhir/R4/capabilitystatement-definitions.html#CapabilityStatement.rest.resource.searchParam
 */
describe("every search parameter the CapabilityStatement declares is applied", () => {
  let server: TestServer;
  let declared: [string, Declared[]][];

  beforeAll(async () => {
    // One resource of every type, AuditEvent included: the server's own AuditEvents (one per
    // request) would be counted with it (audit is tested in src/audit and test/e2e/audit*).
    server = await startTestServer({ env: { FHIRLEDGER_AUDIT: "off" } });
    const resources = oneOfEachType();
    // AuditEvents are read-only over REST: the server's own path writes one.
    await server.putAll(
      resources.filter((r) => r.resourceType !== "AuditEvent"),
      4,
    );
    for (const audit of resources.filter((r) => r.resourceType === "AuditEvent"))
      await server.records.write(audit.resourceType, audit.id, audit);
    const metadata = await server.json<CapabilityStatement>("/metadata");
    declared = metadata.body.rest[0]!.resource.map((r) => [r.type, r.searchParam ?? []]);
  }, 300_000);
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("stores a resource of every type the CapabilityStatement lists, so an ignored parameter would show", async () => {
    expect(declared.length).toBeGreaterThan(140);
    for (const [type] of declared) {
      const count = await server.json<Searchset>(`/${type}?_summary=count`);
      expect(count.body.total, type).toBe(1);
    }
  });

  it("finds nothing for a value that matches nothing, for each declared parameter of each type", async () => {
    const failures: string[] = [];
    let walked = 0;
    for (const [type, params] of declared) {
      for (const param of params) {
        walked++;
        const url = `/${type}?${encodeURIComponent(param.name)}=${encodeURIComponent(noMatchValue(param))}`;
        const res = await server.json<Searchset & Outcome>(url);
        const matches = (res.body.entry ?? []).filter((e) => e.search.mode === "match");
        const warnings = (res.body.entry ?? [])
          .filter((e) => e.search.mode === "outcome")
          .flatMap((e) => (e.resource as unknown as Outcome).issue.map((i) => i.diagnostics ?? ""));
        if (res.status !== 200 || matches.length > 0 || warnings.length > 0)
          failures.push(`${url}: ${res.status}, ${matches.length} match(es) ${warnings.join("; ").slice(0, 200)}`);
      }
    }
    expect(walked).toBeGreaterThan(2000);
    expect(failures).toEqual([]);
  }, 300_000);
});
