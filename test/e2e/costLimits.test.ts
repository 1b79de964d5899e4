import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

/*
 * The caps on what one request may cost the server: parameters accepted and echoed back, the
 * size of the SQL a search compiles to, and the resources (count and bytes) one response carries.
 * Each configurable cap is tried at its limit and one over it.
 */

interface Issue {
  severity: string;
  code: string;
  diagnostics: string;
  expression?: string[];
}
interface Outcome {
  resourceType: string;
  issue: Issue[];
}
interface Entry {
  fullUrl?: string;
  resource?: Record<string, unknown> & { resourceType: string; id?: string; issue?: Issue[] };
  search?: { mode: string };
  response?: { status: string; outcome?: Outcome };
}
interface Bundle {
  resourceType: string;
  type: string;
  total?: number;
  link: { relation: string; url: string }[];
  entry?: Entry[];
}

const form = (pairs: [string, string][]) => new URLSearchParams(pairs).toString();
const outcomeOf = (bundle: Bundle) => bundle.entry?.find((e) => e.search?.mode === "outcome")?.resource;

describe("echoed warnings and the number of query parameters", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { FHIRLEDGER_MAX_QUERY_PARAMS: "30" } });
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  const searchForm = (pairs: [string, string][], headers: Record<string, string> = {}) =>
    server.json<Bundle & Outcome>("/Patient/_search", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: form(pairs),
    });
  const unknown = (n: number): [string, string][] => Array.from({ length: n }, (_, i) => [`frob${i}`, "1"]);

  it("lists 20 ignored parameters in full, and of more only the first 20 and how many others", async () => {
    const twenty = await searchForm(unknown(20));
    expect(twenty.status).toBe(200);
    const listed = outcomeOf(twenty.body)!.issue!;
    expect(listed).toHaveLength(20);
    expect(listed.every((i) => /^parameter ignored: frob\d+ \(unknown parameter\)$/.test(i.diagnostics))).toBe(true);

    const thirty = await searchForm(unknown(30));
    expect(thirty.status).toBe(200);
    const capped = outcomeOf(thirty.body)!.issue!;
    expect(capped).toHaveLength(21);
    expect(capped.slice(0, 20).map((i) => i.diagnostics)).toEqual(
      Array.from({ length: 20 }, (_, i) => `parameter ignored: frob${i} (unknown parameter)`),
    );
    expect(capped[20]).toEqual({
      severity: "warning",
      code: "not-supported",
      diagnostics: "and 10 more parameters (only the first 20 are listed)",
    });
  });

  it("caps the issues of a strict refusal alike", async () => {
    const strict = await searchForm(unknown(30), { prefer: "handling=strict" });
    expect(strict.status).toBe(400);
    expect(strict.body.issue).toHaveLength(21);
    expect(strict.body.issue[20]!.diagnostics).toBe("and 10 more parameters (only the first 20 are listed)");
  });

  it("shortens a long parameter name it repeats back", async () => {
    const name = `x${"y".repeat(200)}`;
    const res = await searchForm([[name, "1"]]);
    const diagnostics = outcomeOf(res.body)!.issue![0]!.diagnostics;
    expect(diagnostics).toBe(`parameter ignored: ${name.slice(0, 64)}… (unknown parameter)`);
  });

  it("takes FHIRLEDGER_MAX_QUERY_PARAMS parameters, and refuses one more with a 400 naming the limit", async () => {
    const atLimit = await searchForm([...unknown(29), ["family", "x"]]);
    expect(atLimit.status).toBe(200);
    const over = await searchForm([...unknown(30), ["family", "x"]]);
    expect(over.status).toBe(400);
    expect(over.body.resourceType).toBe("OperationOutcome");
    expect(over.body.issue[0]).toMatchObject({ code: "too-costly" });
    expect(over.body.issue[0]!.diagnostics).toMatch(/more than 30 parameters.*FHIRLEDGER_MAX_QUERY_PARAMS/);
    // the GET form counts the same
    const get = await server.json<Outcome>(`/Patient?${form(unknown(31))}`);
    expect(get.status).toBe(400);
  });

  it("caps the warnings of $everything and history alike", async () => {
    const created = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient" }),
    });
    for (const path of [`/Patient/${created.body.id}/$everything`, `/Patient/${created.body.id}/_history`]) {
      const res = await server.json<Bundle>(`${path}?${form(unknown(25))}`);
      expect(res.status, path).toBe(200);
      const issues = res.body.entry!.find((e) => e.resource?.resourceType === "OperationOutcome")!.resource!.issue!;
      expect(issues, path).toHaveLength(21);
      expect(issues[20]!.diagnostics, path).toBe("and 5 more parameters (only the first 20 are listed)");
    }
  });
});

describe("the size of the SQL a search compiles to", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { FHIRLEDGER_MAX_SEARCH_TERMS: "12" } });
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  const names = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`).join(",");

  it("runs a search of FHIRLEDGER_MAX_SEARCH_TERMS terms, and refuses one more with a 400 naming the limit", async () => {
    // one subquery over the string index and one condition per OR value
    const atLimit = await server.json<Bundle>(`/Patient?family=${names(11)}`);
    expect(atLimit.status).toBe(200);
    const over = await server.json<Outcome>(`/Patient?family=${names(12)}`);
    expect(over.status).toBe(400);
    expect(over.body.issue[0]).toMatchObject({
      severity: "error",
      code: "too-costly",
      diagnostics:
        "The search compiles to more than 12 SQL terms (FHIRLEDGER_MAX_SEARCH_TERMS); use fewer OR values or parameters, or name the target type of a chain (subject:Patient.name)",
    });
  });

  it("counts the branches of a chain to every target type", async () => {
    // subject of Observation, untyped, is a Patient or a Group with that name: 2 + 2 × (1 + 1 + 4) terms
    const untyped = await server.json<Outcome>(`/Observation?subject.name=${names(4)}`);
    expect(untyped.status).toBe(400);
    expect(untyped.body.issue[0]!.code).toBe("too-costly");
    // typed, the same is 2 + 1 + 1 + 4
    expect((await server.json<Bundle>(`/Observation?subject:Patient.name=${names(4)}`)).status).toBe(200);
  });
});

describe("hostile searches on the default limits", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  const ids = Array.from({ length: 100 }, (_, i) => `x${i}`).join(",");

  it("refuses a chain that fans out to thousands of SQL terms with a 400 naming the limit, not a 500", async () => {
    // 11 types × 8 × 11 chain branches per value: 968 subqueries per value, 98,169 SQL variables in all
    const res = await server.json<Outcome>(`/Library?composed-of.derived-from.performer._id=${ids}`);
    expect(res.status).toBe(400);
    expect(res.body.issue[0]).toMatchObject({ severity: "error", code: "too-costly" });
    expect(res.body.issue[0]!.diagnostics).toMatch(/more than 1000 SQL terms.*FHIRLEDGER_MAX_SEARCH_TERMS/);
    // with the target types named, the chain is a few terms and answered
    const typed = `/Library?composed-of:Library.derived-from:Library.name=${ids}`;
    expect((await server.json<Bundle>(typed)).status).toBe(200);
  });

  it("refuses 64 chained parameters with OR values before running them", async () => {
    const values = (i: number) => Array.from({ length: 100 }, (_, j) => `n${i}x${j}`).join(",");
    const chains = Array.from({ length: 64 }, (_, i): [string, string] => [`subject.name`, values(i)]);
    const started = Date.now();
    const res = await server.json<Outcome>("/Observation/_search", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form(chains),
    });
    expect(res.status).toBe(400);
    expect(res.body.issue[0]!.code).toBe("too-costly");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("refuses 2.5 million unknown parameters with a short 400 instead of echoing them", async () => {
    const body = "u=1&".repeat(2_500_000);
    const res = await server.request("/Patient/_search", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(2000);
    expect(JSON.parse(text).issue[0].diagnostics).toMatch(/FHIRLEDGER_MAX_QUERY_PARAMS/);
  });
});
