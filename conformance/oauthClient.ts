import { createHash, randomBytes } from "node:crypto";
import { SignJWT, importJWK } from "jose";
import type { KeyClient } from "./config.ts";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function randomState(): string {
  return randomBytes(12).toString("base64url");
}

/** An RFC 7523 client assertion for the token endpoint; `claims` override the good defaults (the refusal checks). */
export async function clientAssertion(
  client: KeyClient,
  tokenUrl: string,
  claims: Record<string, unknown> = {},
  expiresIn = 240,
): Promise<string> {
  const alg = String(client.privateJwk.alg ?? "RS384");
  const key = await importJWK(client.privateJwk, alg);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomBytes(16).toString("hex"), ...claims })
    .setProtectedHeader({ alg, typ: "JWT", ...(client.privateJwk.kid ? { kid: client.privateJwk.kid } : {}) })
    .setIssuer(String(claims.iss ?? client.clientId))
    .setSubject(String(claims.sub ?? client.clientId))
    .setAudience(String(claims.aud ?? tokenUrl))
    .setIssuedAt(now)
    .setExpirationTime(now + expiresIn)
    .sign(key);
}

/** How one kind of client authenticates at the token endpoint. */
export type ClientAuth =
  | { kind: "public"; clientId: string }
  | { kind: "symmetric"; clientId: string; clientSecret: string }
  | { kind: "asymmetric"; client: KeyClient };

export function clientIdOf(auth: ClientAuth): string {
  return auth.kind === "asymmetric" ? auth.client.clientId : auth.clientId;
}

export function basicAuthorization(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`;
}

/** The form fields and headers that authenticate `auth` at `tokenUrl`. */
export async function authenticateAs(
  auth: ClientAuth,
  tokenUrl: string,
): Promise<{ fields: Record<string, string>; headers: Record<string, string> }> {
  if (auth.kind === "public") return { fields: { client_id: auth.clientId }, headers: {} };
  if (auth.kind === "symmetric")
    return { fields: {}, headers: { authorization: basicAuthorization(auth.clientId, auth.clientSecret) } };
  return {
    fields: { client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion(auth.client, tokenUrl) },
    headers: {},
  };
}

/** A response read whole: status, headers and the parsed JSON body (undefined when not JSON). */
export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | undefined;
  text: string;
}

const MAX_BODY_CHARS = 4 * 1024 * 1024;

export async function readJson(response: Response): Promise<JsonResponse> {
  const text = (await response.text()).slice(0, MAX_BODY_CHARS);
  let body: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    body = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

export async function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<JsonResponse> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
  });
  return readJson(response);
}

export async function getJson(url: string, headers: Record<string, string>, timeoutMs: number): Promise<JsonResponse> {
  const response = await fetch(url, {
    headers: { accept: "application/fhir+json, application/json", ...headers },
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
  });
  return readJson(response);
}

/** A short description of an error answer, for a failure message (never the request's secrets). */
export function describe(response: JsonResponse): string {
  const error = response.body?.error;
  const issue = (response.body?.issue as { diagnostics?: string }[] | undefined)?.[0]?.diagnostics;
  const detail =
    typeof error === "string"
      ? `${error}${typeof response.body?.error_description === "string" ? `: ${response.body.error_description}` : ""}`
      : (issue ?? response.text.slice(0, 200));
  return `HTTP ${response.status} ${detail}`;
}
