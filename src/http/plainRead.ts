import type { IncomingMessage, ServerResponse } from "node:http";
import type { Authenticator } from "../auth/Actor.ts";
import type { FhirEngine } from "../fhir/engine/FhirEngine.ts";
import { stringifyJson } from "../json/preciseJson.ts";
import {
  acceptsJson,
  API_CORS_HEADERS,
  errorResponse,
  FHIR_JSON,
  requestIdOf,
  SECURITY_HEADERS,
  versionHeaders,
} from "./responses.ts";
import { ID_SOURCE, RESOURCE_TYPE_NAME_SOURCE } from "../fhir/ids.ts";

/** `GET /[type]/[id]` and nothing else: no query, no trailing slash, no `$` or `_` id. */
const PLAIN_READ = new RegExp(`^/(${RESOURCE_TYPE_NAME_SOURCE})/(${ID_SOURCE})$`);

export interface PlainReadOptions {
  /** The engine entry the read goes through, as every other request does. */
  engine: FhirEngine;
  authenticate: Authenticator;
  /** Public base URL of the FHIR endpoint, no trailing slash. */
  baseUrl: () => string;
  /** Audits a read refused before the engine saw it (a 401); resolves once durable. */
  auditRejected?: (request: { requestId: string; method: string; path: string }, error: unknown) => Promise<void>;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

/**
 * The commonest request, a plain read, answered straight from node's request: the same
 * authentication, read, headers and errors as the Hono route, without building a fetch
 * Request, a Response, Headers and the middleware chain (about a third of the CPU of a GET by
 * id). Anything else (a query, conditional headers, another format) returns false and goes
 * to the full app.
 * @see https://hl7.org/fhir/R4/http.html#read
 */
export function plainReadHandler(options: PlainReadOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { engine, authenticate } = options;
  return function plainRead(req, res) {
    if (req.method !== "GET") return false;
    const match = PLAIN_READ.exec(req.url ?? "");
    if (!match) return false;
    const h = req.headers;
    if (h["if-none-match"] !== undefined || h["if-modified-since"] !== undefined) return false;
    if (h.accept !== undefined && !acceptsJson(h.accept)) return false;
    const requestId = requestIdOf(h["x-request-id"]);
    const baseUrl = options.baseUrl();
    const path = [match[1]!, match[2]!];
    authenticate(h.authorization)
      .then(
        (actor) =>
          engine.handle(actor, {
            method: "GET",
            path,
            query: new URLSearchParams(),
            rawQuery: "",
            headers: {},
            baseUrl,
            requestId,
          }),
        async (error: unknown) => {
          await options.auditRejected?.({ requestId, method: "GET", path: `/${path.join("/")}` }, error);
          throw error;
        },
      )
      .then((result) => {
        // The stored bytes when there are some: no decoding to a string and encoding it back.
        const body = result.bytes ?? result.text ?? stringifyJson(result.resource);
        const headers = { ...versionHeaders(result, options.baseUrl), ...SECURITY_HEADERS, ...API_CORS_HEADERS };
        headers["X-Request-Id"] = requestId;
        headers["Content-Type"] = FHIR_JSON;
        // With its length known the response goes out as one write (no chunked framing).
        headers["Content-Length"] = String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
        res.writeHead(result.status, headers);
        res.end(body);
      })
      .catch((error: unknown) => {
        const { status, headers, body } = errorResponse(error, requestId, false, options.log);
        Object.assign(headers, SECURITY_HEADERS, API_CORS_HEADERS);
        headers["X-Request-Id"] = requestId;
        headers["Content-Length"] = String(Buffer.byteLength(body));
        if (!res.headersSent) res.writeHead(status, headers);
        res.end(body);
      });
    return true;
  };
}
