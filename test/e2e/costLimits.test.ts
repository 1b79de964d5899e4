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

describe("the resources one response carries", () => {
  const MAX_BYTES = 10_000;
  const MAX_RESOURCES = 5;
  let server: TestServer;
  /** Stored size of a resource: the body of a plain read is the resource as stored. */
  const storedSize = async (path: string) => (await (await server.request(path)).arrayBuffer()).byteLength;
  const basic = (id: string, code: string, pad: number) => ({
    resourceType: "Basic",
    id,
    code: { text: code },
    text: { status: "generated", div: `<div xmlns="http://www.w3.org/1999/xhtml">${"x".repeat(pad)}</div>` },
  });
  const put = async (resource: { resourceType: string; id: string }) => {
    const res = await server.request(`/${resource.resourceType}/${resource.id}`, {
      method: "PUT",
      body: JSON.stringify(resource),
    });
    await res.arrayBuffer();
    expect(res.status).toBe(201);
  };
  const matches = (b: Bundle, mode = "match") => (b.entry ?? []).filter((e) => e.search?.mode === mode);
  const next = (b: Bundle) => b.link.find((l) => l.relation === "next")?.url;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        FHIRLEDGER_MAX_RESPONSE_BYTES: String(MAX_BYTES),
        FHIRLEDGER_MAX_RESPONSE_RESOURCES: String(MAX_RESOURCES),
      },
    });
    // Five Basics of exactly a quarter of the byte limit each: the stored size grows with the padding.
    await put(basic("pr01", "bag", 1000));
    const pad = 1000 + MAX_BYTES / 4 - (await storedSize("/Basic/pr01"));
    for (let i = 1; i <= 5; i++) await put(basic(`big${i}`, "big", pad));
    expect(await storedSize("/Basic/big1")).toBe(MAX_BYTES / 4);
    await put(basic("huge", "huge", MAX_BYTES + 2000));
    // Six small patients, one of them with five Observations; three Observations refer to three others.
    for (let i = 1; i <= 6; i++)
      await put({ resourceType: "Patient", id: `c${i}`, name: [{ family: "Count" }] } as never);
    for (let i = 1; i <= 5; i++)
      await put({
        resourceType: "Observation",
        id: `m${i}`,
        status: "final",
        code: { text: "member" },
        subject: { reference: "Patient/c1" },
      } as never);
    for (let i = 1; i <= 3; i++)
      await put({
        resourceType: "Observation",
        id: `i${i}`,
        status: "final",
        code: { text: "inc" },
        subject: { reference: `Patient/c${i + 1}` },
      } as never);
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("fills a search page up to FHIRLEDGER_MAX_RESPONSE_BYTES, and ends a page early past it with a next link", async () => {
    const atLimit = await server.json<Bundle>("/Basic?code:text=big&_count=4&_sort=_id");
    expect(matches(atLimit.body).map((e) => e.resource!.id)).toEqual(["big1", "big2", "big3", "big4"]);
    expect(outcomeOf(atLimit.body)).toBeUndefined();

    const over = await server.json<Bundle>("/Basic?code:text=big&_count=5&_sort=_id");
    expect(over.status).toBe(200);
    expect(over.body.total).toBe(5);
    expect(matches(over.body).map((e) => e.resource!.id)).toEqual(["big1", "big2", "big3", "big4"]);
    const issue = outcomeOf(over.body)!.issue![0]!;
    expect(issue).toMatchObject({ severity: "information", code: "informational" });
    expect(issue.diagnostics).toMatch(/holds 4 of the 5 matches.*FHIRLEDGER_MAX_RESPONSE_BYTES/);
    // the next page goes on after the last match sent, and is the last
    const rest = await server.json<Bundle>(new URL(next(over.body)!).pathname + new URL(next(over.body)!).search);
    expect(matches(rest.body).map((e) => e.resource!.id)).toEqual(["big5"]);
    expect(next(rest.body)).toBeUndefined();
  });

  it("always sends one resource, even one larger than the limit", async () => {
    const huge = await server.json<Bundle>("/Basic?code:text=huge");
    expect(matches(huge.body).map((e) => e.resource!.id)).toEqual(["huge"]);
  });

  it("fills a page up to FHIRLEDGER_MAX_RESPONSE_RESOURCES, and ends it early past it", async () => {
    const atLimit = await server.json<Bundle>("/Patient?family=Count&_count=5&_sort=_id");
    expect(matches(atLimit.body)).toHaveLength(5);
    expect(next(atLimit.body)).toBeDefined();
    expect(outcomeOf(atLimit.body)).toBeUndefined();
    const over = await server.json<Bundle>("/Patient?family=Count&_count=6&_sort=_id");
    expect(matches(over.body).map((e) => e.resource!.id)).toEqual(["c1", "c2", "c3", "c4", "c5"]);
    expect(outcomeOf(over.body)!.issue![0]!.diagnostics).toMatch(/holds 5 of the 6 matches/);
    const rest = await server.json<Bundle>(new URL(next(over.body)!).pathname + new URL(next(over.body)!).search);
    expect(matches(rest.body).map((e) => e.resource!.id)).toEqual(["c6"]);
  });

  it("cuts _include results off at the limit and says so; the includes are those of the matches sent", async () => {
    const within = await server.json<Bundle>(
      "/Observation?code:text=inc&_count=2&_sort=_id&_include=Observation:subject",
    );
    expect(matches(within.body)).toHaveLength(2);
    expect(matches(within.body, "include").map((e) => e.resource!.id)).toEqual(["c2", "c3"]);
    expect(outcomeOf(within.body)).toBeUndefined();
    const over = await server.json<Bundle>("/Observation?code:text=inc&_sort=_id&_include=Observation:subject");
    expect(matches(over.body).map((e) => e.resource!.id)).toEqual(["i1", "i2", "i3"]);
    expect(matches(over.body, "include")).toHaveLength(2);
    const issue = outcomeOf(over.body)!.issue!.find((i) => i.code === "too-costly")!;
    expect(issue.diagnostics).toMatch(/added 2 of 3 resources.*FHIRLEDGER_MAX_RESPONSE_RESOURCES/);
  });

  it("ends a $everything page at the limit, with a next link going on from there", async () => {
    const atLimit = await server.json<Bundle>("/Patient/c1/$everything?_count=5");
    expect(atLimit.body.entry).toHaveLength(5);
    const over = await server.json<Bundle>("/Patient/c1/$everything?_count=6");
    const sent = over.body.entry!.filter((e) => e.search?.mode === "match");
    expect(sent.map((e) => e.resource!.id)).toEqual(["c1", "m1", "m2", "m3", "m4"]);
    const issue = over.body.entry!.find((e) => e.search?.mode === "outcome")!.resource!.issue![0]!;
    expect(issue.diagnostics).toMatch(/holds 5 of the 6 resources/);
    const rest = await server.json<Bundle>(new URL(next(over.body)!).pathname + new URL(next(over.body)!).search);
    expect(rest.body.entry!.map((e) => e.resource!.id)).toEqual(["m5"]);
    expect(next(rest.body)).toBeUndefined();
  });

  const batch = (type: string, urls: string[]) =>
    server.json<Bundle & Outcome>("/", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Bundle",
        type,
        entry: urls.map((url) => ({ request: { method: "GET", url } })),
      }),
    });

  it("answers the GET entries of a batch up to the limit, and each one past it with a 400 too-costly", async () => {
    const four = await batch("batch", ["Basic/big1", "Basic/big2", "Basic/big3", "Basic/big4"]);
    expect(four.body.entry!.map((e) => e.response!.status)).toEqual(["200 OK", "200 OK", "200 OK", "200 OK"]);
    const six = await batch("batch", [
      "Basic/big1",
      "Basic/big2",
      "Basic/big3",
      "Basic/big4",
      "Basic/big5",
      "Patient/c1",
    ]);
    expect(six.status).toBe(200);
    expect(six.body.entry!.map((e) => e.response!.status)).toEqual([
      "200 OK",
      "200 OK",
      "200 OK",
      "200 OK",
      "400 Bad Request",
      "400 Bad Request",
    ]);
    const refused = six.body.entry![4]!.response!.outcome!.issue[0]!;
    expect(refused.code).toBe("too-costly");
    expect(refused.diagnostics).toMatch(/Bundle\.entry\[4\].*FHIRLEDGER_MAX_RESPONSE_BYTES/);
    expect(six.body.entry![4]!.resource).toBeUndefined();
  });

  it("counts the searches of a batch against the same budget", async () => {
    const res = await batch("batch", ["Basic?code:text=big&_count=1000", "Basic?code:text=big", "Patient/c1"]);
    const [first, second, third] = res.body.entry!;
    expect(first!.response!.status).toBe("200 OK");
    expect(matches(first!.resource as unknown as Bundle)).toHaveLength(4);
    expect(second!.response!.status).toBe("400 Bad Request");
    expect(third!.response!.status).toBe("400 Bad Request");
  });

  it("streams searchsets, $everything and batch responses, the stored resources in them as they were stored", async () => {
    const stored = await (await server.request("/Basic/big1")).text();
    const search = await server.request("/Basic?code:text=big&_count=1&_sort=_id");
    expect(search.headers.get("transfer-encoding")).toBe("chunked");
    expect(search.headers.get("content-length")).toBeNull();
    const text = await search.text();
    expect(text).toContain(`"resource":${stored},"search":{"mode":"match"}`);
    expect(matches(JSON.parse(text) as Bundle).map((e) => e.resource!.id)).toEqual(["big1"]);

    const res = await server.request("/", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Bundle",
        type: "batch",
        entry: [{ request: { method: "GET", url: "Basic/big1" } }, { request: { method: "GET", url: "Basic/nope" } }],
      }),
    });
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    const body = await res.text();
    expect(body).toContain(`"resource":${stored},"response":{"status":"200 OK"`);
    const bundle = JSON.parse(body) as Bundle;
    expect(bundle.type).toBe("batch-response");
    expect(bundle.entry!.map((e) => e.response!.status)).toEqual(["200 OK", "404 Not Found"]);
    const patient = await (await server.request("/Patient/c1")).text();
    const everything = await server.request("/Patient/c1/$everything?_count=1");
    expect(everything.headers.get("transfer-encoding")).toBe("chunked");
    expect(await everything.text()).toContain(`"resource":${patient},"search":{"mode":"match"}`);
    // _pretty still writes the whole body, indented
    const pretty = await server.request("/Basic?code:text=big&_count=1&_pretty=true");
    expect(await pretty.text()).toMatch(/^{\n {2}"resourceType": "Bundle"/);
  });

  it("fails a transaction whose GET entries hold more than the limit, before it writes", async () => {
    const before = (await server.json<Bundle>("/Basic?_summary=count")).body.total;
    const res = await server.json<Outcome>("/", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Bundle",
        type: "transaction",
        entry: [
          { resource: { resourceType: "Basic", code: { text: "new" } }, request: { method: "POST", url: "Basic" } },
          ...["big1", "big2", "big3", "big4", "big5"].map((id) => ({ request: { method: "GET", url: `Basic/${id}` } })),
        ],
      }),
    });
    expect(res.status).toBe(400);
    expect(res.body.issue[0]!.code).toBe("too-costly");
    expect((await server.json<Bundle>("/Basic?_summary=count")).body.total).toBe(before);
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

  it("refuses 64 chained parameters with 100 OR values each before running them (they ran 117 s)", async () => {
    const values = (i: number) => Array.from({ length: 100 }, (_, j) => `n${i}x${j}`).join(",");
    const chains = Array.from({ length: 64 }, (_, i): [string, string] => [`subject.name`, values(i)]);
    const res = await server.json<Outcome>("/Observation/_search", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form(chains),
    });
    expect(res.status).toBe(400);
    expect(res.body.issue[0]!.code).toBe("too-costly");
  });

  it("answers a batch of 300 searches over a 31 MB resource within the response limit", async () => {
    const div = `<div xmlns="http://www.w3.org/1999/xhtml">${"x".repeat(31 * 1000 * 1000)}</div>`;
    const put = await server.request("/Basic/large", {
      method: "PUT",
      body: JSON.stringify({
        resourceType: "Basic",
        id: "large",
        code: { text: "large" },
        text: { status: "generated", div },
      }),
    });
    await put.arrayBuffer();
    expect(put.status).toBe(201);
    const res = await server.request("/", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Bundle",
        type: "batch",
        entry: Array.from({ length: 300 }, () => ({ request: { method: "GET", url: "Basic?_count=1000" } })),
      }),
    });
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as Bundle;
    const statuses = bundle.entry!.map((e) => e.response!.status);
    // two copies of it fit in the default 64 MiB, a third does not
    expect(statuses.slice(0, 2)).toEqual(["200 OK", "200 OK"]);
    expect(new Set(statuses.slice(2))).toEqual(new Set(["400 Bad Request"]));
    expect(bundle.entry![2]!.response!.outcome!.issue[0]!.code).toBe("too-costly");
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
