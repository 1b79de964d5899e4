import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devTokenAuthenticator } from "../auth/devTokenAuthenticator.ts";
import { memoryFhir } from "../fhir/testSupport/memoryFhir.ts";
import type { MemoryFhir } from "../fhir/testSupport/memoryFhir.ts";
import { createApp } from "./createApp.ts";
import { plainReadHandler } from "./plainRead.ts";

const TOKEN = "plain-read-test-token-0123456789";

/**
 * The plain-read path must be indistinguishable from the app's read route: the same request
 * goes to a server with the path in front and to one with the app alone, and the answers are
 * compared status, headers and body.
 */
describe("plain read path", () => {
  let engine: MemoryFhir;
  let fast: { url: string; server: Server; handled: string[] };
  let full: { url: string; server: Server };

  async function listen(withPlainRead: boolean): Promise<{ url: string; server: Server; handled: string[] }> {
    const authenticate = devTokenAuthenticator(TOKEN);
    const baseUrl = () => "http://fhir.test";
    const app = createApp({
      engine: engine.engine,
      authenticate,
      baseUrl,
      health: async () => ({ status: "ok", checks: {} }),
      metrics: async () => "",
      maxBodyBytes: 1 << 20,
    });
    const toApp = getRequestListener(app.fetch);
    const plainRead = plainReadHandler({ engine: engine.engine, authenticate, baseUrl });
    const handled: string[] = [];
    const server = createServer((req, res) => {
      if (withPlainRead && plainRead(req, res)) return handled.push(req.url!);
      return toApp(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, handled };
  }

  beforeAll(async () => {
    engine = await memoryFhir();
    await engine.put(
      { resourceType: "Patient", id: "p1", name: [{ family: "Chalmers", given: ["Peter"] }], birthDate: "1974-12-25" },
      {
        resourceType: "Observation",
        id: "o1",
        status: "final",
        code: { text: "ü décimal 😀" },
        valueQuantity: { value: 1.5, unit: "mg" },
      },
      { resourceType: "Patient", id: "gone" },
    );
    await engine.records.writeAll([{ kind: "delete", type: "Patient", id: "gone" }]);
    fast = await listen(true);
    full = await listen(false);
  });
  afterAll(async () => {
    fast.server.close();
    full.server.close();
    await engine.close();
  });

  async function both(path: string, headers: Record<string, string> = {}) {
    const init = { headers: { authorization: `Bearer ${TOKEN}`, ...headers } };
    const [a, b] = await Promise.all([fetch(fast.url + path, init), fetch(full.url + path, init)]);
    const view = async (r: Response) => {
      const h: Record<string, string> = {};
      r.headers.forEach((value, key) => {
        if (!["date", "x-request-id", "connection", "keep-alive"].includes(key)) h[key] = value;
      });
      return { status: r.status, headers: h, body: await r.text(), requestId: r.headers.get("x-request-id") };
    };
    return { fast: await view(a), full: await view(b) };
  }

  it("answers a read exactly as the app does: body as stored, ETag, Last-Modified, length", async () => {
    const { fast: f, full: g } = await both("/Observation/o1");
    expect(fast.handled).toContain("/Observation/o1");
    expect(f.status).toBe(200);
    expect(f.body).toContain('"text":"ü décimal 😀"');
    expect(f.headers["etag"]).toBe('W/"1"');
    expect(f.headers["content-type"]).toBe("application/fhir+json; charset=utf-8");
    expect(Number(f.headers["content-length"])).toBe(Buffer.byteLength(f.body));
    expect(f.headers["transfer-encoding"]).toBeUndefined();
    expect(f.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect({ ...f, requestId: "" }).toEqual({ ...g, requestId: "" });
  });

  it.each([
    ["unknown id", "/Patient/nobody", {}, 404],
    ["deleted", "/Patient/gone", {}, 410],
    ["unknown type", "/Foo/p1", {}, 404],
    ["no token", "/Patient/p1", { authorization: "" }, 401],
    ["wrong token", "/Patient/p1", { authorization: "Bearer wrong-token-wrong-token-00" }, 401],
  ] as const)("gives the app's OperationOutcome for %s", async (_, path, headers, status) => {
    const { fast: f, full: g } = await both(path, headers);
    expect(fast.handled).toContain(path);
    expect(f.status).toBe(status);
    expect(JSON.parse(f.body).resourceType).toBe("OperationOutcome");
    const withoutId = (r: typeof f) => ({ ...r, requestId: "", body: r.body.replace(/[0-9a-f-]{36}/g, "ID") });
    expect(withoutId(f)).toEqual(withoutId(g));
    if (status === 401) expect(f.headers["www-authenticate"]).toBe('Bearer realm="fhirledger"');
  });

  it("echoes a safe client request id", async () => {
    const { fast: f } = await both("/Patient/p1", { "x-request-id": "abc-123<script>" });
    expect(f.requestId).toBe("abc-123script");
  });

  it.each([
    ["a query", "/Patient/p1?_summary=true", {}],
    ["If-None-Match", "/Patient/p1", { "if-none-match": 'W/"1"' }],
    ["If-Modified-Since", "/Patient/p1", { "if-modified-since": new Date(Date.now() + 60_000).toUTCString() }],
    ["an Accept it can't serve", "/Patient/p1", { accept: "application/fhir+xml" }],
    ["an operation", "/Patient/$everything", {}],
    ["a trailing slash", "/Patient/p1/", {}],
  ] as const)("leaves requests with %s to the app", async (_, path, headers) => {
    const before = fast.handled.length;
    const { fast: f, full: g } = await both(path, headers);
    expect(fast.handled.length).toBe(before);
    expect(f.status).toBe(g.status);
  });
});
