import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { compileExpression, type Evaluator, type TypedValue } from "./fhirPathPlan.ts";
import { paramsFor, searchParameterByUrl, splitUnion, type SearchParamDef } from "./searchParameters.ts";
import type { SearchParamType } from "../../ports/SearchRequest.ts";
import { isTokenQuantityComposite } from "./tokenQuantityComposites.ts";
import {
  type CompiledComponent,
  type CompositeParts,
  ROW_CODEC,
  SEARCH_TYPES,
  type SearchRow,
  type SearchTypeModule,
} from "./types/index.ts";

export type {
  DateRow,
  NumberRow,
  QuantityRow,
  ReferenceRow,
  SearchRow,
  StringRow,
  TokenQuantityRow,
  TokenRow,
  UriRow,
} from "./types/index.ts";

interface CompiledParam {
  code: string;
  module: SearchTypeModule;
  evaluate: Evaluator;
  /** a composite's components */
  parts?: CompositeParts;
}
const compiled = new Map<string, CompiledParam[]>();

/** Default cap on index rows per resource (a resource that needs more is refused, not half-indexed). */
const MAX_ROWS = 20_000;

export interface ExtractOptions {
  /** most rows one resource may produce (default 20000); more throws FhirLedgerError "too-large" */
  maxRows?: number;
  /** evaluate every expression with the fhirpath engine (no fast path); for cross-checking */
  engineOnly?: boolean;
}

/** The indexable parameters of a type (everything except `_id`/`_lastUpdated`, which live on the resources table). */
function compiledFor(type: string, engineOnly: boolean): CompiledParam[] {
  const key = engineOnly ? `${type}#engine` : type;
  let list = compiled.get(key);
  if (list) return list;
  list = [];
  for (const def of paramsFor(type).values()) {
    if (!def.expression || def.code === "_id" || def.code === "_lastUpdated" || !SEARCH_TYPES[def.type].searchable)
      continue;
    const c = compileParam(def, engineOnly);
    if (c) list.push(c);
  }
  compiled.set(key, list);
  return list;
}

function compileParam(def: SearchParamDef, engineOnly: boolean): CompiledParam | undefined {
  const parts = splitUnion(def.expression!);
  const evaluate = compileExpression(parts, { engineOnly });
  const module = SEARCH_TYPES[def.type];
  if (def.component.length === 0) return { code: def.code, module, evaluate };
  const components: CompiledComponent[] = [];
  for (const [i, comp] of def.component.entries()) {
    const sp = searchParameterByUrl(comp.definition);
    if (!sp || sp.type === "composite" || sp.type === "special") return undefined;
    const type = sp.type as SearchParamType;
    components.push({
      param: `${def.code}$${i}`,
      type,
      module: SEARCH_TYPES[type],
      evaluate: compileExpression(splitUnion(comp.expression), { relative: true, engineOnly }),
    });
  }
  return { code: def.code, module, evaluate, parts: { components, pairs: isTokenQuantityComposite(def) } };
}

/**
 * Every search-parameter value of a resource, normalised for indexing.
 * @see https://hl7.org/fhir/R4/search.html#ptypes
 */
export function extractSearchValues(
  resource: { resourceType: string } & object,
  options: ExtractOptions = {},
): SearchRow[] {
  const root = resource as Record<string, unknown>;
  const type = resource.resourceType;
  const focus: TypedValue = { value: resource, type, typePath: type };
  const rows: SearchRow[] = [];
  for (const p of compiledFor(type, options.engineOnly === true)) {
    const values = p.evaluate(focus, root);
    if (values.length === 0) continue;
    if (p.parts) {
      // each focus element is one composite value, its rows numbered by the element (grp)
      let grp = 0;
      for (const element of values) p.module.extract(p.code, ++grp, element, root, rows, p.parts);
      if (p.parts.pairs) checkSize(rows, p.code, options);
      continue;
    }
    const start = rows.length;
    for (const v of values) p.module.extract(p.code, 0, v, root, rows);
    if (rows.length - start > 1) dedupe(rows, start);
    checkSize(rows, p.code, options);
  }
  return rows;
}

function checkSize(rows: SearchRow[], code: string, options: ExtractOptions): void {
  if (rows.length > (options.maxRows ?? MAX_ROWS)) {
    throw new FhirLedgerError("too-large", `Resource has too many search values (parameter ${code})`);
  }
}

function dedupe(rows: SearchRow[], start: number): void {
  const seen = new Set<string>();
  let w = start;
  for (let i = start; i < rows.length; i++) {
    const r = rows[i]!;
    const key = ROW_CODEC[r.kind].key(r);
    if (seen.has(key)) continue;
    seen.add(key);
    rows[w++] = rows[i]!;
  }
  rows.length = w;
}
