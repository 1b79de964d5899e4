import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Context } from "hono";
import { ANONYMOUS } from "../auth/Actor.ts";
import type { Actor, Authenticator } from "../auth/Actor.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { FhirEngine } from "../fhir/engine/FhirEngine.ts";
import type { FhirRequest, FhirRequestHeaders, FhirResponse } from "../fhir/engine/FhirRequest.ts";
import { INTERACTIONS } from "../fhir/engine/interactions.ts";
import type { InteractionRoute } from "../fhir/engine/InteractionRoute.ts";
import { matchRoute } from "../fhir/engine/matchRoute.ts";
import { toOperationOutcome } from "../fhir/outcome/operationOutcome.ts";
import { parseJsonBody } from "../json/parseJsonBody.ts";
import { stringifyJson } from "../json/preciseJson.ts";
import { allowedMethods } from "./allowedMethods.ts";
import { refuseDotSegments } from "./dotSegments.ts";
import { decodeFormParams } from "../fhir/search/decodeFormParams.ts";
import {
  acceptsJson,
  CAPABILITY_CACHE_CONTROL,
  errorResponse,
  FHIR_JSON,
  formatAcceptsJson,
  isR4,
  requestIdOf,
  SECURITY_HEADERS,
  API_CORS_HEADERS,
  API_PREFLIGHT_HEADERS,
  versionHeaders,
} from "./responses.ts";
import { registerPreferOutcome } from "./routes/preferOutcome.ts";
import { searchQuery } from "./searchQuery.ts";

export interface AppOptions {
  /** The one entry into the FHIR engine. */
  engine: FhirEngine;
  authenticate: Authenticator;
  /** Public base URL of the FHIR endpoint, no trailing slash. */
  baseUrl: () => string;
  /** `status` and `checks` (codes only) are public; the rest is shown to authenticated callers. */
  health: () => Promise<{ status: string; checks: Record<string, string> } & Record<string, unknown>>;
  /** Prometheus text exposition, for authenticated callers. */
  metrics: () => Promise<string>;
  maxBodyBytes: number;
  /** Audits a request refused at the edge before the engine saw it (a 401); resolves once durable. */
  auditRejected?: (request: { requestId: string; method: string; path: string }, error: unknown) => Promise<void>;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

export type Env = { Variables: { actor: Actor; requestId: string } };

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * The HTTP edge: registers a route per line of the interaction table, turns each request into
 * a FhirRequest for the engine and its FhirResponse into a response, with content negotiation,
 * ETag/Last-Modified/Location, Prefer and _pretty, and one error mapping.
 */
export function createApp(options: AppOptions): Hono<Env> {
  const app = new Hono<Env>();

  app.use("*", async (c, next) => {
    c.set("requestId", requestIdOf(c.req.header("x-request-id")));
    c.header("X-Request-Id", c.get("requestId"));
    // Set before the handler runs, so every response made from this context (errors too) has them.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    for (const [name, value] of Object.entries(API_CORS_HEADERS)) c.header(name, value);
    const capability = c.req.method === "GET" && c.req.path === "/metadata";
    if (capability) c.header("Cache-Control", CAPABILITY_CACHE_CONTROL);
    await next();
    if (capability && c.res.status !== 200) c.header("Cache-Control", SECURITY_HEADERS["Cache-Control"]);
  });

  // Before routing: the path Hono sees has its dot segments removed already, so the target as
  // sent (node's request, given by @hono/node-server as env.incoming) is checked.
  app.use("*", async function refuseDotSegmentsOfTarget(c, next) {
    const target = (c.env as { incoming?: { url?: unknown } } | undefined)?.incoming?.url;
    if (typeof target === "string") refuseDotSegments(target);
    await next();
  });

  // A browser's CORS preflight carries no token; it is answered before the method check and authentication.
  app.use("*", async function corsPreflight(c, next) {
    if (c.req.method !== "OPTIONS" || c.req.header("access-control-request-method") === undefined) return next();
    return c.body(null, 204, { ...API_PREFLIGHT_HEADERS });
  });

  // Before anything else: a method the path does not answer is a 405 whoever asks.
  app.use("*", async function allowMethod(c, next) {
    const path = c.req.path;
    const allowed = allowedMethods(path);
    if (allowed === undefined || allowed.methods.includes(c.req.method)) return next();
    const message = `${c.req.method.slice(0, 16)} is not supported on ${path.slice(0, 200)} (allowed: ${allowed.methods.join(", ")})${allowed.hint ? `; ${allowed.hint}` : ""}`;
    const { outcome } = toOperationOutcome(new FhirLedgerError("method-not-allowed", message), c.get("requestId"));
    return c.body(JSON.stringify(outcome), 405, { "Content-Type": FHIR_JSON, Allow: allowed.methods.join(", ") });
  });

  // A malformed %-escape anywhere in the query is a 400, whichever route would read it.
  app.use("*", async function checkQueryEncoding(c, next) {
    const url = c.req.url;
    const q = url.indexOf("?");
    if (q !== -1) decodeFormParams(url.slice(q + 1), "URL");
    await next();
  });

  // Anyone (a load balancer) may ask whether the server is well, and hears codes only; figures
  // and error messages are for a caller who authenticates, and a wrong token is a 401.
  app.get("/health", async (c) => {
    const report = await options.health();
    const authorization = c.req.header("authorization");
    if (authorization !== undefined) await options.authenticate(authorization);
    const body = authorization === undefined ? { status: report.status, checks: report.checks } : report;
    return c.json(body, report.status === "ok" ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    await options.authenticate(c.req.header("authorization"));
    return c.body(await options.metrics(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  });

  app.use("*", async function negotiate(c, next) {
    const format = c.req.query("_format");
    const accept = format ?? c.req.header("accept") ?? "*/*";
    // The one NDJSON answer: an auditor's AuditEvent export (src/audit/auditExport.ts).
    const ndjson = /^application\/fhir\+ndjson\s*(;|$)/i.test(accept) && c.req.path.endsWith("/AuditEvent/$export");
    if (!ndjson && !(format === undefined ? acceptsJson(accept) : formatAcceptsJson(format))) {
      throw new FhirLedgerError(
        "not-acceptable",
        `this server returns FHIR R4 JSON only (asked for ${accept.slice(0, 80)})`,
      );
    }
    // The body is read as it came: a compressed one would otherwise fail as "not UTF-8".
    const encoding = c.req.header("content-encoding")?.trim().toLowerCase();
    if (BODY_METHODS.has(c.req.method) && encoding !== undefined && encoding !== "" && encoding !== "identity") {
      throw new FhirLedgerError(
        "unsupported-media-type",
        `this server does not take compressed bodies (Content-Encoding: ${encoding.slice(0, 32)}); send the body uncompressed`,
      );
    }
    // A search body is checked by its route: an empty one may come with any Content-Type.
    const pathname = new URL(c.req.url).pathname;
    const search = c.req.method === "POST" && pathname.endsWith("/_search");
    // So is an operation's optional Parameters body (see toFhirRequest).
    const parameters = c.req.method === "POST" && pathname.includes("/$") && isParametersRoute(pathname);
    if (BODY_METHODS.has(c.req.method) && !search && !parameters)
      checkJsonBody(c.req.method, c.req.header("content-type") ?? "");
    await next();
  });

  // A body with a Content-Length is checked against the limit before it is read, and node's
  // parser never reads past that length; the body is then read straight from the socket.
  // Without one (chunked), bodyLimit counts bytes as they arrive, so the upload can't grow past
  // the limit in memory. bodyLimit reads through a web stream (it asks for `raw.body`), which
  // cost a fifth of the main thread during an import of 2,500-resource Bundles.
  const limitBody = bodyLimit({
    maxSize: options.maxBodyBytes,
    onError: () => {
      throw bodyTooLarge(options.maxBodyBytes);
    },
  });
  app.use("*", async function limitBodySize(c, next) {
    if (!BODY_METHODS.has(c.req.method)) return next();
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return limitBody(c, next);
    if (Number(length) > options.maxBodyBytes) throw bodyTooLarge(options.maxBodyBytes);
    return next();
  });

  const engine = options.engine;
  const publicRoutes = INTERACTIONS.filter((route) => route.public);
  for (const route of publicRoutes) register(route);

  app.use("*", async function authenticate(c, next) {
    let actor: Actor;
    try {
      actor = await options.authenticate(c.req.header("authorization"));
    } catch (error) {
      await options.auditRejected?.({ requestId: c.get("requestId"), method: c.req.method, path: c.req.path }, error);
      throw error;
    }
    c.set("actor", actor);
    await next();
  });

  registerPreferOutcome(app); // first: it wraps every write route registered after it
  for (const route of INTERACTIONS) if (!route.public) register(route);

  /** One Hono route per line of the interaction table, in its order (the first match wins). */
  function register(route: InteractionRoute): void {
    const names = route.path === "/" ? [] : route.path.slice(1).split("/");
    app.on([...route.methods], route.path, async (c) => {
      const actor = route.public ? await actorOrAnonymous(c.req.header("authorization")) : c.get("actor");
      const path = names.map((n) => (n.startsWith(":") ? (c.req.param(n.slice(1)) ?? "") : n));
      const response = await engine.handle(actor, await toFhirRequest(c, route, path));
      return send(c, response, route);
    });
  }

  async function actorOrAnonymous(authorization: string | undefined): Promise<Actor> {
    if (authorization === undefined) return ANONYMOUS;
    return options.authenticate(authorization).catch(() => ANONYMOUS);
  }

  async function toFhirRequest(c: Context<Env>, route: InteractionRoute, path: string[]): Promise<FhirRequest> {
    const url = c.req.url;
    const q = url.indexOf("?");
    const rawQuery = q === -1 ? "" : new URL(url).search.replace(/^\?/, "");
    const request: FhirRequest = {
      method: c.req.method,
      path,
      query: route.body === "search-form" ? await searchQuery(c) : new URLSearchParams(rawQuery),
      rawQuery,
      headers: headersOf(c),
      baseUrl: options.baseUrl(),
      requestId: c.get("requestId"),
    };
    if (route.body === "json") {
      const bytes = await readBytes(c, options.maxBodyBytes);
      request.body = parseJsonBody(bytes);
      request.bytes = bytes;
    } else if (route.body === "parameters" && c.req.method === "POST") {
      // An operation's Parameters may be left out: an empty body is no parameters, whatever
      // its Content-Type; any other body must be FHIR JSON.
      const bytes = await readBytes(c, options.maxBodyBytes);
      if (!isBlank(bytes)) {
        checkJsonBody(c.req.method, c.req.header("content-type") ?? "", "parameters");
        request.body = parseJsonBody(bytes);
        request.bytes = bytes;
      }
    }
    return request;
  }

  app.notFound((c) => {
    const { status, outcome } = toOperationOutcome(
      new FhirLedgerError("not-found", `no route for ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}`),
      c.get("requestId"),
    );
    return c.body(JSON.stringify(outcome), status as 404, { "Content-Type": FHIR_JSON });
  });

  app.onError((error, c) => {
    const { status, headers, body } = errorResponse(
      error,
      c.get("requestId") ?? requestIdOf(undefined),
      pretty(c),
      options.log,
    );
    return c.body(body, status as 400, headers);
  });

  function send(c: Context<Env>, result: FhirResponse, route: InteractionRoute): Response {
    const headers = { ...versionHeaders(result, options.baseUrl), ...result.headers };
    // `pieces` first: asking for `resource` would build the whole body as an object.
    const hasBody = result.pieces !== undefined || result.text !== undefined || result.resource !== undefined;
    if (!hasBody || result.status === 204) return c.body(null, result.status as 204, headers);
    // Prefer return=minimal on a batch/transaction is about its entries: the response Bundle
    // itself is always sent, or the client could not tell what happened.
    const prefer = c.req.header("prefer") ?? "";
    const minimal = route.keepsBodyWhenMinimal ? false : /return=minimal/.test(prefer);
    if (minimal && (result.status === 201 || (c.req.method !== "GET" && result.status === 200))) {
      return c.body(null, result.status as 201, headers);
    }
    headers["Content-Type"] = result.headers?.["Content-Type"] ?? FHIR_JSON;
    if (headers["Content-Type"] !== FHIR_JSON && result.pieces !== undefined)
      return c.body(streamOf(result.pieces()), result.status as 200, headers);
    // A body in pieces (a searchset, a batch response) is written out as it is produced, its
    // stored resources as their bytes: never one string of it all, nor its resources parsed.
    if (result.pieces !== undefined && !pretty(c))
      return c.body(streamOf(result.pieces()), result.status as 200, headers);
    // A stored resource is served as its stored text, unparsed; pretty printing needs the object.
    const body =
      result.text !== undefined && !pretty(c) ? result.text : stringifyJson(result.resource, pretty(c) ? 2 : undefined);
    return c.body(body, result.status as 200, headers);
  }

  return app;
}

/** Bytes read per pull of a body in pieces: the stream asks for more as the socket drains. */
const STREAM_CHUNK = 64 * 1024;

/** A body in pieces as a byte stream, produced as the client reads it. */
function streamOf(pieces: Iterable<string | Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = pieces[Symbol.iterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      let sent = 0;
      while (sent < STREAM_CHUNK) {
        const next = iterator.next();
        if (next.done) {
          controller.close();
          return;
        }
        const chunk = typeof next.value === "string" ? encoder.encode(next.value) : next.value;
        if (chunk.byteLength > 0) controller.enqueue(chunk);
        sent += chunk.byteLength;
      }
    },
    cancel() {
      iterator.return?.();
    },
  });
}

function pretty(c: Context): boolean {
  return c.req.query("_pretty") === "true";
}

/** A 415 unless the Content-Type is FHIR R4 JSON (or, for PATCH, a JSON Patch). */
function checkJsonBody(method: string, contentType: string, holds: "resource" | "parameters" = "resource"): void {
  const jsonPatch = method === "PATCH" && /^application\/json-patch\+json\s*(;|$)/i.test(contentType);
  if (!jsonPatch && !/^application\/(fhir\+)?json\s*(;|$)/i.test(contentType)) {
    throw new FhirLedgerError("unsupported-media-type", unsupportedBody(method, contentType, holds));
  }
  if (!isR4(contentType.split(";").slice(1)))
    throw new FhirLedgerError("unsupported-media-type", "this server takes FHIR R4 (fhirVersion=4.0) only");
}

/** Whether POST on this path reaches an operation whose Parameters body is optional. */
function isParametersRoute(pathname: string): boolean {
  return matchRoute("POST", pathname.slice(1).split("/"))?.route.body === "parameters";
}

/** Nothing but JSON whitespace. */
function isBlank(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09);
}

/** What a 415 says about a body of a type not taken: for PATCH, the patch formats that are; for an operation, Parameters. */
function unsupportedBody(method: string, contentType: string, holds: "resource" | "parameters"): string {
  const sent = contentType === "" ? "no Content-Type" : `Content-Type ${contentType.slice(0, 80)}`;
  if (method === "PATCH")
    return `PATCH takes a JSON Patch as application/json-patch+json or a FHIRPath Patch (a Parameters resource) as application/fhir+json, not ${sent}`;
  if (holds === "parameters")
    return `send the operation's parameters as a Parameters resource in application/fhir+json, or no body (not ${sent})`;
  return "send the resource as application/fhir+json";
}

function bodyTooLarge(maxBytes: number): FhirLedgerError {
  return new FhirLedgerError("too-large", `the body is larger than ${maxBytes} bytes`);
}

async function readBytes(c: Context, maxBytes: number): Promise<Uint8Array> {
  const buffer = await c.req.arrayBuffer();
  if (buffer.byteLength > maxBytes) throw bodyTooLarge(maxBytes);
  return new Uint8Array(buffer);
}

/** The headers the engine acts on. */
function headersOf(c: Context): FhirRequestHeaders {
  const headers: FhirRequestHeaders = {};
  const ifMatch = c.req.header("if-match");
  const ifNoneMatch = c.req.header("if-none-match");
  const ifNoneExist = c.req.header("if-none-exist");
  const ifModifiedSince = c.req.header("if-modified-since");
  const prefer = c.req.header("prefer");
  if (ifMatch !== undefined) headers.ifMatch = ifMatch;
  if (ifNoneMatch !== undefined) headers.ifNoneMatch = ifNoneMatch;
  if (ifNoneExist !== undefined) headers.ifNoneExist = ifNoneExist;
  if (ifModifiedSince !== undefined) headers.ifModifiedSince = ifModifiedSince;
  if (prefer !== undefined) headers.prefer = prefer;
  return headers;
}
