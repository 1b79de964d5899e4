import type { AuditTrail } from "../../audit/AuditTrail.ts";
import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { CompartmentPage } from "../../ports/HistoryIndex.ts";
import type { VersionRow } from "../../ports/VersionStore.ts";
import { loadWithin, ResponseBudget } from "../responseBudget.ts";
import type { RecordRepository, StoredVersion } from "../../records/RecordRepository.ts";
import { stringifyJson } from "../../json/preciseJson.ts";
import { arrayPieces, type JsonPieces, objectWithPieces, PiecesResult, storedJson } from "../jsonPieces.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import type { AccessGuard } from "../engine/AccessGuard.ts";
import type { PolicyExpr, SearchPolicy } from "../../ports/SearchRequest.ts";
import { loadCompartmentPaths } from "../resource/compartmentOf.ts";
import { loadChecked } from "../history/loadChecked.ts";
import { extractSearchValues } from "../search/extractSearchValues.ts";
import { echoedWarnings, moreIgnored } from "../outcome/echoedWarnings.ts";
import { formatHistoryParams, parseHistoryParams, type HistoryParams } from "../history/parseHistoryParams.ts";

/** Clinical-date filters of $everything; not supported (they need each type's clinical date). */
const UNSUPPORTED = new Set(["start", "end"]);

/**
 * The searchset of a `$everything` (instance or type level): parses `_since`, `_type`, `_count`
 * (default 50, at most 1000), `_total` and `_cursor` as history does, asks `pageOf` for the
 * page, and returns its members as matches and the shared resources they refer to as
 * includes, with self and next links on `path`. `start`, `end` and unknown parameters are
 * ignored and reported in an OperationOutcome entry. A page ends early when the response is
 * full (see ResponseBudget), and says so there.
 * @see https://hl7.org/fhir/R4/patient-operation-everything.html
 */
export async function everythingSearchset(
  deps: { records: RecordRepository; audit?: AuditTrail; budget?: () => ResponseBudget; access?: AccessGuard },
  actor: Actor,
  request: { path: string; query: URLSearchParams; baseUrl: string; compartment?: string },
  pageOf: (params: HistoryParams, gate: PolicyExpr | undefined) => Promise<CompartmentPage>,
): Promise<FhirResult> {
  const { path, query, baseUrl } = request;
  const withoutDates = new URLSearchParams([...query].filter(([k]) => !UNSUPPORTED.has(k)));
  if (withoutDates.has("_at"))
    throw new FhirLedgerError("invalid", "_at does not apply to $everything", {
      issues: [{ type: "invalid", diagnostics: "_at does not apply to $everything", expression: ["_at"] }],
    });
  const params = parseHistoryParams(withoutDates, { allowTypes: true });
  // Members and shared resources are shown when searchable (`s`) by the caller; `_type` naming a
  // type not granted is a 403. When type and compartment alone decide which members are
  // visible, the page is asked for those types only, and its total is exact; under a granular
  // constraint members are checked one by one after loading, and the page has no total.
  const access = deps.access;
  const policy = access?.searchPolicy(actor, params.types ?? "*", "s");
  const visible = (s: StoredVersion) =>
    policy === undefined || (s.resource != null && access!.permits(actor, "s", s.resource, s.row.compartment));
  const memberTypes = policy === undefined ? undefined : exactMemberTypes(policy, request.compartment, params.types);
  const pageParams: HistoryParams = memberTypes === undefined ? params : { ...params, types: memberTypes };
  const exact = policy === undefined || memberTypes !== undefined;
  // The caller's consent goes into the page's query, so its members and total are those it admits.
  const pageOfMembers = (p: HistoryParams) =>
    pageOf(p === params ? pageParams : { ...pageParams, count: p.count }, policy?.gate);
  let page = await pageOfMembers(params);
  const budget = deps.budget?.() ?? new ResponseBudget();
  const load = async (row: VersionRow) => (await loadChecked(deps, actor, "operation", [row]))[0]!;
  const notes: { severity: string; code: string; diagnostics: string }[] = [];
  const members = await loadWithin(page.versions, budget, load);
  let loaded = members.loaded;
  if (!members.complete) {
    // As a search page: fewer entries than _count, and a next link going on after them. The page
    // is asked again for that many, so its cursor and shared resources are those it keeps.
    notes.push({
      severity: "information",
      code: "informational",
      diagnostics: `This page holds ${loaded.length} of the ${page.versions.length} resources it would have had: a response holds at most ${budget.describe()}; the next link goes on after them`,
    });
    const kept = new Map(loaded.map((m) => [`${m.row.type}/${m.row.id}/${m.row.versionId}`, m]));
    page = await pageOfMembers({ ...params, count: loaded.length });
    loaded = await Promise.all(page.versions.map((v) => kept.get(`${v.type}/${v.id}/${v.versionId}`) ?? load(v)));
  }
  const shared = await loadWithin(page.referenced, budget, load);
  const shown = loaded.filter(visible);
  // The shared resources were found from every member of the page: when some are hidden, only
  // those a shown member refers to stay, or they would tell what the hidden ones refer to.
  const reached = shown.length === loaded.length ? undefined : referencesOf(shown);
  const referenced = shared.loaded.filter(
    (s) => visible(s) && (reached === undefined || reached.has(`${s.row.type}/${s.row.id}`)),
  );
  loaded = shown;
  if (!shared.complete)
    notes.push({
      severity: "warning",
      code: "too-costly",
      diagnostics: `${referenced.length} of the ${page.referenced.length} shared resources the page refers to are included: a response holds at most ${budget.describe()}`,
    });
  const link = [{ relation: "self", url: `${baseUrl}${path}?${formatHistoryParams(params, params.cursor)}` }];
  if (page.nextCursor)
    link.push({ relation: "next", url: `${baseUrl}${path}?${formatHistoryParams(params, page.nextCursor)}` });
  // Written out in pieces, each resource as its stored JSON (see jsonPieces.ts).
  const entry: (() => JsonPieces)[] = [];
  const add = (stored: StoredVersion, mode: "match" | "include") => {
    const fullUrl = `${baseUrl}/${stored.row.type}/${stored.row.id}`;
    const json = storedJson(stored);
    entry.push(
      json !== null
        ? () => objectWithPieces({ fullUrl }, "resource", [json], { search: { mode } }, stringifyJson)
        : () => [stringifyJson({ fullUrl, resource: stored.resource, search: { mode } })],
    );
  };
  for (const stored of loaded) add(stored, "match");
  for (const stored of referenced) add(stored, "include");
  const ignored = [...new Set([...query.keys()].filter((k) => UNSUPPORTED.has(k)).concat(params.ignored))];
  if (ignored.length > 0 || notes.length > 0) {
    const outcome = {
      resource: {
        resourceType: "OperationOutcome",
        issue: [
          ...notes,
          ...echoedWarnings(
            ignored,
            (name) => ({
              severity: "warning",
              code: "not-supported",
              diagnostics: `parameter ignored: ${name.slice(0, 64)}`,
            }),
            (n) => ({ severity: "warning", code: "not-supported", diagnostics: moreIgnored(n) }),
          ),
        ],
      },
      search: { mode: "outcome" },
    };
    entry.push(() => [stringifyJson(outcome)]);
  }
  const head = {
    resourceType: "Bundle",
    type: "searchset",
    ...(page.total !== null && exact ? { total: page.total } : {}),
    link,
  };
  return new PiecesResult(200, () =>
    entry.length > 0 ? objectWithPieces(head, "entry", arrayPieces(entry), {}, stringifyJson) : [stringifyJson(head)],
  );
}

/**
 * The member types a policy shows of compartment `compartment` (undefined: of every patient's),
 * when type and compartment alone decide it: the types of the rules that admit its members (no
 * confinement, or confinement to it), within `_type`. Undefined when a rule has a granular
 * constraint, or when the answer is no type at all or every type (the page is then filtered).
 */
function exactMemberTypes(
  policy: SearchPolicy,
  compartment: string | undefined,
  asked: readonly string[] | undefined,
): string[] | undefined {
  if (policy.rules.some((r) => r.filters.length > 0)) return undefined;
  const admitting = policy.rules.filter((r) => r.confine === undefined || r.confine === compartment);
  const all = asked ?? [...compartmentTypes()];
  const types = all.filter((t) =>
    admitting.some((r) => (r.types === "*" ? !(r.exceptTypes ?? []).includes(t) : r.types.includes(t))),
  );
  return types.length === 0 ? undefined : types;
}

let memberTypes: ReadonlySet<string> | undefined;

/** The types a patient compartment's members can be of (the CompartmentDefinition's with parameters, and Patient). */
function compartmentTypes(): ReadonlySet<string> {
  if (memberTypes !== undefined) return memberTypes;
  const set = new Set<string>(["Patient"]);
  for (const [type, paths] of loadCompartmentPaths()) if (paths.length > 0) set.add(type);
  memberTypes = set;
  return set;
}

/** The references ("Type/id") the members hold, read as the index reads them. */
function referencesOf(members: readonly StoredVersion[]): Set<string> {
  const out = new Set<string>();
  for (const m of members) {
    if (m.resource == null) continue;
    for (const row of extractSearchValues(m.resource as { resourceType: string }))
      if (row.kind === "reference" && row.targetType !== null && row.targetId !== null)
        out.add(`${row.targetType}/${row.targetId}`);
  }
  return out;
}
