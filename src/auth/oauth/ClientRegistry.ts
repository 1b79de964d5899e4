import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import type { JSONWebKeySet } from "jose";
import { OAuthError } from "./OAuthError.ts";
import { isLoopbackUrl } from "./isLoopbackUrl.ts";
import { isKnownScope, MAX_SCOPES } from "./scopes.ts";

export type ClientAuthMethod = "none" | "client_secret_basic" | "private_key_jwt";
export type GrantType = "authorization_code" | "refresh_token" | "client_credentials";

/** A registered OAuth client, as the token and authorize endpoints see it. */
export interface OAuthClient {
  clientId: string;
  name: string;
  /** "none" is a public client (PKCE only). */
  authMethod: ClientAuthMethod;
  /** Compared exactly with the authorize request's redirect_uri. */
  redirectUris: string[];
  /** The most the client may be granted (a requested scope must be covered by one of these). */
  scopes: string[];
  grantTypes: GrantType[];
  /** private_key_jwt: the client's public keys, inline... */
  jwks?: JSONWebKeySet;
  /** ...or where to fetch them. */
  jwksUri?: string;
  createdAt: number;
}

/** What an administrator, the CLI or dynamic registration supplies. */
export interface ClientRegistration {
  /** Chosen by the caller, or random when absent. */
  clientId?: string;
  name: string;
  authMethod: ClientAuthMethod;
  redirectUris?: string[];
  scopes: string[];
  grantTypes?: GrantType[];
  jwks?: JSONWebKeySet;
  jwksUri?: string;
}

export const MAX_REDIRECT_URIS = 10;
export const MAX_URI_LENGTH = 2000;
export const MAX_JWKS_KEYS = 10;
export const MAX_JWKS_BYTES = 64 * 1024;
export const MAX_CLIENTS = 10_000;
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,64}$/;
const GRANT_TYPES: readonly GrantType[] = ["authorization_code", "refresh_token", "client_credentials"];
const AUTH_METHODS: readonly ClientAuthMethod[] = ["none", "client_secret_basic", "private_key_jwt"];

function metadataError(message: string): OAuthError {
  return new OAuthError("invalid_client_metadata", message);
}

function hashSecret(secret: string): Buffer {
  // The secret is 32 random bytes made here, so one SHA-256 is enough (no dictionary to slow down).
  return createHash("sha256").update(secret, "utf8").digest();
}

/** Clients in oauth.sqlite: registration with checks, lookup, and constant-time secret checks. */
export class ClientRegistry {
  readonly #db: DatabaseSync;
  readonly #now: () => number;

  constructor(db: DatabaseSync, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /** Registers a client; a confidential symmetric client gets its secret here, once (it is stored hashed). */
  register(registration: ClientRegistration): { client: OAuthClient; clientSecret?: string } {
    const client = this.#validate(registration);
    const clientSecret =
      client.authMethod === "client_secret_basic" ? randomBytes(32).toString("base64url") : undefined;
    const count = Number((this.#db.prepare("SELECT COUNT(*) AS n FROM clients").get() as { n: number }).n);
    if (count >= MAX_CLIENTS) throw metadataError(`at most ${MAX_CLIENTS} clients may be registered`);
    try {
      this.#db
        .prepare(
          "INSERT INTO clients (client_id, name, auth_method, secret_hash, jwks, jwks_uri, redirect_uris, scopes, grant_types, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(
          client.clientId,
          client.name,
          client.authMethod,
          clientSecret === undefined ? null : hashSecret(clientSecret).toString("hex"),
          client.jwks === undefined ? null : JSON.stringify(client.jwks),
          client.jwksUri ?? null,
          JSON.stringify(client.redirectUris),
          client.scopes.join(" "),
          JSON.stringify(client.grantTypes),
          client.createdAt,
        );
    } catch (cause) {
      if (String((cause as Error).message).includes("UNIQUE")) throw metadataError("that client_id is taken");
      throw cause;
    }
    return clientSecret === undefined ? { client } : { client, clientSecret };
  }

  /** The client, or undefined for an unknown id (any string is safe to pass). */
  get(clientId: unknown): OAuthClient | undefined {
    if (typeof clientId !== "string" || !CLIENT_ID.test(clientId)) return undefined;
    const row = this.#db.prepare("SELECT * FROM clients WHERE client_id = ?").get(clientId);
    return row === undefined ? undefined : toClient(row);
  }

  list(): OAuthClient[] {
    return this.#db.prepare("SELECT * FROM clients ORDER BY created_at").all().map(toClient);
  }

  /** Removes a client; its grants end with it (the caller revokes them). */
  delete(clientId: string): boolean {
    return Number(this.#db.prepare("DELETE FROM clients WHERE client_id = ?").run(clientId).changes) > 0;
  }

  /** Constant-time check of a client_secret_basic secret. */
  checkSecret(clientId: string, secret: string): boolean {
    const row = this.#db.prepare("SELECT secret_hash FROM clients WHERE client_id = ?").get(clientId);
    const stored = typeof row?.secret_hash === "string" ? Buffer.from(row.secret_hash, "hex") : undefined;
    const given = hashSecret(secret.slice(0, 512));
    // Always one comparison of equal-length digests, known client or not.
    const same = timingSafeEqual(given, stored?.length === 32 ? stored : Buffer.alloc(32));
    return same && stored !== undefined;
  }

  #validate(r: ClientRegistration): OAuthClient {
    if (typeof r.name !== "string" || r.name.trim() === "" || r.name.length > 200)
      throw metadataError("client_name is required, at most 200 characters");
    const clientId = r.clientId ?? randomBytes(16).toString("base64url");
    if (typeof clientId !== "string" || !CLIENT_ID.test(clientId))
      throw metadataError("client_id is 1-64 characters of A-Z a-z 0-9 . _ ~ -");
    if (!AUTH_METHODS.includes(r.authMethod))
      throw metadataError("token_endpoint_auth_method is none, client_secret_basic or private_key_jwt");
    const grantTypes =
      r.grantTypes ??
      (r.authMethod === "private_key_jwt" ? ["client_credentials"] : ["authorization_code", "refresh_token"]);
    if (!Array.isArray(grantTypes) || grantTypes.length === 0 || grantTypes.some((g) => !GRANT_TYPES.includes(g)))
      throw metadataError("grant_types are among authorization_code, refresh_token, client_credentials");
    if (grantTypes.includes("client_credentials") && r.authMethod === "none")
      throw metadataError("a public client cannot use client_credentials");
    const redirectUris = r.redirectUris ?? [];
    if (!Array.isArray(redirectUris) || redirectUris.length > MAX_REDIRECT_URIS)
      throw new OAuthError("invalid_redirect_uri", `at most ${MAX_REDIRECT_URIS} redirect_uris`);
    for (const uri of redirectUris) checkRedirectUri(uri);
    if (grantTypes.includes("authorization_code") && redirectUris.length === 0)
      throw new OAuthError("invalid_redirect_uri", "an authorization_code client needs at least one redirect_uri");
    if (!Array.isArray(r.scopes) || r.scopes.length === 0 || r.scopes.length > MAX_SCOPES)
      throw metadataError(`scope lists 1 to ${MAX_SCOPES} scopes`);
    for (const scope of r.scopes) {
      if (typeof scope !== "string" || !isKnownScope(scope)) throw metadataError("scope holds an unknown scope");
    }
    if (r.authMethod === "private_key_jwt") {
      if ((r.jwks === undefined) === (r.jwksUri === undefined))
        throw metadataError("a private_key_jwt client gives exactly one of jwks and jwks_uri");
      if (r.jwks !== undefined) checkJwks(r.jwks);
      if (r.jwksUri !== undefined) checkJwksUri(r.jwksUri);
    } else if (r.jwks !== undefined || r.jwksUri !== undefined) {
      throw metadataError("jwks and jwks_uri are for private_key_jwt clients");
    }
    return {
      clientId,
      name: r.name.trim(),
      authMethod: r.authMethod,
      redirectUris: [...redirectUris],
      scopes: [...new Set(r.scopes)],
      grantTypes: [...new Set(grantTypes)],
      ...(r.jwks === undefined ? {} : { jwks: r.jwks }),
      ...(r.jwksUri === undefined ? {} : { jwksUri: r.jwksUri }),
      createdAt: this.#now(),
    };
  }
}

function parseUrl(value: unknown): URL | undefined {
  if (typeof value !== "string" || value.length > MAX_URI_LENGTH) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function checkRedirectUri(uri: unknown): void {
  const url = parseUrl(uri);
  if (url?.hash !== "" || url.username !== "" || url.password !== "")
    throw new OAuthError(
      "invalid_redirect_uri",
      `a redirect_uri is an absolute URL of at most ${MAX_URI_LENGTH} characters, without fragment or credentials`,
    );
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackUrl(url)))
    throw new OAuthError("invalid_redirect_uri", "a redirect_uri uses https (plain http only on loopback)");
}

function checkJwksUri(uri: unknown): void {
  const url = parseUrl(uri);
  if (url?.username !== "" || url.password !== "")
    throw metadataError(`jwks_uri is an absolute URL of at most ${MAX_URI_LENGTH} characters, without credentials`);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackUrl(url)))
    throw metadataError("jwks_uri uses https (plain http only on loopback)");
}

/** Public RSA or EC keys only, a few of them. */
export function checkJwks(jwks: unknown): asserts jwks is JSONWebKeySet {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_JWKS_KEYS)
    throw metadataError(`jwks holds 1 to ${MAX_JWKS_KEYS} keys`);
  if (JSON.stringify(jwks).length > MAX_JWKS_BYTES) throw metadataError("jwks is too large");
  for (const key of keys) {
    if (typeof key !== "object" || key === null) throw metadataError("a jwks key is an object");
    const k = key as Record<string, unknown>;
    if (k.kty !== "RSA" && k.kty !== "EC") throw metadataError("jwks keys are RSA or EC");
    if ("d" in k || "p" in k || "q" in k) throw metadataError("jwks must hold public keys only");
  }
}

function toClient(row: Record<string, unknown>): OAuthClient {
  return {
    clientId: String(row.client_id),
    name: String(row.name),
    authMethod: row.auth_method as ClientAuthMethod,
    redirectUris: JSON.parse(String(row.redirect_uris)) as string[],
    scopes: String(row.scopes).split(" "),
    grantTypes: JSON.parse(String(row.grant_types)) as GrantType[],
    ...(row.jwks === null ? {} : { jwks: JSON.parse(String(row.jwks)) as JSONWebKeySet }),
    ...(row.jwks_uri === null ? {} : { jwksUri: String(row.jwks_uri) }),
    createdAt: Number(row.created_at),
  };
}
