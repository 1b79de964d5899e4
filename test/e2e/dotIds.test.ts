import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Outcome, Searchset } from "../support/fhirBundles.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

/** The id forms that are dot segments of a URL path: raw, percent-encoded, and mixed. */
const DOT_IDS = ["..", ".", "%2E%2E", "%2e%2e", ".%2E", "%2E"];
const patient = (id: string) => ({ resourceType: "Patient", id, name: [{ family: "Dots" }] });
const jsonPatch = JSON.stringify([{ op: "replace", path: "/name/0/family", value: "Patched" }]);

/**
 * `.` and `..` match the R4 id rule, but every URL parser (browsers, fetch, proxies, the one in
 * front of this server's router) removes them as path segments: `/Patient/..` is the base
 * itself, so such a resource could never be addressed. They are refused as ids on every path,
 * raw or percent-encoded, with a 400 OperationOutcome, and a URL holding a dot segment is never
 * routed to what it would normalise to (a system search, a read of another resource).
 */
describe("'.' and '..' are refused as ids, on every path", () => {
  let server: TestServer;

  /** A request sent with its path as written: fetch() would normalise the dot segments away. */
  const raw = (method: string, path: string, body?: string, contentType = "application/fhir+json") =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(server.baseUrl);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers: {
            authorization: `Bearer ${server.devToken}`,
            ...(body === undefined ? {} : { "content-type": contentType }),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => {
            text += d;
          });
          res.on("end", () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });

  beforeAll(async () => {
    server = await startTestServer();
    await server.putAll([patient("dots-p1")] as never);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  const cases = (id: string): [string, string, string?, string?][] => [
    ["GET", `/Patient/${id}`],
    ["GET", `/Patient/${id}?_format=json`],
    ["GET", `/Patient/${id}/_history/1`],
    ["GET", `/Patient/${id}/_history`],
    ["PUT", `/Patient/${id}`, JSON.stringify(patient(decodeURIComponent(id)))],
    ["DELETE", `/Patient/${id}`],
    ["PATCH", `/Patient/${id}`, jsonPatch, "application/json-patch+json"],
    ["GET", `/Patient/${id}/$everything`],
    ["POST", `/Patient/${id}/$everything`, ""],
    ["GET", `/Patient/${id}/$verify`],
    ["GET", `/Patient/${id}/_history/1/$verify`],
    ["POST", `/Patient/${id}/$validate`, JSON.stringify(patient("x"))],
    ["POST", `/Patient/${id}/$erase`, JSON.stringify({ resourceType: "Parameters" })],
    // a dot segment anywhere else is no way around it either
    ["GET", `/Patient/dots-p1/${id}`],
    ["GET", `/Patient/dots-p1/${id}/${id}/metadata`],
  ];

  it.each(DOT_IDS)(
    "%s: every path kind is a 400 OperationOutcome, never routed to what it normalises to",
    async (id) => {
      for (const [method, path, body, contentType] of cases(id)) {
        const res = await raw(method, path, body, contentType);
        expect(res.status, `${method} ${path}: ${res.body.slice(0, 300)}`).toBe(400);
        const outcome = JSON.parse(res.body) as Outcome;
        expect(outcome.resourceType).toBe("OperationOutcome");
        expect(outcome.issue[0]!.diagnostics, `${method} ${path}`).toMatch(/'\.' and '\.\.'|dot segment/);
      }
      expect((await server.request("/Patient/dots-p1")).status).toBe(200);
    },
  );

  it("refuses '.' and '..' as the id in a Bundle entry URL and as a resource's own id", async () => {
    for (const id of ["..", "."]) {
      const entries = [
        { request: { method: "PUT", url: `Patient/${id}` }, resource: patient(id) },
        { request: { method: "GET", url: `Patient/${id}` } },
        { request: { method: "DELETE", url: `Patient/${id}` } },
        { request: { method: "GET", url: `${server.baseUrl}/Patient/${id}` } },
        // a conditional update that matches nothing would create the resource at its body id
        { request: { method: "PUT", url: "Patient?identifier=urn:dots|none" }, resource: patient(id) },
      ];
      for (const entry of entries) {
        const transaction = await server.json<Outcome>("/", {
          method: "POST",
          body: JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: [entry] }),
        });
        expect(transaction.status, JSON.stringify(entry.request)).toBe(400);
        expect(transaction.body.resourceType).toBe("OperationOutcome");
      }
      const batch = await server.json<{ entry: { response: { status: string } }[] }>("/", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Bundle", type: "batch", entry: entries }),
      });
      expect(batch.body.entry.map((e) => e.response.status.slice(0, 3))).toEqual(entries.map(() => "400"));
      // PUT [type]?criteria with such an id in the body, and POST with one
      const conditional = await server.json<Outcome>("/Patient?identifier=urn:dots|none", {
        method: "PUT",
        body: JSON.stringify(patient(id)),
      });
      expect(conditional.status).toBe(400);
      const created = await server.json<Outcome>("/Patient", { method: "POST", body: JSON.stringify(patient(id)) });
      expect(created.status).toBe(400);
    }
    const all = await server.json<Searchset>("/Patient?_count=100");
    expect(all.body.entry?.map((e) => e.resource.id)).toEqual(["dots-p1"]);
  });

  it("still takes ids that only contain dots among other characters", async () => {
    for (const id of ["...", "a.b", ".a", "a..", "-.-"]) {
      const put = await raw("PUT", `/Patient/${id}`, JSON.stringify(patient(id)));
      expect(put.status, `${id}: ${put.body.slice(0, 200)}`).toBe(201);
      const read = await raw("GET", `/Patient/${id}`);
      expect(read.status, id).toBe(200);
      expect((JSON.parse(read.body) as { id: string }).id).toBe(id);
    }
  });
});
