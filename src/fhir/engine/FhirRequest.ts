import type { FhirResult } from "../FhirInteractions.ts";

/** The request headers the engine acts on; every other header is the HTTP edge's business. */
export interface FhirRequestHeaders {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifNoneExist?: string;
  ifModifiedSince?: string;
  prefer?: string;
}

/**
 * A FHIR REST request as plain values, whatever transport it came by.
 * @see https://hl7.org/fhir/R4/http.html
 */
export interface FhirRequest {
  /** GET, POST, PUT, PATCH or DELETE (HEAD is answered as GET). */
  method: string;
  /** The path below the base, split at `/`: `Patient/p1/_history/2` is `["Patient", "p1", "_history", "2"]`; the base itself is `[]`. */
  path: readonly string[];
  /** The search parameters: the URL's, plus a `_search` form body's. */
  query: URLSearchParams;
  /** The URL's query string as sent, without `?` ("" when there is none): conditional criteria. */
  rawQuery: string;
  headers: FhirRequestHeaders;
  /** The body, parsed as JSON (undefined when the interaction takes none). */
  body?: unknown;
  /** The body's bytes as sent: an idempotent transaction hashes them. */
  bytes?: Uint8Array;
  /** Public base URL of the FHIR endpoint, no trailing slash. */
  baseUrl: string;
  /** The X-Request-Id the response carries: the audit records name the request by it. */
  requestId?: string;
}

/**
 * What the engine answers: status, the resource (or its stored text and bytes), the version it
 * names (ETag, Last-Modified, Location) and any header the interaction itself sets.
 */
export interface FhirResponse extends FhirResult {
  headers?: Record<string, string>;
}
