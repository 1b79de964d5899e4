import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devTokenAuthenticator } from "../auth/devTokenAuthenticator.ts";
import { memoryFhir } from "../fhir/testSupport/memoryFhir.ts";
import type { MemoryFhir } from "../fhir/testSupport/memoryFhir.ts";
import { createApp } from "./createApp.ts";

const TOKEN = "cors-test-token-0123456789abcdef";
const ORIGIN = "https://app.example";

/** Browser SMART apps call the API from their own origin: CORS on every answer, preflights without a token. */
describe("createApp: CORS for browser apps", () => {
  let engine: MemoryFhir;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    engine = await memoryFhir();
    await engine.put({ resourceType: "Patient", id: "c1", name: [{ family: "Cors" }] });
    app = createApp({
      engine: engine.engine,
      authenticate: devTokenAuthenticator(TOKEN),
      baseUrl: () => "http://fhir.test",
      health: async () => ({ status: "ok", checks: {} }),
      metrics: async () => "",
      maxBodyBytes: 1 << 20,
    });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it("answers /metadata, a read and a 401 with Access-Control-Allow-Origin and the headers apps need exposed", async () => {
    const metadata = await app.request("http://fhir.test/metadata", { headers: { origin: ORIGIN } });
    expect(metadata.status).toBe(200);
    expect(metadata.headers.get("access-control-allow-origin")).toBe("*");
    const read = await app.request("http://fhir.test/Patient/c1", {
      headers: { origin: ORIGIN, authorization: `Bearer ${TOKEN}` },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBe("*");
    expect(read.headers.get("access-control-expose-headers")).toContain("ETag");
    const unauthorized = await app.request("http://fhir.test/Patient/c1", { headers: { origin: ORIGIN } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("access-control-allow-origin")).toBe("*");
    // No credentials mode: cookies are never invited.
    expect(read.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("answers a preflight (no token) with 204 and the methods and headers, but a plain OPTIONS stays a 405", async () => {
    const preflight = await app.request("http://fhir.test/Patient/c1", {
      method: "OPTIONS",
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "PUT",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("PUT");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Authorization.*Content-Type/);
    const plain = await app.request("http://fhir.test/Patient/c1", {
      method: "OPTIONS",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(plain.status).toBe(405);
  });
});
