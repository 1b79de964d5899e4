/** The wiring the main engineer does: OAuth routes mounted before the FHIR app, one authenticator for both tokens. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { html } from "hono/html";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryKeyStore } from "../../src/adapters/keys/MemoryKeyStore.ts";
import { devTokenAuthenticator } from "../../src/auth/devTokenAuthenticator.ts";
import { createAuthorizationServer } from "../../src/auth/oauth/createAuthorizationServer.ts";
import type { AuthorizationServer } from "../../src/auth/oauth/createAuthorizationServer.ts";
import { firstAuthenticator } from "../../src/auth/oauth/firstAuthenticator.ts";
import { memoryFhir } from "../../src/fhir/testSupport/memoryFhir.ts";
import type { MemoryFhir } from "../../src/fhir/testSupport/memoryFhir.ts";
import { createApp } from "../../src/http/createApp.ts";
import { oauthRoutes } from "../../src/http/oauth/oauthRoutes.ts";
import { JWT_BEARER, assertion, clientKeys, postForm } from "./support/oauthHarness.ts";

const DEV = "dev-token-for-the-mount-test-0123";
let engine: MemoryFhir;
let auth: AuthorizationServer;
let base = "";
const http = createServer();

beforeAll(async () => {
  engine = await memoryFhir();
  await engine.put({ resourceType: "Patient", id: "m1", name: [{ family: "Mueller" }] });
  const dev = devTokenAuthenticator(DEV);
  auth = await createAuthorizationServer({
    databasePath: ":memory:",
    keys: new MemoryKeyStore(),
    baseUrl: () => base,
    adminAuthenticate: dev,
  });
  const authenticate = firstAuthenticator([auth.authenticate, dev]);
  const root = new Hono();
  root.route(
    "/",
    oauthRoutes({
      server: auth,
      session: { user: async () => undefined, csrfToken: async () => "", checkCsrf: async () => false },
      renderPage: (title, body) => html`<title>${title}</title>${body}`,
      authenticate,
    }),
  );
  root.route(
    "/",
    createApp({
      engine: engine.engine,
      authenticate,
      baseUrl: () => base,
      health: async () => ({ status: "ok", checks: {} }),
      metrics: async () => "",
      maxBodyBytes: 1 << 20,
    }),
  );
  http.on("request", getRequestListener(root.fetch));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  http.closeAllConnections();
  http.close();
  auth.close();
  await engine.close();
});

describe("OAuth routes mounted before createApp", () => {
  it("a Backend Services token reads FHIR; revoked, it is refused on the next request; the dev token still works", async () => {
    const keys = await clientKeys("ES384");
    auth.registerClient({
      clientId: "bulk",
      name: "Bulk",
      authMethod: "private_key_jwt",
      scopes: ["system/*.rs"],
      jwks: keys.jwks,
    });
    const tokenUrl = `${base}/auth/token`;
    const issued = await postForm(tokenUrl, {
      grant_type: "client_credentials",
      client_assertion_type: JWT_BEARER,
      scope: "system/Patient.rs",
      client_assertion: await assertion(keys, "bulk", tokenUrl),
    });
    expect(issued.status).toBe(200);
    const { access_token } = (await issued.json()) as { access_token: string };
    const read = (token?: string) =>
      fetch(`${base}/Patient/m1`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    expect((await read(access_token)).status).toBe(200);
    expect((await read()).status).toBe(401);
    expect((await read(DEV)).status).toBe(200);
    const revoked = await postForm(`${base}/auth/revoke`, { token: access_token }, { authorization: `Bearer ${DEV}` });
    expect(revoked.status).toBe(200);
    expect((await read(access_token)).status).toBe(401);
  });

  it("the FHIR app's JSON negotiation does not reach the OAuth routes and pages", async () => {
    const discovery = await fetch(`${base}/.well-known/smart-configuration`, {
      headers: { accept: "application/json" },
    });
    expect(discovery.status).toBe(200);
    const page = await fetch(`${base}/auth/authorize?client_id=unknown`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(400);
    expect(page.headers.get("content-type")).toContain("text/html");
    const metadata = await fetch(`${base}/metadata`);
    expect(metadata.status).toBe(200);
  });
});
