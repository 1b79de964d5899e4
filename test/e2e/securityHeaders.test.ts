import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../../src/http/testSupport/rawRequest.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

const CSP = "default-src 'none'; frame-ancestors 'none'";

/** Headers as a lower-cased record, from a fetch Response or the head of a raw answer. */
function headersOf(source: Headers | string): Record<string, string> {
  if (typeof source !== "string") {
    const record: Record<string, string> = {};
    source.forEach((value, name) => {
      record[name] = value;
    });
    return record;
  }
  const pairs = source
    .split("\r\n")
    .slice(1)
    .map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]);
  return Object.fromEntries(pairs);
}

describe("response headers: no caching of PHI, no sniffing, nothing a browser would render", () => {
  let server: TestServer;
  let id: string;
  beforeAll(async () => {
    server = await startTestServer();
    const created = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Headers" }] }),
    });
    id = created.body.id;
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("every FHIR response, success or error, is no-store, nosniff and under a deny-all CSP", async () => {
    const cases: [string, string, RequestInit & { auth?: boolean }, number][] = [
      ["plain read (fast path)", `/Patient/${id}`, {}, 200],
      ["read with a query", `/Patient/${id}?_pretty=true`, {}, 200],
      ["search", "/Patient?family=Headers", {}, 200],
      ["history", `/Patient/${id}/_history`, {}, 200],
      [
        "create",
        "/Patient",
        { method: "POST", body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Second" }] }) },
        201,
      ],
      ["not found (fast path)", "/Patient/no-such-patient", {}, 404],
      ["unauthorized (fast path)", `/Patient/${id}`, { auth: false }, 401],
      ["unauthorized search", "/Patient", { auth: false }, 401],
      ["invalid body", "/Patient", { method: "POST", body: "{" }, 400],
      ["method not allowed", "/metadata", { method: "DELETE" }, 405],
      ["not acceptable", "/Patient", { headers: { accept: "text/html" } }, 406],
      ["no route", "/no/such/route/at/all", {}, 404],
      ["health", "/health", {}, 200],
      ["metrics", "/metrics", {}, 200],
      ["metadata in another format", "/metadata", { headers: { accept: "application/fhir+xml" } }, 406],
    ];
    for (const [name, path, init, status] of cases) {
      const res = await server.request(path, init);
      await res.arrayBuffer();
      expect(res.status, name).toBe(status);
      expect(res.headers.get("cache-control"), name).toBe("no-store");
      expect(res.headers.get("x-content-type-options"), name).toBe("nosniff");
      expect(res.headers.get("content-security-policy"), name).toBe(CSP);
    }
  });

  it("a conditional read still answers 304 with its ETag, under the same headers", async () => {
    const read = await server.request(`/Patient/${id}`);
    await read.arrayBuffer();
    const etag = read.headers.get("etag")!;
    expect(etag).toBe('W/"1"');
    const notModified = await server.request(`/Patient/${id}`, { headers: { "if-none-match": etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("etag")).toBe(etag);
    expect(headersOf(notModified.headers)).toMatchObject({
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-security-policy": CSP,
    });
  });

  it("the CapabilityStatement (no PHI, the same for everyone) may be cached for five minutes", async () => {
    for (const auth of [true, false]) {
      const res = await server.request("/metadata", { auth });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=300");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toBe(CSP);
    }
  });

  it("answers to requests node could not parse carry them too", async () => {
    const port = Number(new URL(server.baseUrl).port);
    const res = await rawRequest(port, `GET /Patient?family=${"a".repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    expect(res.status).toBe(414);
    expect(headersOf(res.head)).toMatchObject({
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-security-policy": CSP,
    });
  });
});
