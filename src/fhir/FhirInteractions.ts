import type { AuditTrail } from "../audit/AuditTrail.ts";
import type { Actor } from "../auth/Actor.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { copyNumberTexts } from "../json/preciseJson.ts";
import type { Index } from "../ports/Index.ts";
import type { VersionRow } from "../ports/VersionStore.ts";
import type { FhirResource, RecordRepository, StoredVersion } from "../records/RecordRepository.ts";
import { DEFAULT_RESPONSE_LIMITS, loadWithin, ResponseBudget } from "./responseBudget.ts";
import { parseIfMatch, parseIfNoneMatch } from "./conditional/requestChecks.ts";
import { isResourceType } from "./definitions/resourceTypes.ts";
import { parseSearchRequest } from "./search/parseSearchRequest.ts";
import type { SearchLimits } from "./search/parseSearchRequest.ts";
import { parseSystemSearchRequest } from "./search/parseSystemSearchRequest.ts";
import type { SearchFilter, SearchPolicy, SearchRequest } from "../ports/SearchRequest.ts";
import type { AccessGuard, AccessLetter } from "./engine/AccessGuard.ts";
import { compartmentOf } from "./resource/compartmentOf.ts";
import { searchsetPieces, shapeResource } from "./searchBundle.ts";
import { type JsonPieces, PiecesResult } from "./jsonPieces.ts";
import type { SearchWarning } from "./searchBundle.ts";
import { newResourceId } from "./resource/meta.ts";
import { echoedName, echoedWarnings, moreIgnored } from "./outcome/echoedWarnings.ts";
import type { FhirValidator } from "./validation/createValidator.ts";
import { ID_PATTERN, INVALID_ID_MESSAGE } from "./ids.ts";

/** What an interaction hands back to the HTTP edge. */
export interface FhirResult {
  status: number;
  resource?: Record<string, unknown>;
  /** `resource` as JSON text, as stored: the HTTP body when no reshaping (e.g. _pretty) is asked. */
  text?: string;
  /** `text` as its stored UTF-8 bytes, when the resource was loaded from storage. */
  bytes?: Uint8Array;
  /** Version row of the resource, for ETag / Last-Modified / Location. */
  version?: { type: string; id: string; versionId: number; lastUpdated: string };
  /**
   * The body as JSON pieces, stored resources as their stored bytes (see jsonPieces.ts): a
   * large body is written out as it is produced rather than built as one string. `resource`
   * is the same body, parsed from them when asked for.
   */
  pieces?: () => JsonPieces;
  /**
   * The patient compartments ("Patient/<id>") of the stored resources the answer holds, when
   * the interaction knows them without parsing (reads, searches): the audit names each patient.
   */
  compartments?: readonly string[];
}

/** The preconditions of a write, as the client sent them (If-Match, If-None-Match). */
export interface WriteConditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export interface FhirInteractionsOptions {
  records: RecordRepository;
  validator: FhirValidator;
  index: Index;
  audit: AuditTrail;
  /** Authorization beyond the per-interaction hook (search policy, per-resource checks); absent: all allowed. */
  access?: AccessGuard;
  /** Search caps (defaults: `_count` 1000, chain depth 3, include depth 3, 100 OR values, 256 parameters, 1000 SQL terms). */
  limits?: {
    maxCount?: number;
    maxChainDepth?: number;
    maxIncludeDepth?: number;
    maxOrValues?: number;
    maxQueryParams?: number;
    /** SQL terms one search may compile to (default 1000). */
    maxSearchTerms?: number;
    /** Bytes of stored resources one response carries (default 64 MiB); see ResponseBudget. */
    maxResponseBytes?: number;
    /** Resources one response carries (default 10000); see ResponseBudget. */
    maxResponseResources?: number;
  };
}

/** How a search is answered: links on `baseUrl`, unknown parameters refused under `strict`. */
export interface SearchCallOptions {
  baseUrl: string;
  strict: boolean;
  /** The budget of the response the page goes into (a batch's); a fresh one by default. */
  budget?: ResponseBudget;
}

/**
 * The plain FHIR REST interactions over the records pipeline (read, vread, create, update,
 * delete, search), one method each, each with its actor. Requests reach them through
 * FhirEngine.handle and its interaction table (engine/interactions.ts), which also holds the
 * conditional interactions, history, bundles and operations.
 */
export class FhirInteractions {
  readonly #o: FhirInteractionsOptions;
  /** The engine's authorization (see AccessGuard), for the paths that reach storage around these methods. */
  readonly access: AccessGuard | undefined;

  constructor(options: FhirInteractionsOptions) {
    this.#o = options;
    this.access = options.access;
  }

  /**
   * Refuses a write the caller's grant does not cover: the resource as it is now (update,
   * delete) and as it would be written must both be within a scope holding the letter (`u`, or
   * `c` when the write creates; `d`), compartment and granular constraint included. A resource
   * outside the grant is answered as one that does not exist (404), so the refusal tells
   * nothing of what others' compartments hold.
   */
  async guardWrite(
    actor: Actor,
    op: { kind: "write" | "delete"; type: string; id: string; resource?: FhirResource },
  ): Promise<void> {
    const access = this.#o.access;
    if (access === undefined) return;
    const write = op.kind === "write";
    // Unrestricted for every letter the write may need: no lookup (bulk imports pass here per resource).
    if (
      write
        ? access.unrestricted(actor, op.type, "c") && access.unrestricted(actor, op.type, "u")
        : access.unrestricted(actor, op.type, "d")
    )
      return;
    const current = await this.#o.index.current(op.type, op.id);
    const exists = current !== null && current !== undefined && !current.deleted;
    const letter = !write ? "d" : exists ? "u" : "c";
    if (access.unrestricted(actor, op.type, letter)) return;
    if (exists) {
      const stored = await this.#o.records.read(op.type, op.id);
      if (!access.permits(actor, letter, stored.resource!, stored.row.compartment)) throw notKnown(op.type, op.id);
    } else if (!write) {
      throw notKnown(op.type, op.id);
    }
    if (write) {
      const resource = { ...op.resource!, id: op.id } as FhirResource;
      if (!access.permits(actor, letter, resource, compartmentOf(resource as never)))
        throw new FhirLedgerError(
          "forbidden",
          `the ${op.type} written is outside what the granted scopes allow to ${letter === "c" ? "create" : "update"} (their patient compartment or constraints)`,
        );
    }
  }

  /**
   * A resource that exists must be within the caller's grant for `letter` (else the 404 of one
   * that does not): checked before a patch is applied, so its errors can't tell of others' data.
   */
  async guardExisting(actor: Actor, type: string, id: string, letter: AccessLetter): Promise<void> {
    const access = this.#o.access;
    if (access === undefined || access.unrestricted(actor, type, letter)) return;
    const current = await this.#o.index.current(type, id);
    if (!current || current.deleted) return;
    const stored = await this.#o.records.read(type, id);
    if (!access.permits(actor, letter, stored.resource!, stored.row.compartment)) throw notKnown(type, id);
  }

  /**
   * The policy conditional criteria are matched under (`letter`: the write's), so a conditional
   * write or reference only ever finds resources the caller may write; undefined: unrestricted.
   */
  matchPolicy(actor: Actor, type: string, letter: AccessLetter): SearchPolicy | undefined {
    return this.#o.access?.searchPolicy(actor, [type], letter);
  }

  /** A loaded version the caller may `letter`, else the 404 of a resource that does not exist. */
  #visible(actor: Actor, letter: AccessLetter, stored: StoredVersion, what: string): StoredVersion {
    const access = this.#o.access;
    if (access === undefined || access.unrestricted(actor, stored.row.type, letter)) return stored;
    if (!access.permits(actor, letter, stored.resource!, stored.row.compartment))
      throw new FhirLedgerError("not-found", `${what} is not known`);
    return stored;
  }

  /** Under a restricted grant a deleted resource is answered as unknown: its delete marker can't be checked. */
  #hideGone(actor: Actor, type: string, what: string): (error: unknown) => never {
    return (error) => {
      const access = this.#o.access;
      if (
        error instanceof FhirLedgerError &&
        error.code === "gone" &&
        access !== undefined &&
        !access.unrestricted(actor, type, "r")
      )
        throw new FhirLedgerError("not-found", `${what} is not known`);
      throw error;
    };
  }

  /** @see https://hl7.org/fhir/R4/http.html#create */
  async create(actor: Actor, type: string, body: unknown): Promise<FhirResult> {
    assertType(type);
    const resource = this.#validated(type, body);
    // The server assigns the id on create; a client id in the body is ignored (R4 3.1.0.7).
    const withoutId = { ...resource, id: undefined } as FhirResource;
    copyNumberTexts(resource, withoutId); // a top-level 1.50 stays 1.50
    const id = newResourceId();
    await this.guardWrite(actor, { kind: "write", type, id, resource: withoutId });
    const stored = await this.#o.records.write(type, id, withoutId, { mustNotExist: true });
    return { status: 201, resource: stored.resource!, version: versionOf(stored) };
  }

  /**
   * Read; `query`, when given, may ask for `_summary` (true, text, data, false) or `_elements`.
   * @see https://hl7.org/fhir/R4/http.html#read
   * @see https://hl7.org/fhir/R4/search.html#summary
   */
  async read(actor: Actor, type: string, id: string, query?: URLSearchParams): Promise<FhirResult> {
    assertType(type);
    assertId(id);
    const shape = query === undefined ? undefined : readShape(type, query);
    const read = await this.#auditIntegrity(actor, "read", `${type}/${id}`, () =>
      this.#o.records.read(type, id).catch(this.#hideGone(actor, type, `${type}/${id}`)),
    );
    const stored = this.#visible(actor, "r", read, `${type}/${id}`);
    if (shape !== undefined)
      return { status: 200, resource: shapeResource(stored.resource as never, shape), version: versionOf(stored) };
    return asStored(stored);
  }

  /**
   * Vread; `query`, when given, may ask for `_summary` or `_elements` as for read.
   * @see https://hl7.org/fhir/R4/http.html#vread
   */
  async vread(actor: Actor, type: string, id: string, vid: string, query?: URLSearchParams): Promise<FhirResult> {
    assertType(type);
    assertId(id);
    const versionId = parseVersion(vid);
    const shape = query === undefined ? undefined : readShape(type, query);
    const what = `${type}/${id}/_history/${versionId}`;
    const read = await this.#auditIntegrity(actor, "vread", what, () =>
      this.#o.records.vread(type, id, versionId).catch(this.#hideGone(actor, type, what)),
    );
    const stored = this.#visible(actor, "r", read, what);
    if (shape !== undefined)
      return { status: 200, resource: shapeResource(stored.resource as never, shape), version: versionOf(stored) };
    return asStored(stored);
  }

  /**
   * Update, or create with a client-chosen id (updateCreate). `ifMatch` (If-Match: a version
   * or `*`) and `ifNoneMatch` (If-None-Match: `*` creates only) are checked under the write
   * lock; a failed one is a 412 and nothing is written.
   * @see https://hl7.org/fhir/R4/http.html#update
   * @see https://hl7.org/fhir/R4/http.html#concurrency
   */
  async update(
    actor: Actor,
    type: string,
    id: string,
    body: unknown,
    options: WriteConditions = {},
  ): Promise<FhirResult> {
    assertType(type);
    assertId(id);
    const resource = this.#validated(type, body);
    if (resource.id === undefined)
      throw new FhirLedgerError("invalid", "the resource must contain an id for update", {
        issues: [{ type: "required", diagnostics: "id is required on update", expression: [`${type}.id`] }],
      });
    if (resource.id !== id)
      throw new FhirLedgerError(
        "invalid",
        `the id in the body (${String(resource.id)}) does not match the URL (${id})`,
        { issues: [{ type: "invalid", diagnostics: "id in body differs from id in URL", expression: [`${type}.id`] }] },
      );
    await this.guardWrite(actor, { kind: "write", type, id, resource });
    const stored = await this.#o.records.write(type, id, resource, {
      ...(options.ifMatch === undefined ? {} : { ifMatch: parseIfMatch(options.ifMatch) }),
      ...(options.ifNoneMatch === undefined ? {} : { ifNoneMatch: parseIfNoneMatch(options.ifNoneMatch) }),
    });
    return { status: stored.created ? 201 : 200, resource: stored.resource!, version: versionOf(stored) };
  }

  /**
   * Delete; with `ifMatch` (If-Match: a version or `*`) only while that version is current,
   * else a 412 and nothing is deleted.
   * @see https://hl7.org/fhir/R4/http.html#delete
   * @see https://hl7.org/fhir/R4/http.html#concurrency
   */
  async delete(
    actor: Actor,
    type: string,
    id: string,
    options: Pick<WriteConditions, "ifMatch"> = {},
  ): Promise<FhirResult> {
    assertType(type);
    assertId(id);
    await this.guardWrite(actor, { kind: "delete", type, id });
    const row = await this.#o.records.delete(
      type,
      id,
      options.ifMatch === undefined ? {} : { ifMatch: parseIfMatch(options.ifMatch) },
    );
    if (!row) return { status: 204 };
    return { status: 204, version: { type, id, versionId: row.versionId, lastUpdated: row.lastUpdated } };
  }

  /**
   * Type-level search (GET and POST _search). Unknown or unsupported parameters are ignored and
   * reported in the Bundle's OperationOutcome entry, or refused (400) with `strict` handling;
   * `:iterate` includes cut off at the include depth limit are reported there too.
   * @see https://hl7.org/fhir/R4/search.html
   */
  async search(actor: Actor, type: string, query: URLSearchParams, options: SearchCallOptions): Promise<FhirResult> {
    assertType(type);
    return this.#search(actor, "search-type", parseSearchRequest(type, query, this.#parseLimits()), options);
  }

  /**
   * System-level search (`GET [base]?…`, `POST [base]/_search`) over every type, or those
   * `_type` names, with the parameters they all define (without `_type`: those of every
   * resource); otherwise as type-level search: paging, sorting, includes, `_summary`, `_total`,
   * unknown parameters reported or refused under `strict`. AuditEvents are found like any
   * other resource, as a type-level search of AuditEvent finds them.
   * @see https://hl7.org/fhir/R4/search.html#searchcontexts
   * @see https://hl7.org/fhir/R4/search.html#all
   */
  async searchSystem(actor: Actor, query: URLSearchParams, options: SearchCallOptions): Promise<FhirResult> {
    return this.#search(actor, "search-system", parseSystemSearchRequest(query, this.#parseLimits()), options);
  }

  #parseLimits(): SearchLimits {
    const limits = this.#o.limits ?? {};
    return {
      ...(limits.maxCount === undefined ? {} : { maxCount: limits.maxCount }),
      ...(limits.maxChainDepth === undefined ? {} : { maxChainDepth: limits.maxChainDepth }),
      ...(limits.maxOrValues === undefined ? {} : { maxOrValues: limits.maxOrValues }),
      ...(limits.maxQueryParams === undefined ? {} : { maxQueryParams: limits.maxQueryParams }),
    };
  }

  async #search(
    actor: Actor,
    subtype: "search-type" | "search-system",
    parsed: SearchRequest,
    options: SearchCallOptions,
  ): Promise<FhirResult> {
    const limits = this.#o.limits ?? {};
    const request = this.#withPolicy(actor, parsed);
    if (options.strict && request.unknown.length > 0) {
      throw new FhirLedgerError("invalid", "unsupported search parameters (Prefer: handling=strict)", {
        issues: echoedWarnings(
          request.unknown,
          (u) => ({ type: "not-supported", diagnostics: `${echoedName(u.name)}: ${u.reason}`, expression: [u.name] }),
          (n) => ({ type: "not-supported", diagnostics: moreIgnored(n) }),
        ),
      });
    }
    const warnings: SearchWarning[] = echoedWarnings(
      request.unknown,
      (u) => ({ code: "not-supported", diagnostics: `parameter ignored: ${echoedName(u.name)} (${u.reason})` }),
      (n) => ({ code: "not-supported", diagnostics: moreIgnored(n) }),
    );
    const information: string[] =
      request.countRequested === undefined
        ? []
        : [
            `_count=${request.countRequested} was reduced to ${request.count}, the most this server returns in one page`,
          ];
    // Bundle.total: absent under _total=none; exact otherwise (an exact count is a valid
    // estimate). _summary=count is nothing but the total, so it is counted whatever _total says.
    const count = request.summary === "count";
    const budget = options.budget ?? this.responseBudget();
    const searchOptions = (maxIncludes: number) => ({
      countTotal: count || request.total !== "none",
      ...(limits.maxIncludeDepth === undefined ? {} : { maxIncludeDepth: limits.maxIncludeDepth }),
      ...(limits.maxSearchTerms === undefined ? {} : { maxTerms: limits.maxSearchTerms }),
      maxIncludes,
    });
    let page = await this.#o.index.search(request, searchOptions(budget.resourcesLeft));
    const load = (v: VersionRow) =>
      this.#auditIntegrity(actor, subtype, `${v.type}/${v.id}`, () => this.#o.records.load(v));
    // A count returns no entries: don't fetch and decrypt the page it would have had.
    let matches: StoredVersion[] = [];
    let included: StoredVersion[] = [];
    if (!count) {
      const first = await loadWithin(page.matches, budget, load);
      matches = first.loaded;
      if (!first.complete) {
        // search.html lets a page hold fewer than _count: this one ends where the response is
        // full, and its next link goes on from there. The page is asked again for that many
        // matches, so the cursor and the includes are those of the matches it keeps.
        if (matches.length === 0) throw budget.refusal();
        information.push(
          `This page holds ${matches.length} of the ${page.matches.length} matches it would have had: a response holds at most ${budget.describe()}; the next link goes on after them`,
        );
        const kept = new Map(matches.map((m) => [versionKey(m.row), m]));
        page = await this.#o.index.search({ ...request, count: matches.length }, searchOptions(budget.resourcesLeft));
        matches = await Promise.all(page.matches.map((v) => kept.get(versionKey(v)) ?? load(v)));
      }
      const includes = await loadWithin(page.included, budget, load);
      included = includes.loaded;
      if (!includes.complete)
        warnings.push({
          code: "too-costly",
          diagnostics: `_include/_revinclude added ${included.length} of ${page.included.length} resources: a response holds at most ${budget.describe()}`,
        });
    }
    // The client would otherwise take a cut-off :iterate for the complete set of references.
    if (page.includesTruncated && !count)
      warnings.push({
        code: "too-costly",
        diagnostics: `_include/_revinclude stopped after ${limits.maxIncludeDepth ?? 3} :iterate rounds or at the most resources a response holds (the server's include depth and response limits); more resources would have been included`,
      });
    const input = { baseUrl: options.baseUrl, request, total: page.total, nextCursor: page.nextCursor };
    const result: FhirResult = new PiecesResult(200, () =>
      searchsetPieces({ ...input, matches, included, warnings, information }),
    );
    result.compartments = compartmentsIn(matches, included);
    return result;
  }

  /**
   * The search with the caller's policy in its query (see AccessGuard.searchPolicy): a type not
   * granted `s` is a 403, and so is a chain or `_has` through one (rather than a filter on what
   * the caller may not search); the rows a chain or `_has` reaches are limited by the policy too.
   */
  #withPolicy(actor: Actor, request: SearchRequest): SearchRequest {
    const access = this.#o.access;
    if (access === undefined) return request;
    for (const t of reachedTypes(request.filters)) access.searchPolicy(actor, [t], "s");
    const types = request.system === undefined ? [request.type] : request.system.types;
    const policy = access.searchPolicy(actor, types, "s");
    return policy === undefined ? request : { ...request, policy };
  }

  /** A fresh budget for one response under the configured response limits. */
  responseBudget(): ResponseBudget {
    const limits = this.#o.limits ?? {};
    return new ResponseBudget({
      maxBytes: limits.maxResponseBytes ?? DEFAULT_RESPONSE_LIMITS.maxBytes,
      maxResources: limits.maxResponseResources ?? DEFAULT_RESPONSE_LIMITS.maxResources,
    });
  }

  /** Integrity failures are audited (serious failure) before the error goes back to the client. */
  async #auditIntegrity<T>(actor: Actor, subtype: string, entity: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof FhirLedgerError && error.code === "integrity") {
        await this.#o.audit
          .record({
            action: "R",
            subtype,
            outcome: "8",
            actor,
            entity,
            description: "stored record failed its integrity check; not served",
          })
          .catch(() => undefined);
      }
      throw error;
    }
  }

  #validated(type: string, body: unknown): FhirResource {
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new FhirLedgerError("invalid", "the body must be a JSON object (a FHIR resource)", {
        issues: [{ type: "structure", diagnostics: "body is not a JSON object" }],
      });
    }
    const resourceType = (body as { resourceType?: unknown }).resourceType;
    if (resourceType !== type) {
      throw new FhirLedgerError(
        "invalid",
        `resourceType "${String(resourceType)}" does not match the URL type ${type}`,
        {
          issues: [
            { type: "invalid", diagnostics: "resourceType does not match the URL", expression: ["resourceType"] },
          ],
        },
      );
    }
    this.#o.validator.validate(body, { expectedType: type });
    return body as FhirResource;
  }
}

/** The types a search's chains and `_has` filter on (their targets, at every depth). */
function reachedTypes(filters: readonly SearchFilter[]): Set<string> {
  const out = new Set<string>();
  const walk = (f: SearchFilter) => {
    if (f.kind === "chain") {
      for (const t of f.targetTypes) out.add(t);
      walk(f.next);
    } else if (f.kind === "has") {
      out.add(f.type);
      walk(f.next);
    }
  };
  filters.forEach(walk);
  return out;
}

function notKnown(type: string, id: string): FhirLedgerError {
  return new FhirLedgerError("not-found", `${type}/${id} is not known`);
}

/** Unknown resource types are a 404. */
export function assertType(type: string): void {
  if (!isResourceType(type))
    throw new FhirLedgerError("not-found", `unknown resource type "${String(type).slice(0, 64)}"`);
}

/** An id that is not a FHIR id is a 400. */
export function assertId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new FhirLedgerError("bad-request", INVALID_ID_MESSAGE);
}

/** A version id, or a 404 (no such version). */
export function parseVersion(vid: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(vid)) throw new FhirLedgerError("not-found", "no such version");
  return Number(vid);
}

/** A 200 whose body can be the stored text itself; the object is parsed only if asked for. */
function asStored(stored: StoredVersion): FhirResult {
  return new StoredResult(stored);
}

/**
 * A class, not an object literal with a getter: V8 builds such a literal in dictionary mode
 * through its runtime, and what its getter's closure holds (the text, the index row) then
 * survived young-generation collections, so every read's text was promoted to the old
 * generation (GET by id p99; see RecordRepository's LoadedVersion).
 */
class StoredResult implements FhirResult {
  readonly status = 200;
  readonly bytes: Uint8Array | undefined;
  readonly version: { type: string; id: string; versionId: number; lastUpdated: string };
  readonly #stored: StoredVersion;

  constructor(stored: StoredVersion) {
    this.#stored = stored;
    this.bytes = stored.bytes ?? undefined;
    this.version = versionOf(stored);
  }

  get compartments(): readonly string[] {
    const compartment = this.#stored.row.compartment;
    return compartment === null ? [] : [compartment];
  }

  get text(): string | undefined {
    const text = this.#stored.text;
    return typeof text === "string" ? text : undefined;
  }

  get resource(): Record<string, unknown> {
    return this.#stored.resource!;
  }
}

/** The distinct patient compartments of a page's matches and includes (for its audit records). */
function compartmentsIn(matches: readonly StoredVersion[], included: readonly StoredVersion[]): string[] {
  const seen = new Set<string>();
  for (const list of [matches, included])
    for (const m of list) if (m.row.compartment !== null) seen.add(m.row.compartment);
  return [...seen];
}

function versionKey(row: VersionRow): string {
  return `${row.type}/${row.id}/${row.versionId}`;
}

function versionOf(stored: StoredVersion): { type: string; id: string; versionId: number; lastUpdated: string } {
  return {
    type: stored.row.type,
    id: stored.row.id,
    versionId: stored.row.versionId,
    lastUpdated: stored.row.lastUpdated,
  };
}

/**
 * `_summary` and `_elements` of a read, checked as search checks them; undefined when neither
 * is given (other parameters, e.g. `_format`, are not this function's business).
 */
export function readShape(
  type: string,
  query: URLSearchParams,
): Pick<SearchRequest, "summary" | "elements"> | undefined {
  const params = [...query].filter(([name]) => name === "_summary" || name === "_elements");
  if (params.length === 0) return undefined;
  const { summary, elements } = parseSearchRequest(type, params);
  if (summary === "count")
    throw new FhirLedgerError("invalid", "_summary=count applies to search only", {
      issues: [{ type: "invalid", diagnostics: "_summary=count is for search", expression: ["_summary"] }],
    });
  return { ...(summary === undefined ? {} : { summary }), ...(elements === undefined ? {} : { elements }) };
}
