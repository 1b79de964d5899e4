import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { isResourceType, paramFor, type SearchParamDef } from "./searchParameters.ts";
import { isSearchable } from "./isSearchable.ts";
import { splitUnescaped } from "./searchValueSyntax.ts";
import { SEARCH_TYPES } from "./types/index.ts";
import type { IncludeSpec, SearchFilter, SearchRequest, SearchValue, SortKey } from "../../ports/SearchRequest.ts";

export type { SearchRequest } from "../../ports/SearchRequest.ts";

/** Limits on what a client controls. */
export interface SearchLimits {
  /** OR alternatives in one parameter (default 100) */
  maxOrValues?: number;
  /** reference hops in a chain or `_has` (default 3) */
  maxChainDepth?: number;
  /** AND-ed parameters (default 64) */
  maxParams?: number;
  /** characters in one value (default 1024) */
  maxValueLength?: number;
  /** largest `_count`; larger requests are reduced to it (default 1000) */
  maxCount?: number;
  /** largest `_offset` (default 10000) */
  maxOffset?: number;
  /** parameters in the request, known or not (default 256) */
  maxQueryParams?: number;
}

export type SearchQuery = URLSearchParams | Iterable<readonly [string, string]>;

export interface ParseSearchOptions {
  /**
   * A search over several types (system level): every type it spans. A parameter or sort key
   * then applies only when each of them defines it alike (same type, indexed); chains, `_has`
   * and composites are not taken (their SQL is per type).
   */
  spanning?: readonly string[];
}

const DEFAULTS = {
  maxOrValues: 100,
  maxChainDepth: 3,
  maxParams: 64,
  maxValueLength: 1024,
  maxCount: 1000,
  maxOffset: 10_000,
  maxQueryParams: 256,
};

/** Untyped chains over references to many types (e.g. Provenance.target) must name the type. */
const MAX_CHAIN_TARGETS = 16;
/** Handled by the HTTP layer, not search. */
const TRANSPORT = new Set(["_format", "_pretty"]);

/** Thrown for a request we refuse outright (as opposed to parameters we ignore). */
function invalid(message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, { issues: [{ type: "invalid", diagnostics: message }] });
}

/** Thrown for a request with more parameters than the server takes: each one is parsed, and an unknown one echoed. */
function tooManyParams(max: number): FhirLedgerError {
  const message = `The search has more than ${max} parameters, the most this server takes (FHIRLEDGER_MAX_QUERY_PARAMS)`;
  return new FhirLedgerError("invalid", message, { issues: [{ type: "too-costly", diagnostics: message }] });
}

/**
 * Thrown for a known parameter with a modifier we don't implement: ignoring it would answer a
 * different (usually wider) question than the one asked, so it is refused whatever `Prefer:
 * handling` says.
 * @see https://hl7.org/fhir/R4/search.html#modifiers
 */
function unsupportedModifier(name: string, code: string, modifier: string): FhirLedgerError {
  const message = `Search parameter '${code.slice(0, 64)}' does not support the modifier ':${modifier.slice(0, 64)}'`;
  return new FhirLedgerError("invalid", message, {
    issues: [{ type: "not-supported", diagnostics: message, expression: [name.slice(0, 256)] }],
  });
}

/** Result of parsing one filter key: a filter, or the reason it is not supported. */
type Parsed = SearchFilter | string;

/**
 * Parses a FHIR search query for `type` into a SearchRequest; pure, no I/O.
 * Unknown or unsupported parameters are collected in `unknown` (the caller reports
 * them, or rejects them under `Prefer: handling=strict`); malformed values and
 * exceeded limits throw FhirLedgerError "invalid".
 * @see https://hl7.org/fhir/R4/search.html
 */
export function parseSearchRequest(
  type: string,
  query: SearchQuery,
  limits: SearchLimits = {},
  options: ParseSearchOptions = {},
): SearchRequest {
  const lim = { ...DEFAULTS, ...limits };
  const { spanning } = options;
  if (!isResourceType(type)) throw invalid(`Unknown resource type`);
  const request: SearchRequest = { type, filters: [], include: [], revinclude: [], sort: [], unknown: [] };
  let params = 0;
  for (const [rawName, rawValue] of query) {
    if (++params > lim.maxQueryParams) throw tooManyParams(lim.maxQueryParams);
    const name = String(rawName);
    const value = String(rawValue);
    if (name.length > 256) throw invalid("Parameter name too long");
    if (value.length > lim.maxValueLength * lim.maxOrValues) throw invalid("Parameter value too long");
    if (TRANSPORT.has(name)) continue;
    const base = name.split(":")[0]!;
    switch (base) {
      case "_sort":
        request.sort = parseSort(type, value, request, spanning);
        continue;
      case "_count": {
        const asked = parseInteger(name, value, Number.MAX_SAFE_INTEGER);
        request.count = Math.min(asked, lim.maxCount);
        if (asked > lim.maxCount) request.countRequested = asked;
        else delete request.countRequested;
        continue;
      }
      case "_offset":
        request.offset = parseInteger(name, value, lim.maxOffset);
        continue;
      case "_cursor":
        if (!/^[A-Za-z0-9_-]{1,8192}$/.test(value)) throw invalid("Malformed _cursor");
        request.cursor = value;
        continue;
      case "_total":
        if (value !== "none" && value !== "estimate" && value !== "accurate")
          throw invalid("_total must be none, estimate or accurate");
        request.total = value;
        continue;
      case "_summary":
        if (!["true", "false", "text", "data", "count"].includes(value))
          throw invalid("_summary must be true, false, text, data or count");
        request.summary = value as SearchRequest["summary"];
        continue;
      case "_elements": {
        const elements = value
          .split(",")
          .map((e) => e.trim())
          .filter((e) => e.length > 0);
        if (elements.length > 100 || elements.some((e) => !/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(e))) {
          throw invalid("Malformed _elements");
        }
        request.elements = elements;
        continue;
      }
      case "_include":
      case "_revinclude": {
        const modifier = name.slice(base.length + 1);
        if (modifier !== "" && modifier !== "iterate" && modifier !== "recurse") {
          request.unknown.push({ name, value, reason: "unsupported modifier" });
          continue;
        }
        const spec = parseInclude(value, modifier !== "");
        if (typeof spec === "string") request.unknown.push({ name, value, reason: spec });
        else (base === "_include" ? request.include : request.revinclude).push(spec);
        if (request.include.length + request.revinclude.length > lim.maxParams)
          throw invalid("Too many _include/_revinclude parameters");
        continue;
      }
    }
    if (value === "") continue; // an empty value means "no condition"
    const notShared = spanning === undefined ? undefined : notSharedReason(type, name, spanning);
    const parsed = notShared ?? parseFilter(type, name, value, 0, lim, name);
    if (typeof parsed === "string") request.unknown.push({ name, value, reason: parsed });
    else {
      request.filters.push(parsed);
      if (request.filters.length > lim.maxParams) throw invalid(`More than ${lim.maxParams} search parameters`);
    }
  }
  return request;
}

function parseInteger(name: string, value: string, max: number): number {
  if (!/^\d{1,16}$/.test(value)) throw invalid(`${name} must be a non-negative integer`);
  const n = Number(value);
  if (n > max) throw invalid(`${name} may not exceed ${max}`);
  return n;
}

/**
 * Why parameter `name` can't be searched over all of `spanning` (undefined when it can, or when
 * no type spanned knows it: parseFilter then says so).
 */
function notSharedReason(type: string, name: string, spanning: readonly string[]): string | undefined {
  if (name.startsWith("_has:") || name.includes(".")) return "chains and _has need a single type (add _type)";
  const code = name.split(":")[0]!;
  const def = paramFor(type, code);
  if (def === undefined)
    return spanning.some((t) => paramFor(t, code) !== undefined) ? "not a parameter of every type searched" : undefined;
  if (def.type === "composite") return "composite parameters need a single type (add _type)";
  return definedAlike(def, spanning) ? undefined : "not a parameter of every type searched";
}

/** True when every type in `types` has an indexed parameter of `def`'s code and type. */
function definedAlike(def: SearchParamDef, types: readonly string[]): boolean {
  return types.every((t) => {
    const other = paramFor(t, def.code);
    return (
      other !== undefined &&
      other.type === def.type &&
      (other.expression === undefined) === (def.expression === undefined)
    );
  });
}

function parseSort(type: string, value: string, request: SearchRequest, spanning?: readonly string[]): SortKey[] {
  const keys: SortKey[] = [];
  for (const item of value.split(",")) {
    const descending = item.startsWith("-");
    const code = descending ? item.slice(1) : item;
    if (code === "") continue;
    const def = paramFor(type, code);
    if (
      !def ||
      !SEARCH_TYPES[def.type].sortable ||
      (!def.expression && code !== "_id" && code !== "_lastUpdated") ||
      (spanning !== undefined && !definedAlike(def, spanning))
    ) {
      request.unknown.push({ name: "_sort", value: item, reason: "unknown or unsortable parameter" });
      continue;
    }
    keys.push({ code, descending });
    if (keys.length > 8) throw invalid("Too many _sort keys");
  }
  return keys;
}

function parseInclude(value: string, iterate: boolean): IncludeSpec | string {
  if (value === "*") return { sourceType: "*", param: "*", iterate };
  const [sourceType, param, targetType, extra] = value.split(":");
  if (!sourceType || !param || extra !== undefined || !isResourceType(sourceType)) return "malformed include";
  if (param === "*") return { sourceType, param, iterate };
  const def = paramFor(sourceType, param);
  if (def?.type !== "reference") return "unknown reference parameter";
  if (
    targetType !== undefined &&
    (!isResourceType(targetType) || (def.target.length > 0 && !def.target.includes(targetType)))
  ) {
    return "invalid target type";
  }
  return targetType === undefined ? { sourceType, param, iterate } : { sourceType, param, targetType, iterate };
}

/**
 * Parses `key` (the rest of parameter `name` below a chain or `_has`). An unknown parameter is
 * a reason string; a known one with a modifier we lack throws.
 */
function parseFilter(
  type: string,
  key: string,
  value: string,
  depth: number,
  lim: typeof DEFAULTS,
  name: string,
): Parsed {
  if (key.startsWith("_has:")) {
    if (depth + 1 > lim.maxChainDepth) throw invalid(`Chains and _has may be at most ${lim.maxChainDepth} deep`);
    const parts = key.split(":");
    const [, sourceType, refParam] = parts;
    if (parts.length < 4 || !sourceType || !refParam || !isResourceType(sourceType)) return "malformed _has";
    const def = paramFor(sourceType, refParam);
    if (def?.type !== "reference") return "unknown _has reference parameter";
    if (def.target.length > 0 && !def.target.includes(type))
      return "_has reference parameter does not point to this type";
    const next = parseFilter(sourceType, parts.slice(3).join(":"), value, depth + 1, lim, name);
    return typeof next === "string" ? next : { kind: "has", type: sourceType, refParam, next };
  }
  const dot = key.indexOf(".");
  if (dot >= 0) {
    if (depth + 1 > lim.maxChainDepth) throw invalid(`Chains and _has may be at most ${lim.maxChainDepth} deep`);
    const [code, explicitType, extra] = key.slice(0, dot).split(":");
    const rest = key.slice(dot + 1);
    const def = code ? paramFor(type, code) : undefined;
    if (def?.type !== "reference") return "unknown chained parameter";
    if (extra !== undefined) throw unsupportedModifier(name, code!, `${explicitType}:${extra}`);
    const nextCode = rest.split(/[.:]/)[0]!;
    let targetTypes: string[];
    if (explicitType !== undefined) {
      if (!isResourceType(explicitType) || (def.target.length > 0 && !def.target.includes(explicitType)))
        throw unsupportedModifier(name, code!, explicitType);
      targetTypes = [explicitType];
    } else {
      targetTypes = def.target.filter((t) => paramFor(t, nextCode) !== undefined);
      // values are parsed once, so every candidate must give the chained parameter the same type
      const first = targetTypes[0] === undefined ? undefined : paramFor(targetTypes[0], nextCode)?.type;
      targetTypes = targetTypes.filter((t) => paramFor(t, nextCode)?.type === first);
      if (targetTypes.length > MAX_CHAIN_TARGETS) return "ambiguous chain: add a type, e.g. subject:Patient.name";
    }
    if (targetTypes.length === 0 || !paramFor(targetTypes[0]!, nextCode)) return "unknown chained parameter";
    const next = parseFilter(targetTypes[0]!, rest, value, depth + 1, lim, name);
    if (typeof next === "string") return next;
    const chain: SearchFilter = { kind: "chain", code: code!, targetTypes, next };
    if (explicitType !== undefined) chain.explicitType = explicitType;
    return chain;
  }
  const [code, modifier, ...extra] = key.split(":");
  const def = code ? paramFor(type, code) : undefined;
  if (!def) return "unknown parameter";
  const module = SEARCH_TYPES[def.type];
  if (!isSearchable(def)) return "unsupported parameter";
  if (extra.length > 0) throw unsupportedModifier(name, code!, [modifier, ...extra].join(":"));
  let targetType: string | undefined;
  let mod: string | undefined = modifier;
  if (mod !== undefined && def.type === "reference" && isResourceType(mod)) {
    if (def.target.length > 0 && !def.target.includes(mod)) throw unsupportedModifier(name, code!, mod);
    targetType = mod;
    mod = undefined;
  }
  if (mod !== undefined && !module.modifiers.includes(mod)) throw unsupportedModifier(name, code!, mod);
  if ((code === "_id" || code === "_lastUpdated") && mod !== undefined && mod !== "not")
    throw unsupportedModifier(name, code!, mod);
  const values = parseValues(def, mod, value, lim);
  if (values.length === 0) return "empty value";
  const filter: SearchFilter = { kind: "param", code: code!, paramType: def.type, values };
  if (mod !== undefined) filter.modifier = mod;
  if (targetType !== undefined) filter.targetType = targetType;
  return filter;
}

function parseValues(
  def: SearchParamDef,
  modifier: string | undefined,
  raw: string,
  lim: typeof DEFAULTS,
): SearchValue[] {
  const pieces = splitUnescaped(raw, ",").filter((p) => p.length > 0);
  if (pieces.length > lim.maxOrValues) throw invalid(`More than ${lim.maxOrValues} values for one parameter`);
  return pieces.map((piece) => {
    if (piece.length > lim.maxValueLength) throw invalid(`Search value longer than ${lim.maxValueLength} characters`);
    if (modifier === "missing") {
      if (piece !== "true" && piece !== "false") throw invalid(`:missing takes true or false`);
      return { value: piece };
    }
    const v = SEARCH_TYPES[def.type].parse(piece, modifier);
    if (v === undefined) throw invalid(`Malformed ${def.type} value for ${def.code}`);
    return v;
  });
}
