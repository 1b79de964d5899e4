/** One call builds a running authorization server over real HTTP, with in-memory ports and a test page session. */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { html } from "hono/html";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import type { JWK } from "jose";
import { MemoryKeyStore } from "../../../src/adapters/keys/MemoryKeyStore.ts";
import { devTokenAuthenticator } from "../../../src/auth/devTokenAuthenticator.ts";
import { createAuthorizationServer } from "../../../src/auth/oauth/createAuthorizationServer.ts";
import type {
  AuthorizationServer,
  AuthorizationServerOptions,
} from "../../../src/auth/oauth/createAuthorizationServer.ts";
import type { PageSession, PatientPicker, SessionUser } from "../../../src/auth/oauth/ports.ts";
import { oauthRoutes } from "../../../src/http/oauth/oauthRoutes.ts";

export const ADMIN_TOKEN = "admin-token-0123456789abcdef";
export const REDIRECT = "https://app.example/callback";

export const USERS: Record<string, SessionUser> = {
  pat: { userId: "u-pat", username: "pat", role: "patient", fhirUser: "Patient/p1" },
  doc: { userId: "u-doc", username: "doc", role: "practitioner", fhirUser: "Practitioner/d1" },
};

export const PATIENTS = [
  { id: "p1", name: "Alice Able" },
  { id: "p2", name: "Bob Baker" },
];

/** Cookie `session=<username>`; the CSRF token of a user is `csrf-<username>`. */
const session: PageSession = {
  async user(c) {
    const match = /(?:^|;\s*)session=([a-z]+)/.exec(c.req.header("cookie") ?? "");
    return match ? USERS[match[1]!] : undefined;
  },
  async csrfToken(c) {
    return `csrf-${(await this.user(c))?.username ?? "anon"}`;
  },
  async checkCsrf(c, token) {
    const user = await this.user(c);
    return user !== undefined && token === `csrf-${user.username}`;
  },
};

const picker: PatientPicker = {
  async search(user, query, limit) {
    if (user.role !== "practitioner") return [];
    return PATIENTS.filter((p) => p.name.toLowerCase().includes(query.toLowerCase())).slice(0, limit);
  },
  async get(user, id) {
    return user.role === "practitioner" ? PATIENTS.find((p) => p.id === id) : undefined;
  },
};

export interface Harness {
  base: string;
  server: AuthorizationServer;
  /** A small FHIR stand-in: GET /fhir-whoami answers the Actor of the bearer token (401 otherwise). */
  whoami(token: string): Promise<Response>;
  close(): Promise<void>;
}

/** Starts the routes on 127.0.0.1 port 0 with a MemoryKeyStore and a temporary oauth.sqlite. */
export async function startHarness(overrides: Partial<AuthorizationServerOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "fhirledger-oauth-"));
  let base = "";
  const server = await createAuthorizationServer({
    dataDir: dir,
    keys: new MemoryKeyStore(),
    baseUrl: () => base,
    adminAuthenticate: devTokenAuthenticator(ADMIN_TOKEN),
    ...overrides,
  });
  const root = new Hono();
  root.route(
    "/",
    oauthRoutes({
      server,
      session,
      renderPage: (title, body) => html`<!doctype html><title>${title}</title><main>${body}</main>`,
      patientPicker: picker,
      authenticate: async (authorization) => {
        if (authorization === `Bearer ${ADMIN_TOKEN}`) return { id: "system", role: "system", scopes: ["system/*.*"] };
        return server.authenticate(authorization);
      },
    }),
  );
  root.get("/fhir-whoami", async (c) => {
    try {
      return c.json(await server.authenticate(c.req.header("authorization")));
    } catch (error) {
      return c.json({ message: (error as Error).message }, 401);
    }
  });
  const http: Server = createServer(getRequestListener(root.fetch));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    base,
    server,
    whoami: (token) => fetch(`${base}/fhir-whoami`, { headers: { authorization: `Bearer ${token}` } }),
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** POST a form. */
export function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  });
}

export function basic(clientId: string, secret: string): Record<string, string> {
  return {
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`,
  };
}

/** A backend client's key pair and its public JWKS. */
export async function clientKeys(alg: "ES384" | "RS384") {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomBytes(8).toString("hex");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg };
  return { alg, kid, privateKey, jwks: { keys: [jwk] } };
}

/** An RFC 7523 client assertion; `claims` and `header` override the good defaults. */
export async function assertion(
  keys: Awaited<ReturnType<typeof clientKeys>>,
  clientId: string,
  tokenUrl: string,
  options: { claims?: Record<string, unknown>; expiresIn?: number; alg?: string; key?: unknown } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomBytes(12).toString("hex"), ...options.claims })
    .setProtectedHeader({ alg: options.alg ?? keys.alg, kid: keys.kid, typ: "JWT" })
    .setIssuer(String(options.claims?.iss ?? clientId))
    .setSubject(String(options.claims?.sub ?? clientId))
    .setAudience(String(options.claims?.aud ?? tokenUrl))
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 240))
    .sign((options.key ?? keys.privateKey) as CryptoKey);
}

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** A PKCE verifier and its S256 challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}
