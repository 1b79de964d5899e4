import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Context } from "hono";
import type { Actor, Authenticator } from "../auth/Actor.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { FhirInteractions, FhirResult } from "../fhir/FhirInteractions.ts";
import { toOperationOutcome } from "../fhir/outcome/operationOutcome.ts";
import { parseJsonBody } from "../json/parseJsonBody.ts";
import { stringifyJson } from "../json/preciseJson.ts";
import { allowedMethods } from "./allowedMethods.ts";
import { decodeFormParams } from "../fhir/search/decodeFormParams.ts";
import {
  acceptsJson,
  errorResponse,
  FHIR_JSON,
  formatAcceptsJson,
  isR4,
  requestIdOf,
  versionHeaders,
} from "./responses.ts";
import { registerFeatureRoutes } from "./routes/index.ts";
import { searchQuery } from "./searchQuery.ts";
import { writeConditions } from "./writeConditions.ts";
import type { FeatureServices } from "./routes/RouteContext.ts";

export interface AppOptions {
  fhir: FhirInteractions;
  authenticate: Authenticator;
  /** Public base URL of the FHIR endpoint, no trailing slash. */
  baseUrl: () => string;
  capabilityStatement: () => Record<string, unknown>;
  health: () => Record<string, unknown> & { status: string };
  /** Prometheus text exposition. */
  metrics: () => string;
  maxBodyBytes: number;
  log?: (level: "info" | "warn" | "error", message: string) => void;
  /** Services the feature routes need beyond FhirInteractions. */
  services?: FeatureServices;
}

export type Env = { Variables: { actor: Actor; requestId: string } };

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * The HTTP edge: turns requests into FhirInteractions calls and results into responses,
 * with content negotiation, ETag/Last-Modified/Location and one error mapping.
 */
export function createApp(options: AppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const { fhir } = options;

  app.use("*", async (c, next) => {
    c.set("requestId", requestIdOf(c.req.header("x-request-id")));
    c.header("X-Request-Id", c.get("requestId"));
    await next();
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

  app.get("/health", (c) => {
    const body = options.health();
    return c.json(body, body.status === "ok" ? 200 : 503);
  });
  app.get("/metrics", (c) =>
    c.body(options.metrics(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }),
  );

  app.use("*", async function negotiate(c, next) {
    const format = c.req.query("_format");
    const accept = format ?? c.req.header("accept") ?? "*/*";
    if (!(format === undefined ? acceptsJson(accept) : formatAcceptsJson(format))) {
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
    const search = c.req.method === "POST" && new URL(c.req.url).pathname.endsWith("/_search");
    if (BODY_METHODS.has(c.req.method) && !search) {
      const contentType = c.req.header("content-type") ?? "";
      const jsonPatch = c.req.method === "PATCH" && /^application\/json-patch\+json\s*(;|$)/i.test(contentType);
      if (!jsonPatch && !/^application\/(fhir\+)?json\s*(;|$)/i.test(contentType)) {
        throw new FhirLedgerError("unsupported-media-type", "send the resource as application/fhir+json");
      }
      if (!isR4(contentType.split(";").slice(1)))
        throw new FhirLedgerError("unsupported-media-type", "this server takes FHIR R4 (fhirVersion=4.0) only");
    }
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

  app.get("/metadata", (c) => send(c, { status: 200, resource: options.capabilityStatement() }));

  app.use("*", async function authenticate(c, next) {
    c.set("actor", await options.authenticate(c.req.header("authorization")));
    await next();
  });

  const strict = (c: Context<Env>) => /handling\s*=\s*strict/i.test(c.req.header("prefer") ?? "");
  // Feature routes come first: literal segments (/_history, /$validate, /) must win over /:type/:id.
  registerFeatureRoutes(app, {
    fhir,
    baseUrl: options.baseUrl,
    send,
    readJson: (c) => readJson(c, options.maxBodyBytes),
    strict,
    ...(options.services ?? {}),
  });
  app.get("/:type", async (c) =>
    send(
      c,
      await fhir.search(c.get("actor"), c.req.param("type"), new URL(c.req.url).searchParams, {
        baseUrl: options.baseUrl(),
        strict: strict(c),
      }),
    ),
  );
  // GET [base]?… and POST [base]/_search (system-level search) are feature routes.
  app.post("/:type/_search", async (c) =>
    send(
      c,
      await fhir.search(c.get("actor"), c.req.param("type"), await searchQuery(c), {
        baseUrl: options.baseUrl(),
        strict: strict(c),
      }),
    ),
  );
  app.post("/:type", async (c) =>
    send(c, await fhir.create(c.req.param("type"), await readJson(c, options.maxBodyBytes))),
  );
  // Reads (with If-None-Match / If-Modified-Since) are feature routes; ids starting with $ or _
  // fall through to here.
  app.get("/:type/:id", async (c) => {
    const id = c.req.param("id");
    if (id === "$verify") throw new FhirLedgerError("not-found", "$verify needs an instance: [type]/[id]/$verify");
    if (id.startsWith("$"))
      throw new FhirLedgerError(
        "not-found",
        `operation ${id.slice(0, 64)} is not supported on ${c.req.param("type").slice(0, 64)}`,
      );
    return send(c, await fhir.read(c.get("actor"), c.req.param("type"), id));
  });
  app.put("/:type/:id", async (c) => {
    const body = await readJson(c, options.maxBodyBytes);
    return send(c, await fhir.update(c.req.param("type"), c.req.param("id"), body, writeConditions(c)));
  });
  app.delete("/:type/:id", async (c) =>
    send(c, await fhir.delete(c.req.param("type"), c.req.param("id"), writeConditions(c))),
  );
  app.get("/:type/:id/$verify", async (c) => send(c, await fhir.verify(c.req.param("type"), c.req.param("id"))));
  app.post("/:type/:id/$erase", async (c) =>
    send(
      c,
      await fhir.erase(c.get("actor"), c.req.param("type"), c.req.param("id"), await readJson(c, options.maxBodyBytes)),
    ),
  );
  app.get("/:type/:id/_history/:vid/$verify", async (c) =>
    send(c, await fhir.verify(c.req.param("type"), c.req.param("id"), c.req.param("vid"))),
  );

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

  function send(c: Context<Env>, result: FhirResult): Response {
    const headers = versionHeaders(result, options.baseUrl);
    if ((result.text === undefined && result.resource === undefined) || result.status === 204)
      return c.body(null, result.status as 204, headers);
    const prefer = c.req.header("prefer") ?? "";
    if (/return=minimal/.test(prefer) && (result.status === 201 || (c.req.method !== "GET" && result.status === 200))) {
      return c.body(null, result.status as 201, headers);
    }
    headers["Content-Type"] = FHIR_JSON;
    // A stored resource is served as its stored text, unparsed; pretty printing needs the object.
    const body =
      result.text !== undefined && !pretty(c) ? result.text : stringifyJson(result.resource, pretty(c) ? 2 : undefined);
    return c.body(body, result.status as 200, headers);
  }

  return app;
}

function pretty(c: Context): boolean {
  return c.req.query("_pretty") === "true";
}

function bodyTooLarge(maxBytes: number): FhirLedgerError {
  return new FhirLedgerError("too-large", `the body is larger than ${maxBytes} bytes`);
}

async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const buffer = await c.req.arrayBuffer();
  if (buffer.byteLength > maxBytes) throw bodyTooLarge(maxBytes);
  return parseJsonBody(new Uint8Array(buffer));
}
