import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

describe("configurable limits on what a client controls", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        FHIRLEDGER_MAX_BUNDLE_ENTRIES: "2",
        FHIRLEDGER_MAX_COUNT: "5",
        FHIRLEDGER_MAX_CHAIN_DEPTH: "1",
        FHIRLEDGER_MAX_OR_VALUES: "3",
        FHIRLEDGER_MAX_BODY_BYTES: "4096",
        FHIRLEDGER_MAX_INCLUDE_DEPTH: "1",
      },
    });
    for (let i = 0; i < 8; i++)
      await server.json("/Patient", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Patient", name: [{ family: `Limit${i}` }] }),
      });
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("answers each exceeded cap with a clear OperationOutcome and stores nothing", async () => {
    const entry = {
      resource: { resourceType: "Basic", code: { text: "x" } },
      request: { method: "POST", url: "Basic" },
    };
    const tooMany = await server.json<{ resourceType: string; issue: { diagnostics: string }[] }>("/", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: [entry, entry, entry] }),
    });
    expect([400, 413]).toContain(tooMany.status);
    expect(tooMany.body.resourceType).toBe("OperationOutcome");
    expect((await server.json<{ total: number }>("/Basic?_summary=count")).body.total).toBe(0);

    const big = await server.json<{ resourceType: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Patient",
        text: { status: "generated", div: `<div xmlns="http://www.w3.org/1999/xhtml">${"x".repeat(5000)}</div>` },
      }),
    });
    expect(big.status).toBe(413);
    expect(big.body.resourceType).toBe("OperationOutcome");

    const page = await server.json<{
      total: number;
      entry: { search: { mode: string }; resource: { issue?: { severity: string; diagnostics: string }[] } }[];
      link: { relation: string }[];
    }>("/Patient?_count=50");
    expect(page.status).toBe(200);
    expect(page.body.entry.filter((e) => e.search.mode === "match").length).toBe(5);
    // the reduction is reported, not silent
    expect(page.body.entry.find((e) => e.search.mode === "outcome")?.resource.issue).toEqual([
      {
        severity: "information",
        code: "informational",
        diagnostics: "_count=50 was reduced to 5, the most this server returns in one page",
      },
    ]);
    expect(page.body.total).toBe(8);
    expect(page.body.link.some((l) => l.relation === "next")).toBe(true);

    const deepChain = await server.json<{ resourceType: string }>("/Observation?subject:Patient.organization.name=x");
    expect(deepChain.status).toBe(400);
    expect(deepChain.body.resourceType).toBe("OperationOutcome");
    const manyOr = await server.json("/Patient?family=a,b,c,d");
    expect(manyOr.status).toBe(400);
    expect((await server.json("/Patient?family=a,b,c")).status).toBe(200);
  });

  /** Sends a body in chunks without Content-Length (Transfer-Encoding: chunked), as a streaming client does. */
  function postChunked(path: string, chunks: string[]): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const url = new URL(path, server.baseUrl);
      const req = httpRequest(
        url,
        {
          method: "POST",
          headers: { "content-type": "application/fhir+json", authorization: `Bearer ${server.devToken}` },
        },
        (res) => {
          let body = "";
          res.on("data", (d) => {
            body += d;
          });
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on("error", reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });
  }

  it("holds the body limit whether the body comes with a Content-Length or chunked", async () => {
    const before = (await server.json<{ total: number }>("/Patient?_summary=count")).body.total;
    const patient = (family: string, pad: number) =>
      JSON.stringify({
        resourceType: "Patient",
        name: [{ family }],
        text: { status: "generated", div: `<div xmlns="http://www.w3.org/1999/xhtml">${"x".repeat(pad)}</div>` },
      });
    // Content-Length over the limit: refused before the body is read.
    const sized = await server.json("/Patient", { method: "POST", body: patient("Sized", 5000) });
    expect(sized.status).toBe(413);
    // Chunked over the limit: refused while it streams.
    const big = patient("Chunked", 6000);
    const chunked = await postChunked("/Patient", [big.slice(0, 3000), big.slice(3000)]);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).resourceType).toBe("OperationOutcome");
    // Chunked under the limit: stored.
    const small = patient("ChunkedSmall", 10);
    expect((await postChunked("/Patient", [small.slice(0, 20), small.slice(20)])).status).toBe(201);
    expect((await server.json<{ total: number }>("/Patient?_summary=count")).body.total).toBe(before + 1);
  });
});
