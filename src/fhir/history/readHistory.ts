import type { AuditTrail } from "../../audit/AuditTrail.ts";
import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { HistoryIndex } from "../../ports/HistoryIndex.ts";
import type { Index } from "../../ports/Index.ts";
import type { RecordRepository, StoredVersion } from "../../records/RecordRepository.ts";
import { isResourceType } from "../definitions/resourceTypes.ts";
import type { AccessGuard } from "../engine/AccessGuard.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import { loadChecked } from "./loadChecked.ts";
import { readsContent } from "../../consent/policyExpr.ts";
import { formatHistoryParams, parseHistoryParams } from "./parseHistoryParams.ts";
import { ID_PATTERN, INVALID_ID_MESSAGE } from "../ids.ts";
import { echoedWarnings, moreIgnored } from "../outcome/echoedWarnings.ts";

export interface HistoryDeps {
  history: HistoryIndex;
  index: Pick<Index, "current">;
  records: RecordRepository;
  audit?: AuditTrail;
  /** The caller's access: history shows only versions within it (see readHistory). */
  access?: AccessGuard;
}

/** Which history: every resource, one type, or one instance. */
export type HistoryScope =
  | { level: "system" }
  | { level: "type"; type: string }
  | { level: "instance"; type: string; id: string };

/**
 * History at instance, type or system level as a `history` Bundle, newest first, honouring
 * `_since`, `_at`, `_count` (0: no entries, only the total) and keyset `next` links.
 * Bundle.total is exact; it is given for instance history, and for type and system history
 * under `_total=accurate` or `_count=0` (unless `_total=none`). No `entry` when there is none
 * (json.html: arrays are never empty). Delete versions are entries with a request and
 * response but no resource. Unknown or unsupported parameters are ignored and reported, as
 * search reports them, in an OperationOutcome entry (last), or refused (400) with `strict`.
 * @see https://hl7.org/fhir/R4/http.html#history
 */
export async function readHistory(
  deps: HistoryDeps,
  actor: Actor,
  scope: HistoryScope,
  query: URLSearchParams,
  options: { baseUrl: string; strict: boolean },
): Promise<FhirResult> {
  const { baseUrl } = options;
  if (scope.level !== "system" && !isResourceType(scope.type))
    throw new FhirLedgerError("not-found", `unknown resource type "${scope.type.slice(0, 64)}"`);
  if (scope.level === "instance") {
    if (!ID_PATTERN.test(scope.id)) throw new FhirLedgerError("bad-request", INVALID_ID_MESSAGE);
    const current = await deps.index.current(scope.type, scope.id);
    if (!current) throw new FhirLedgerError("not-found", `${scope.type}/${scope.id} is not known`);
    if (deps.access !== undefined && !deps.access.unrestricted(actor, scope.type, "r")) {
      // Under a confined or constrained grant the resource as it is now must be within it.
      const stored = current.deleted ? undefined : await deps.records.read(scope.type, scope.id);
      if (stored === undefined || !deps.access.permits(actor, "r", stored.resource!, stored.row.compartment))
        throw new FhirLedgerError("not-found", `${scope.type}/${scope.id} is not known`);
    }
  }
  const params = parseHistoryParams(query, { allowTypes: scope.level === "system" });
  if (options.strict && params.ignored.length > 0) {
    throw new FhirLedgerError("invalid", "unsupported history parameters (Prefer: handling=strict)", {
      issues: echoedWarnings(
        params.ignored,
        (name) => ({ type: "not-supported", diagnostics: `${name}: not supported by history`, expression: [name] }),
        (n) => ({ type: "not-supported", diagnostics: moreIgnored(n) }),
      ),
    });
  }
  // Type and system history need `s` on the types they show (system history with `_type`
  // naming a type not granted is a 403; without it, the types shown are those granted);
  // instance history `r`. Types and compartments are compiled into the query (each version by
  // its own compartment), so pages and totals are exact; a granular constraint can only be
  // checked on each version's content, so under one the page is filtered and has no total.
  const letter = scope.level === "instance" ? "r" : "s";
  const policy =
    deps.access === undefined
      ? undefined
      : deps.access.searchPolicy(actor, scope.level === "system" ? (params.types ?? "*") : [scope.type], letter);
  const constrained =
    policy?.rules.some((rule) => rule.filters.length > 0) === true ||
    (policy?.gate !== undefined && readsContent(policy.gate, scope.level === "system" ? params.types : [scope.type]));
  const page = await deps.history.historyPage({
    ...(scope.level !== "system" ? { type: scope.type } : {}),
    ...(scope.level === "instance" ? { id: scope.id } : {}),
    ...(params.types ? { types: params.types } : {}),
    ...(params.since ? { since: params.since.iso } : {}),
    ...(params.at ? { at: { from: params.at.from, to: params.at.to } } : {}),
    count: params.count,
    ...(params.cursor ? { cursor: params.cursor } : {}),
    // Counting every version of a type or the system costs a scan: only when asked (_total=accurate,
    // or _count=0, which asks for nothing else).
    countTotal: !constrained && (params.total ?? (scope.level === "instance" || params.count === 0)),
    ...(policy === undefined ? {} : { policy }),
  });
  const loaded = await loadChecked(deps, actor, `history-${scope.level}`, page.versions);
  // Under a constraint a delete marker can't be checked, and is left out too.
  const versions = !constrained
    ? loaded
    : loaded.filter((v) => v.resource != null && deps.access!.permits(actor, letter, v.resource, v.row.compartment));
  const path =
    scope.level === "system"
      ? "/_history"
      : scope.level === "type"
        ? `/${scope.type}/_history`
        : `/${scope.type}/${scope.id}/_history`;
  const self = `${path}?${formatHistoryParams(params, params.cursor)}`;
  const link = [{ relation: "self", url: `${baseUrl}${self}` }];
  if (page.nextCursor)
    link.push({ relation: "next", url: `${baseUrl}${path}?${formatHistoryParams(params, page.nextCursor)}` });
  const entry = versions.map((v) => historyEntry(v, baseUrl));
  if (params.ignored.length > 0) {
    // Every entry of a history Bundle needs a request and a response (bdl-3, bdl-4): the
    // outcome's are the history request as it was processed.
    entry.push({
      resource: {
        resourceType: "OperationOutcome",
        issue: echoedWarnings(
          params.ignored,
          (name) => ({ severity: "warning", code: "not-supported", diagnostics: `parameter ignored: ${name}` }),
          (n) => ({ severity: "warning", code: "not-supported", diagnostics: moreIgnored(n) }),
        ),
      },
      request: { method: "GET", url: self.slice(1) },
      response: { status: "200" },
    });
  }
  const bundle: Record<string, unknown> = {
    resourceType: "Bundle",
    type: "history",
    ...(page.total !== null ? { total: page.total } : {}),
    link,
    ...(entry.length > 0 ? { entry } : {}),
  };
  return { status: 200, resource: bundle };
}

/**
 * One history entry: the version, how it was written and what the server answered. A first
 * version is a create (POST [type]) unless the index recorded it was an update that created
 * the resource at the client's id (PUT [type]/[id], 201); versions written before that was
 * recorded show as creates.
 */
export function historyEntry({ row, resource }: StoredVersion, baseUrl: string): Record<string, unknown> {
  const { type, id, versionId, deleted, lastUpdated } = row;
  const created = versionId === 1 || row.createdByUpdate === true;
  const request = deleted
    ? { method: "DELETE", url: `${type}/${id}` }
    : versionId === 1 && row.createdByUpdate !== true
      ? { method: "POST", url: type }
      : { method: "PUT", url: `${type}/${id}` };
  return {
    fullUrl: `${baseUrl}/${type}/${id}`,
    ...(resource ? { resource } : {}),
    request,
    response: {
      status: deleted ? "204" : created ? "201" : "200",
      etag: `W/"${versionId}"`,
      lastModified: lastUpdated,
    },
  };
}
