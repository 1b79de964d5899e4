import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { SearchIndex } from "../../ports/SearchIndex.ts";
import type { SearchPolicy } from "../../ports/SearchRequest.ts";
import type { VersionRow } from "../../ports/VersionStore.ts";
import { parseSearchRequest } from "../search/parseSearchRequest.ts";
import { decodeFormParams } from "../search/decodeFormParams.ts";

/** Result parameters that would change which resources a condition selects, or how many. */
const NOT_CRITERIA = new Set([
  "_count",
  "_offset",
  "_sort",
  "_include",
  "_revinclude",
  "_summary",
  "_elements",
  "_total",
  "_cursor",
]);
/** Transport parameters: how to answer, not what to match. */
const TRANSPORT = ["_format", "_pretty"];

/**
 * Current resources of `type` matching conditional criteria (a search query string without
 * `?`), at most `limit` of them: 2 is enough to tell none, one and several apart; a
 * conditional delete asks for one more than it may delete.
 * `policy`: the caller's access (FhirInteractions.matchPolicy), so criteria never find what
 * the caller may not write.
 * Unlike a search, a parameter the server does not know is refused (400), never ignored:
 * ignoring it would widen the match and make a conditional write hit the wrong resource.
 * @see https://hl7.org/fhir/R4/http.html#cond-update
 */
export async function findMatches(
  index: SearchIndex,
  type: string,
  criteria: string,
  limit = 2,
  policy?: SearchPolicy,
): Promise<VersionRow[]> {
  const query = decodeFormParams(criteria.startsWith("?") ? criteria.slice(1) : criteria, "conditional criteria");
  for (const name of TRANSPORT) query.delete(name);
  const names = [...query.keys()];
  if (names.length === 0)
    throw invalid(`the conditional criteria for ${type} are empty; they would match every resource`);
  // a search ignores an empty parameter; a condition must not (it would match more than meant)
  const empty = [...query].find(([, value]) => value === "");
  if (empty)
    throw invalid(
      `the conditional criteria for ${type} give ${empty[0].slice(0, 64)} no value; every criterion needs one`,
    );
  const resultParams = names.filter((n) => NOT_CRITERIA.has(n.split(":")[0]!));
  if (resultParams.length > 0)
    throw invalid(`conditional criteria may not contain result parameters (${resultParams.join(", ")})`);
  const request = parseSearchRequest(type, query);
  if (request.unknown.length > 0) {
    throw new FhirLedgerError("invalid", "conditional criteria use parameters this server does not support", {
      issues: request.unknown.map((u) => ({
        type: "not-supported",
        diagnostics: `${u.name}: ${u.reason}`,
        expression: [u.name],
      })),
    });
  }
  // The index serves one page per search (at most 1000 rows whatever count asks for): follow
  // its cursor, so a limit above a page is honoured and "more than the limit" stays visible.
  const base = { ...request, include: [], revinclude: [], sort: [], ...(policy === undefined ? {} : { policy }) };
  let page = await index.search({ ...base, count: limit }, { countTotal: false });
  const matches = [...page.matches];
  while (matches.length < limit && page.nextCursor !== null && page.matches.length > 0) {
    page = await index.search(
      { ...base, count: limit - matches.length, cursor: page.nextCursor },
      { countTotal: false },
    );
    matches.push(...page.matches);
  }
  return matches;
}

function invalid(message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, { issues: [{ type: "invalid", diagnostics: message }] });
}
