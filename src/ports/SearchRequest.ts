/** The R4 search parameter types. */
export type SearchParamType =
  | "number"
  | "date"
  | "string"
  | "token"
  | "reference"
  | "composite"
  | "quantity"
  | "uri"
  | "special";

/** Comparison prefixes for number, date and quantity. @see https://hl7.org/fhir/R4/search.html#prefix */
export type Prefix = "eq" | "ne" | "gt" | "lt" | "ge" | "le" | "sa" | "eb" | "ap";
export const PREFIXES: readonly Prefix[] = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"];

/**
 * One OR-alternative of a parameter, unescaped.
 * token: `system|value` (system undefined when no `|` was given, "" for `|code`);
 * quantity: `value|system|unit`; number/date: prefix + value.
 */
export interface SearchValue {
  prefix?: Prefix;
  value: string;
  system?: string;
  /** quantity unit code */
  unit?: string;
}

/** A condition on one parameter of the current resource type. */
export interface ParamFilter {
  kind: "param";
  code: string;
  paramType: SearchParamType;
  /** exact, contains, missing, not, text, identifier, above, below */
  modifier?: string;
  /** reference `:[type]` modifier */
  targetType?: string;
  /** OR-ed alternatives */
  values: SearchValue[];
}

/** `subject:Patient.name=x`: the reference parameter `code` points to a resource matching `next`. */
export interface ChainFilter {
  kind: "chain";
  code: string;
  /** the type written in the request, if any */
  explicitType?: string;
  /** the target types `next` is evaluated on */
  targetTypes: string[];
  next: SearchFilter;
}

/** `_has:Observation:patient:code=x`: some `type` resource whose `refParam` points here matches `next`. */
export interface HasFilter {
  kind: "has";
  type: string;
  refParam: string;
  next: SearchFilter;
}

export type SearchFilter = ParamFilter | ChainFilter | HasFilter;

export interface IncludeSpec {
  sourceType: string;
  /** reference parameter code, or "*" */
  param: string;
  targetType?: string;
  iterate: boolean;
}

export interface SortKey {
  code: string;
  descending: boolean;
}

/** A parameter we did not apply, and why. */
export interface UnknownParam {
  name: string;
  value: string;
  reason: string;
}

/**
 * One way a resource may be visible to the caller: it is of `types` ("*": any type but
 * `exceptTypes`), in compartment `confine` when given (the index's current compartment of the
 * resource, "Patient/<id>"), and matches every one of `filters` (a granular scope's
 * constraint; `types` is then one type).
 */
export interface PolicyRule {
  types: readonly string[] | "*";
  exceptTypes?: readonly string[];
  confine?: string;
  filters: readonly SearchFilter[];
}

/**
 * What the caller may see, compiled into the query (matches, totals, includes, chain and _has
 * targets): a resource is visible when some rule admits it. No rules: nothing is visible.
 */
export interface SearchPolicy {
  rules: readonly PolicyRule[];
  /**
   * A further condition every visible row must meet (the caller's consent, src/consent/),
   * AND-ed with the rules wherever they apply; absent: none.
   */
  gate?: PolicyExpr;
}

/**
 * A condition on one resource row, compiled into SQL (policyCondition) and evaluated in memory
 * on one resource (src/consent/evaluatePolicyExpr.ts) with the same meaning.
 */
export type PolicyExpr =
  | { kind: "true" }
  | { kind: "false" }
  | { kind: "and"; of: PolicyExpr[] }
  | { kind: "or"; of: PolicyExpr[] }
  | { kind: "not"; of: PolicyExpr }
  /** the row is in no patient compartment (compartment IS NULL) */
  | { kind: "noCompartment" }
  /** the row's compartment is one of these ("Patient/P") */
  | { kind: "compartmentIn"; compartments: string[] }
  | { kind: "typeIn"; types: string[] }
  /** the row is one of these ("Type/id") */
  | { kind: "idIn"; refs: string[] }
  /** the row is of `type` and matches the filter (a token `code` or `_security`, say) */
  | { kind: "filter"; type: string; filter: SearchFilter }
  /** the row holds a reference to one of these ("Type/id") */
  | { kind: "refersTo"; refs: string[] };

/** A parsed FHIR search. Filters are AND-ed; each filter's values are OR-ed. */
export interface SearchRequest {
  /** the resource type searched; in a system-level search, the one whose definitions the parameters were read with (see `system`) */
  type: string;
  /**
   * Set on a system-level search (`GET [base]?…`) only: the types it spans, those `_type` names
   * or every type (`"*"`). Its parameters are defined alike on every type spanned, so `type`
   * (one of them) stands for all in definition lookups; the rows searched are those of every
   * type spanned.
   * @see https://hl7.org/fhir/R4/search.html#searchcontexts
   */
  system?: { types: readonly string[] | "*" };
  filters: SearchFilter[];
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  sort: SortKey[];
  count?: number;
  /** the `_count` asked for, when it was above the maximum and `count` is that maximum */
  countRequested?: number;
  offset?: number;
  /** opaque keyset cursor for the next page (see compileSearch) */
  cursor?: string;
  total?: "none" | "estimate" | "accurate";
  summary?: "true" | "false" | "text" | "data" | "count";
  elements?: string[];
  /** parameters ignored: unknown, unsupported, or unsupported modifier */
  unknown: UnknownParam[];
  /** The caller's access, AND-ed into the query; absent: unrestricted. */
  policy?: SearchPolicy;
}
