import { toHex } from "../../crypto/hex.ts";
import { sha256 } from "../../crypto/sha256.ts";
import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { BundleDeps, PreferReturn } from "../bundles/BundleDeps.ts";
import { processBundle } from "../bundles/processBundle.ts";
import { conditionalCreate } from "../conditional/conditionalCreate.ts";
import type { ConditionalDeps } from "../conditional/ConditionalDeps.ts";
import { conditionalDelete } from "../conditional/conditionalDelete.ts";
import { conditionalPatch } from "../conditional/conditionalPatch.ts";
import { conditionalUpdate } from "../conditional/conditionalUpdate.ts";
import { isNotModified } from "../conditional/isNotModified.ts";
import type { FhirResult, WriteConditions } from "../FhirInteractions.ts";
import { readHistory } from "../history/readHistory.ts";
import type { HistoryScope } from "../history/readHistory.ts";
import { OPERATION_DEFINITIONS, OPERATIONS } from "../operations/index.ts";
import { patchResource } from "../patch/patchResource.ts";
import type { FhirRequest, FhirRequestHeaders } from "./FhirRequest.ts";
import { isStrict } from "./InteractionRoute.ts";
import type { EngineContext, InteractionRoute } from "./InteractionRoute.ts";

/**
 * Every interaction this server answers, one line each. The HTTP routes, the 405 `Allow`
 * answers and the CapabilityStatement (interactions and operations) are derived from this
 * table, so they can't disagree. Order matters where two lines match the same path (the first
 * wins): literal segments (`/_history`, `/Patient/$everything`) come before `/:type/:id`.
 * Operations come from src/fhir/operations/ (see its README).
 */
export const INTERACTIONS: readonly InteractionRoute[] = [
  {
    methods: ["GET"],
    path: "/metadata",
    interactions: ["capabilities"],
    level: "system",
    public: true,
    handle: async (ctx) => ({ status: 200, resource: ctx.capabilityStatement() }),
  },
  {
    methods: ["GET"],
    path: "/_history",
    interactions: ["history-system"],
    level: "system",
    handle: (ctx, actor, _p, request) => history(ctx, actor, { level: "system" }, request),
  },
  {
    methods: ["GET"],
    path: "/:type/_history",
    interactions: ["history-type"],
    level: "type",
    handle: (ctx, actor, p, request) => history(ctx, actor, { level: "type", type: p.type! }, request),
  },
  {
    methods: ["GET"],
    path: "/:type/:id/_history",
    interactions: ["history-instance"],
    level: "instance",
    handle: (ctx, actor, p, request) => history(ctx, actor, { level: "instance", type: p.type!, id: p.id! }, request),
  },
  ...OPERATIONS.flatMap((op) => op.routes),
  {
    methods: ["GET"],
    path: "/:type/:id",
    interactions: ["read"],
    level: "instance",
    describe: (_p, request) => (isConditionalRead(request.headers) ? { conditional: true } : {}),
    handle: async (ctx, actor, p, request) => {
      const type = p.type!;
      const id = p.id!;
      if (id === "$verify") throw new FhirLedgerError("not-found", "$verify needs an instance: [type]/[id]/$verify");
      if (id.startsWith("$"))
        throw new FhirLedgerError("not-found", `operation ${id.slice(0, 64)} is not supported on ${type.slice(0, 64)}`);
      // This server's own OperationDefinitions answer at their ids; any other id is a plain read.
      const definition = type === "OperationDefinition" ? OPERATION_DEFINITIONS.get(id) : undefined;
      if (definition !== undefined) return { status: 200, resource: structuredClone(definition) };
      // Only a URL with a query can ask for _summary / _elements: plain reads skip parsing one.
      const result = await ctx.fhir.read(actor, type, id, request.rawQuery === "" ? undefined : request.query);
      return notModified(request.headers, result) ?? result;
    },
  },
  {
    methods: ["GET"],
    path: "/:type/:id/_history/:vid",
    interactions: ["vread"],
    level: "instance",
    describe: (_p, request) => (isConditionalRead(request.headers) ? { conditional: true } : {}),
    handle: async (ctx, actor, p, request) => {
      const query = request.rawQuery === "" ? undefined : request.query;
      const result = await ctx.fhir.vread(actor, p.type!, p.id!, p.vid!, query);
      return notModified(request.headers, result) ?? result;
    },
  },
  {
    methods: ["GET"],
    path: "/",
    interactions: ["search-system"],
    level: "system",
    handle: (ctx, actor, _p, request) => searchSystem(ctx, actor, request),
  },
  {
    methods: ["POST"],
    path: "/_search",
    interactions: ["search-system"],
    level: "system",
    body: "search-form",
    handle: (ctx, actor, _p, request) => searchSystem(ctx, actor, request),
  },
  {
    methods: ["POST"],
    path: "/",
    interactions: ["transaction", "batch"],
    level: "system",
    body: "json",
    keepsBodyWhenMinimal: true,
    hint: "POST / takes a batch or transaction Bundle",
    describe: (_p, request) => ({
      interaction: (request.body as { type?: unknown } | undefined)?.type === "batch" ? "batch" : "transaction",
    }),
    handle: async (ctx, actor, _p, request) => {
      const bytes = request.bytes;
      const deps: BundleDeps = {
        ...conditionalDeps(ctx, actor),
        baseUrl: request.baseUrl,
        preferReturn: preferReturnOf(request.headers.prefer),
        hook: ctx.hook,
        // Hashing the bytes as sent tells an idempotent repeat from new content, at a fraction
        // of the cost of canonical JSON.
        ...(bytes === undefined ? {} : { requestHash: () => toHex(sha256(bytes)) }),
        ...(ctx.maxBundleEntries === undefined ? {} : { maxEntries: ctx.maxBundleEntries }),
      };
      return processBundle(deps, request.body);
    },
  },
  {
    methods: ["POST"],
    path: "/:type/_search",
    interactions: ["search-type"],
    level: "type",
    body: "search-form",
    hint: "search with GET [type]?parameters or POST [type]/_search",
    handle: (ctx, actor, p, request) =>
      ctx.fhir.search(actor, p.type!, request.query, { baseUrl: request.baseUrl, strict: isStrict(request) }),
  },
  {
    methods: ["POST"],
    path: "/:type",
    interactions: ["create"],
    level: "type",
    body: "json",
    describe: (_p, request) => (request.headers.ifNoneExist === undefined ? {} : { conditional: true }),
    handle: (ctx, actor, p, request) => {
      const criteria = request.headers.ifNoneExist;
      if (criteria === undefined) return ctx.fhir.create(actor, p.type!, request.body);
      return conditionalCreate(conditionalDeps(ctx, actor), p.type!, request.body, criteria);
    },
  },
  {
    methods: ["PUT"],
    path: "/:type",
    interactions: ["update"],
    level: "type",
    body: "json",
    describe: () => ({ conditional: true }),
    handle: (ctx, actor, p, request) =>
      conditionalUpdate(
        conditionalDeps(ctx, actor),
        p.type!,
        request.rawQuery,
        request.body,
        writeConditions(request.headers),
      ),
  },
  {
    methods: ["DELETE"],
    path: "/:type",
    interactions: ["delete"],
    level: "type",
    describe: () => ({ conditional: true }),
    handle: (ctx, actor, p, request) =>
      conditionalDelete(conditionalDeps(ctx, actor), p.type!, request.rawQuery, ifMatchOf(request.headers)),
  },
  {
    methods: ["PATCH"],
    path: "/:type/:id",
    interactions: ["patch"],
    level: "instance",
    body: "json",
    handle: (ctx, actor, p, request) =>
      patchResource(conditionalDeps(ctx, actor), p.type!, p.id!, request.body, ifMatchOf(request.headers)),
  },
  {
    methods: ["PATCH"],
    path: "/:type",
    interactions: ["patch"],
    level: "type",
    body: "json",
    describe: () => ({ conditional: true }),
    handle: (ctx, actor, p, request) =>
      conditionalPatch(
        conditionalDeps(ctx, actor),
        p.type!,
        request.rawQuery,
        request.body,
        ifMatchOf(request.headers),
      ),
  },
  {
    methods: ["GET"],
    path: "/:type",
    interactions: ["search-type"],
    level: "type",
    handle: (ctx, actor, p, request) =>
      ctx.fhir.search(actor, p.type!, request.query, { baseUrl: request.baseUrl, strict: isStrict(request) }),
  },
  {
    methods: ["PUT"],
    path: "/:type/:id",
    interactions: ["update"],
    level: "instance",
    body: "json",
    handle: (ctx, actor, p, request) =>
      ctx.fhir.update(actor, p.type!, p.id!, request.body, writeConditions(request.headers)),
  },
  {
    methods: ["DELETE"],
    path: "/:type/:id",
    interactions: ["delete"],
    level: "instance",
    handle: (ctx, actor, p, request) => ctx.fhir.delete(actor, p.type!, p.id!, writeConditions(request.headers)),
  },
];

function history(ctx: EngineContext, actor: Actor, scope: HistoryScope, request: FhirRequest): Promise<FhirResult> {
  const access = ctx.fhir.access;
  const deps = {
    history: ctx.index,
    index: ctx.index,
    records: ctx.records,
    audit: ctx.audit,
    ...(access === undefined ? {} : { access }),
  };
  return readHistory(deps, actor, scope, request.query, { baseUrl: request.baseUrl, strict: isStrict(request) });
}

function searchSystem(ctx: EngineContext, actor: Actor, request: FhirRequest): Promise<FhirResult> {
  return ctx.fhir.searchSystem(actor, request.query, { baseUrl: request.baseUrl, strict: isStrict(request) });
}

function conditionalDeps(ctx: EngineContext, actor: Actor): ConditionalDeps {
  return {
    fhir: ctx.fhir,
    records: ctx.records,
    index: ctx.index,
    validator: ctx.validator,
    actor,
    ...(ctx.maxBundleEntries === undefined ? {} : { maxDeletes: ctx.maxBundleEntries }),
  };
}

/** The If-Match and If-None-Match of a write, for the interaction to check. */
function writeConditions(headers: FhirRequestHeaders): WriteConditions {
  const { ifMatch, ifNoneMatch } = headers;
  return { ...(ifMatch === undefined ? {} : { ifMatch }), ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }) };
}

function ifMatchOf(headers: FhirRequestHeaders): { ifMatch?: string } {
  return headers.ifMatch === undefined ? {} : { ifMatch: headers.ifMatch };
}

function isConditionalRead(headers: FhirRequestHeaders): boolean {
  return headers.ifNoneMatch !== undefined || headers.ifModifiedSince !== undefined;
}

/**
 * read and vread with `If-None-Match` and `If-Modified-Since`: 304 (ETag, Last-Modified, no
 * body) when the client's copy is current. If-None-Match wins when both are sent (RFC 9110
 * 13.2.2).
 * @see https://hl7.org/fhir/R4/http.html#cread
 */
function notModified(headers: FhirRequestHeaders, result: FhirResult): FhirResult | undefined {
  if (!isConditionalRead(headers) || result.status !== 200 || !result.version) return undefined;
  const fresh = isNotModified(result.version, {
    ...(headers.ifNoneMatch === undefined ? {} : { ifNoneMatch: headers.ifNoneMatch }),
    ...(headers.ifModifiedSince === undefined ? {} : { ifModifiedSince: headers.ifModifiedSince }),
  });
  return fresh ? { status: 304, version: result.version } : undefined;
}

/** `Prefer: return=…` for the entries of a batch/transaction: minimal when absent or unknown. */
function preferReturnOf(prefer: string | undefined): PreferReturn {
  const value = /return\s*=\s*"?([A-Za-z]+)/i.exec(prefer ?? "")?.[1]?.toLowerCase();
  return value === "representation" ? "representation" : value === "operationoutcome" ? "OperationOutcome" : "minimal";
}
