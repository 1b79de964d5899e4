import type { SearchRequest } from "../ports/SearchRequest.ts";
import { formatSearchRequest } from "./search/formatSearchRequest.ts";
import { mandatoryElements } from "./definitions/mandatoryElements.ts";
import { elementsFor } from "./resource/elementsFor.ts";
import { summarize } from "./resource/summarize.ts";
import { stringifyJson } from "../json/preciseJson.ts";
import { arrayPieces, type JsonPieces, objectWithPieces, storedJson } from "./jsonPieces.ts";

type Resource = Record<string, unknown> & { resourceType: string; id?: string; meta?: Record<string, unknown> };

const SUBSETTED = {
  system: "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
  code: "SUBSETTED",
  display: "Resource encoded in summary mode",
};
/** Elements kept by `_elements` whatever was asked, with the mandatory ones (R4 search.html#elements). */
const ALWAYS = new Set(["resourceType", "id", "meta"]);

/**
 * Shapes a resource for `_elements` / `_summary=true|text|data` and marks it SUBSETTED.
 * `_elements` wins over `_summary`; `_summary=true` keeps the elements marked isSummary in the
 * R4 definitions, recursively (see summarize). `_elements` and `_summary=text` keep the
 * type's mandatory top-level elements too (Observation.status and code): a client that checks
 * cardinality would otherwise reject every subsetted resource. A primitive's `_name` sibling
 * (its id and extensions) goes with its value. Used by search (matches and, with `included`,
 * _include/_revinclude resources) and by read. `_summary` shapes every resource alike; of
 * `_elements`, an included resource takes only the names qualified by its type (elementsFor).
 * @see https://hl7.org/fhir/R4/search.html#summary
 * @see https://hl7.org/fhir/R4/search.html#elements
 */
export function shapeResource(
  resource: Resource,
  request: Pick<SearchRequest, "elements" | "summary">,
  options: { included?: boolean } = {},
): Resource {
  let keep: ((key: string) => boolean) | null = null;
  let shaped: Resource;
  const elements = elementsFor(resource.resourceType, request.elements, { included: options.included === true });
  const mandatory = mandatoryElements(resource.resourceType);
  const named = (key: string) => (key.startsWith("_") ? key.slice(1) : key);
  if (elements) {
    const wanted = new Set(elements);
    keep = (key) => ALWAYS.has(key) || wanted.has(named(key)) || mandatory.has(named(key));
  } else if (request.summary === "data") {
    keep = (key) => key !== "text";
  } else if (request.summary === "text") {
    keep = (key) => ALWAYS.has(key) || key === "text" || key === "status" || mandatory.has(named(key));
  }
  if (keep) {
    shaped = { resourceType: resource.resourceType };
    for (const [key, value] of Object.entries(resource)) if (keep(key)) shaped[key] = value;
  } else if (request.summary === "true") {
    const summary = summarize(resource);
    if (summary === undefined) return resource;
    shaped = summary as Resource;
  } else {
    return resource;
  }
  const meta = { ...(resource.meta ?? {}) } as { tag?: unknown[] };
  meta.tag = [...(Array.isArray(meta.tag) ? meta.tag : []), SUBSETTED];
  shaped.meta = meta;
  return shaped;
}

export interface SearchsetInput {
  baseUrl: string;
  request: SearchRequest;
  matches: Resource[];
  included: Resource[];
  total: number | null;
  nextCursor: string | null;
  /** Issues about the search itself: ignored parameters, includes cut off at a limit. */
  warnings: SearchWarning[];
  /** Notes on how the search was answered (a `_count` reduced to the maximum): information issues. */
  information?: string[];
}

/** A warning in the searchset's OperationOutcome, with its R4 issue type. */
export interface SearchWarning {
  /** `not-supported`: a parameter was ignored; `too-costly`: a server limit cut the answer short */
  code: "not-supported" | "too-costly";
  diagnostics: string;
}

/**
 * A searchset Bundle with self/next links that replay the same search; `_summary` and
 * `_elements` shape the matches and the included resources (see shapeResource). Under
 * `_summary=count` the Bundle is the count only: no entries but an outcome, and no `next` link
 * (the pages after hold nothing either).
 * @see https://hl7.org/fhir/R4/bundle.html
 * @see https://hl7.org/fhir/R4/search.html#summary
 */
export function buildSearchset(input: SearchsetInput): Record<string, unknown> {
  const { baseUrl, request } = input;
  const { head, outcome } = searchsetFrame(input);
  const entry: Record<string, unknown>[] = [];
  if (request.summary !== "count") {
    for (const r of input.matches)
      entry.push({
        fullUrl: `${baseUrl}/${r.resourceType}/${r.id}`,
        resource: shapeResource(r, request),
        search: { mode: "match" },
      });
    for (const r of input.included)
      entry.push({
        fullUrl: `${baseUrl}/${r.resourceType}/${r.id}`,
        resource: shapeResource(r, request, { included: true }),
        search: { mode: "include" },
      });
  }
  if (outcome) entry.push(outcome);
  return { ...head, ...(entry.length > 0 ? { entry } : {}) };
}

/** A resource of a page as loaded: its row, its JSON as stored, and the object when it must be reshaped. */
export interface PageResource {
  readonly row: { type: string; id: string };
  readonly bytes?: Uint8Array | null;
  readonly text?: string | null;
  readonly resource: Record<string, unknown> | null;
}

/**
 * The searchset of buildSearchset as JSON pieces, for the response to be written out as it is
 * produced: a resource that is not reshaped (no `_summary`, `_elements`) is its stored JSON as
 * it is, never parsed.
 */
export function* searchsetPieces(
  input: Omit<SearchsetInput, "matches" | "included"> & { matches: PageResource[]; included: PageResource[] },
): Generator<string | Uint8Array> {
  const { baseUrl, request } = input;
  const { head, outcome } = searchsetFrame(input);
  const asStored = request.elements === undefined && (request.summary === undefined || request.summary === "false");
  const entries: (() => JsonPieces)[] = [];
  const add = (r: PageResource, mode: "match" | "include") => {
    const fullUrl = `${baseUrl}/${r.row.type}/${r.row.id}`;
    const stored = asStored ? storedJson(r) : null;
    entries.push(
      stored !== null
        ? () => objectWithPieces({ fullUrl }, "resource", [stored], { search: { mode } }, stringifyJson)
        : () => [
            stringifyJson({
              fullUrl,
              resource: shapeResource(r.resource as Resource, request, { included: mode === "include" }),
              search: { mode },
            }),
          ],
    );
  };
  if (request.summary !== "count") {
    for (const r of input.matches) add(r, "match");
    for (const r of input.included) add(r, "include");
  }
  if (outcome) entries.push(() => [stringifyJson(outcome)]);
  if (entries.length === 0) {
    yield stringifyJson(head);
    return;
  }
  yield* objectWithPieces(head, "entry", arrayPieces(entries), {}, stringifyJson);
}

/** The Bundle's members before `entry`, and its OperationOutcome entry (when it has one). */
function searchsetFrame(input: Omit<SearchsetInput, "matches" | "included">): {
  head: Record<string, unknown>;
  outcome: Record<string, unknown> | undefined;
} {
  const { baseUrl, request } = input;
  // A system-level search is addressed to the base itself: [base]?…
  const path = request.system === undefined ? `${baseUrl}/${request.type}` : baseUrl;
  const self = `${path}?${formatSearchRequest({ ...request, unknown: [] })}`.replace(/\?$/, "");
  const link: { relation: string; url: string }[] = [{ relation: "self", url: self }];
  if (input.nextCursor && request.summary !== "count") {
    link.push({
      relation: "next",
      url: `${path}?${formatSearchRequest({ ...request, unknown: [], cursor: input.nextCursor, offset: undefined })}`,
    });
  }
  const information = input.information ?? [];
  const outcome =
    input.warnings.length > 0 || information.length > 0
      ? {
          resource: {
            resourceType: "OperationOutcome",
            issue: [
              ...input.warnings.map((w) => ({ severity: "warning", code: w.code, diagnostics: w.diagnostics })),
              ...information.map((diagnostics) => ({ severity: "information", code: "informational", diagnostics })),
            ],
          },
          search: { mode: "outcome" },
        }
      : undefined;
  return {
    head: {
      resourceType: "Bundle",
      type: "searchset",
      ...(input.total !== null ? { total: input.total } : {}),
      link,
    },
    outcome,
  };
}
