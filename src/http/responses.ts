import { randomUUID } from "node:crypto";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { FhirResult } from "../fhir/FhirInteractions.ts";
import { toOperationOutcome } from "../fhir/outcome/operationOutcome.ts";

export const FHIR_JSON = "application/fhir+json; charset=utf-8";

/**
 * On every response: not stored by any cache (responses carry PHI), not sniffed as another
 * type, and nothing a browser would run, load or frame.
 * @see https://owasp.org/www-project-secure-headers/
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
});

/**
 * CORS on every FHIR API response, so browser SMART apps can read what their token allows
 * (SMART App Launch 2.2). Any origin, no credentials mode: the API reads bearer tokens only,
 * never cookies, so a page gets nothing here its own token would not give it.
 */
export const API_CORS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": "Location, Content-Location, ETag, Last-Modified, X-Request-Id, WWW-Authenticate",
});

/** The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method) on the FHIR API. */
export const API_PREFLIGHT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...API_CORS_HEADERS,
  "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
  "Access-Control-Allow-Headers":
    "Authorization, Content-Type, Accept, If-Match, If-None-Match, If-None-Exist, If-Modified-Since, Prefer, X-Request-Id",
  "Access-Control-Max-Age": "600",
});

/** The one exception to no-store: a 200 to `GET /metadata`, whose CapabilityStatement holds no PHI and is the same for every caller. */
export const CAPABILITY_CACHE_CONTROL = "public, max-age=300";

/** The client's X-Request-Id made safe to echo and log (64 word characters at most), or a new one. */
export function requestIdOf(header: string | string[] | undefined): string {
  const given = typeof header === "string" ? header.slice(0, 64).replace(/[^A-Za-z0-9\-_.]/g, "") : "";
  return given || randomUUID();
}

const JSON_MEDIA = new Set([
  "*/*",
  "application/*",
  "application/json",
  "application/fhir+json",
  "json",
  "application/json+fhir",
]);
/** The `fhirVersion` of R4 in a mime type is "4.0" (4.0.1 is taken too). @see https://hl7.org/fhir/R4/http.html#version-parameter */
const R4_VERSION = /^4\.0(\.[0-9]+)?$/;

/**
 * Whether an Accept header (or `_format`) admits FHIR JSON, the only format served. A media
 * range naming another FHIR version (`fhirVersion=3.0`) does not.
 */
export function acceptsJson(accept: string): boolean {
  return accept.split(",").some((part) => {
    const [media, ...params] = part.split(";");
    return JSON_MEDIA.has(media!.trim().toLowerCase()) && isR4(params);
  });
}

/**
 * Whether a `_format` value admits FHIR JSON. A `+` written literally in a URL arrives as a
 * space (`application/fhir json`), so a space inside the mime type counts as `+`, as HAPI does.
 * @see https://hl7.org/fhir/R4/http.html#mime-type
 */
export function formatAcceptsJson(format: string): boolean {
  return acceptsJson(format.trim().replace(/([A-Za-z0-9]) +(?=[A-Za-z0-9])/g, "$1+"));
}

/** Whether the parameters of a media type (`; fhirVersion=4.0`) name R4, or no FHIR version at all. */
export function isR4(params: readonly string[]): boolean {
  return params.every((param) => {
    const eq = param.indexOf("=");
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== "fhirversion") return true;
    return R4_VERSION.test(
      param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1"),
    );
  });
}

/** ETag, Last-Modified and (for 201) Location of a result that carries a version. */
export function versionHeaders(result: FhirResult, baseUrl: () => string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (result.version) {
    const { type, id, versionId, lastUpdated } = result.version;
    headers.ETag = `W/"${versionId}"`;
    headers["Last-Modified"] = new Date(lastUpdated).toUTCString();
    if (result.status === 201) headers.Location = `${baseUrl()}/${type}/${id}/_history/${versionId}`;
  }
  return headers;
}

/**
 * Any error as an OperationOutcome response. Server faults (5xx) are logged by request id and
 * code only: no message from a dependency, no stack, no PHI.
 */
export function errorResponse(
  error: unknown,
  requestId: string,
  pretty: boolean,
  log?: (level: "info" | "warn" | "error", message: string, fields?: { requestId: string }) => void,
): { status: number; headers: Record<string, string>; body: string } {
  const { status, outcome } = toOperationOutcome(error, requestId);
  if (status >= 500)
    log?.(
      "error",
      `request ${requestId} failed: ${error instanceof FhirLedgerError ? `${error.code}: ${error.message}` : ((error as Error)?.name ?? "error")}`,
      { requestId },
    );
  const headers: Record<string, string> = { "Content-Type": FHIR_JSON };
  if (status === 401) headers["WWW-Authenticate"] = 'Bearer realm="fhirledger"';
  return { status, headers, body: JSON.stringify(outcome, null, pretty ? 2 : undefined) };
}
