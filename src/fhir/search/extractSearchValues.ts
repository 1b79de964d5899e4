import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { compileExpression, type Evaluator, type TypedValue } from "./fhirPathPlan.ts";
import {
  paramsFor,
  searchParameterByUrl,
  splitUnion,
  type SearchParamDef,
  type SearchParamType,
} from "./searchParameters.ts";
import { dateRange, MAX_DATE, MIN_DATE } from "./dateRange.ts";
import { normalizeString } from "./normalizeString.ts";
import { parseReference } from "./parseReference.ts";
import { canonicalQuantity } from "./canonicalQuantity.ts";
import { isTokenQuantityComposite } from "./tokenQuantityComposites.ts";

interface RowBase {
  /** parameter code; composite components use `<code>$<index>` */
  param: string;
  /** 0, or for composite components the number of the element they were found in (ties components together) */
  grp: number;
}
export type StringRow = RowBase & { kind: "string"; value: string; norm: string };
export type TokenRow = RowBase & { kind: "token"; system: string | null; code: string | null; text: string | null };
export type DateRow = RowBase & { kind: "date"; lo: number; hi: number };
export type NumberRow = RowBase & { kind: "number"; value: number };
export type QuantityRow = RowBase & {
  kind: "quantity";
  value: number;
  system: string | null;
  code: string | null;
  unit: string | null;
  /** the value in UCUM base units (null when not UCUM-convertible) */
  normValue: number | null;
  normUnit: string | null;
};
export type ReferenceRow = RowBase & {
  kind: "reference";
  targetType: string | null;
  targetId: string | null;
  url: string | null;
};
export type UriRow = RowBase & { kind: "uri"; value: string };
/**
 * One (token, quantity) pair of one focus element of a token×quantity composite
 * (`code-value-quantity`): the token's system and code, then the quantity's columns.
 */
export type TokenQuantityRow = RowBase & {
  kind: "token-quantity";
  tokenSystem: string | null;
  tokenCode: string;
} & Omit<QuantityRow, "kind" | "param" | "grp">;
/** One indexed value of one search parameter of a resource. */
export type SearchRow =
  | StringRow
  | TokenRow
  | DateRow
  | NumberRow
  | QuantityRow
  | ReferenceRow
  | UriRow
  | TokenQuantityRow;

/** Longest value we index; longer strings are cut (searches longer than this cannot match anyway). */
const MAX_VALUE = 2048;

interface CompiledParam {
  code: string;
  type: SearchParamType;
  evaluate: Evaluator;
  components?: { param: string; type: SearchParamType; evaluate: Evaluator }[];
  /** a token×quantity composite: one row per pair instead of component rows */
  pairs?: boolean;
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
    if (!def.expression || def.code === "_id" || def.code === "_lastUpdated" || def.type === "special") continue;
    const c = compileParam(def, engineOnly);
    if (c) list.push(c);
  }
  compiled.set(key, list);
  return list;
}

function compileParam(def: SearchParamDef, engineOnly: boolean): CompiledParam | undefined {
  const parts = splitUnion(def.expression!);
  const evaluate = compileExpression(parts, { engineOnly });
  if (def.type !== "composite") return { code: def.code, type: def.type, evaluate };
  const components: NonNullable<CompiledParam["components"]> = [];
  for (const [i, comp] of def.component.entries()) {
    const sp = searchParameterByUrl(comp.definition);
    if (!sp || sp.type === "composite" || sp.type === "special") return undefined;
    components.push({
      param: `${def.code}$${i}`,
      type: sp.type as SearchParamType,
      evaluate: compileExpression(splitUnion(comp.expression), { relative: true, engineOnly }),
    });
  }
  return { code: def.code, type: "composite", evaluate, components, pairs: isTokenQuantityComposite(def) };
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
    if (p.pairs) {
      pairRows(p, values, root, rows);
      checkSize(rows, p.code, options);
      continue;
    }
    if (p.components) {
      let grp = 0;
      for (const element of values) {
        grp++;
        // A composite value only exists where every component has one; skip partial groups.
        const start = rows.length;
        let complete = true;
        for (const c of p.components) {
          const before = rows.length;
          for (const v of c.evaluate(element, root)) toRows(c.type, c.param, grp, v, root, rows);
          if (c.type === "token") dropTextOnly(rows, before);
          if (rows.length === before) {
            complete = false;
            break;
          }
        }
        if (!complete) rows.length = start;
      }
      continue;
    }
    const start = rows.length;
    for (const v of values) toRows(p.type, p.code, 0, v, root, rows);
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

/**
 * Rows of a token×quantity composite: every (token, quantity) pair of each focus element,
 * numbered like component groups. As for component rows, tokens without a code are left out
 * (composites match by code), and an element lacking either component yields nothing.
 */
function pairRows(p: CompiledParam, foci: TypedValue[], root: Record<string, unknown>, rows: SearchRow[]): void {
  const [token, quantity] = p.components!;
  const tokens: SearchRow[] = [];
  const quantities: SearchRow[] = [];
  let grp = 0;
  for (const element of foci) {
    grp++;
    tokens.length = 0;
    quantities.length = 0;
    for (const v of token!.evaluate(element, root)) toRows("token", p.code, grp, v, root, tokens);
    if (!tokens.some((t) => t.kind === "token" && t.code !== null)) continue;
    for (const v of quantity!.evaluate(element, root)) toRows("quantity", p.code, grp, v, root, quantities);
    for (const t of tokens) {
      if (t.kind !== "token" || t.code === null) continue;
      for (const q of quantities) {
        if (q.kind !== "quantity") continue;
        rows.push({
          kind: "token-quantity",
          param: p.code,
          grp,
          tokenSystem: t.system,
          tokenCode: t.code,
          value: q.value,
          system: q.system,
          code: q.code,
          unit: q.unit,
          normValue: q.normValue,
          normUnit: q.normUnit,
        });
      }
    }
  }
}

/** Composite components match by code only (no :text), so text-only token rows are not needed. */
function dropTextOnly(rows: SearchRow[], start: number): void {
  let w = start;
  for (let i = start; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.kind === "token" && r.code === null) continue;
    rows[w++] = r;
  }
  rows.length = w;
}

function dedupe(rows: SearchRow[], start: number): void {
  const seen = new Set<string>();
  let w = start;
  for (let i = start; i < rows.length; i++) {
    const key = rowKey(rows[i]!);
    if (seen.has(key)) continue;
    seen.add(key);
    rows[w++] = rows[i]!;
  }
  rows.length = w;
}

function rowKey(r: SearchRow): string {
  switch (r.kind) {
    case "string":
      return `s\u0000${r.grp}\u0000${r.value}`;
    case "token":
      return `t\u0000${r.grp}\u0000${r.system}\u0000${r.code}\u0000${r.text}`;
    case "date":
      return `d\u0000${r.grp}\u0000${r.lo}\u0000${r.hi}`;
    case "number":
      return `n\u0000${r.grp}\u0000${r.value}`;
    case "quantity":
      return `q\u0000${r.grp}\u0000${r.value}\u0000${r.system}\u0000${r.code}\u0000${r.unit}`; // norm follows from these
    case "reference":
      return `r\u0000${r.grp}\u0000${r.targetType}\u0000${r.targetId}\u0000${r.url}`;
    case "uri":
      return `u\u0000${r.grp}\u0000${r.value}`;
    case "token-quantity":
      return `p\u0000${r.grp}\u0000${r.tokenSystem}\u0000${r.tokenCode}\u0000${r.value}\u0000${r.system}\u0000${r.code}\u0000${r.unit}`;
  }
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v.slice(0, MAX_VALUE) : null;
}

function pushString(param: string, grp: number, v: unknown, rows: SearchRow[]): void {
  const value = str(v);
  if (value !== null) rows.push({ kind: "string", param, grp, value, norm: normalizeString(value) });
}

function toRows(
  type: SearchParamType,
  param: string,
  grp: number,
  tv: TypedValue,
  root: Record<string, unknown>,
  rows: SearchRow[],
): void {
  const v = tv.value;
  const o = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
  switch (type) {
    case "string":
      if (typeof v === "string") pushString(param, grp, v, rows);
      else if (tv.type === "HumanName") {
        for (const k of ["text", "family"]) pushString(param, grp, o[k], rows);
        for (const k of ["given", "prefix", "suffix"])
          if (Array.isArray(o[k])) for (const x of o[k]) pushString(param, grp, x, rows);
      } else if (tv.type === "Address") {
        for (const k of ["text", "city", "district", "state", "postalCode", "country"])
          pushString(param, grp, o[k], rows);
        if (Array.isArray(o.line)) for (const x of o.line) pushString(param, grp, x, rows);
      }
      return;
    case "token":
      tokenRows(param, grp, tv, rows);
      return;
    case "reference":
      if (typeof v === "string") {
        const url = str(v.split("|")[0]);
        if (url) rows.push({ kind: "reference", param, grp, targetType: null, targetId: null, url });
        return;
      }
      if (tv.type !== "Reference") return;
      if (typeof o.reference === "string") {
        const ref = parseReference(o.reference);
        if (ref) rows.push({ kind: "reference", param, grp, ...ref });
      }
      if (typeof o.identifier === "object" && o.identifier !== null) {
        tokenRows(
          `${param}:identifier`,
          grp,
          { value: o.identifier, type: "Identifier", typePath: "Identifier" },
          rows,
        );
      }
      void root;
      return;
    case "date":
      dateRows(param, grp, tv, rows);
      return;
    case "number":
      if (typeof v === "number" && Number.isFinite(v)) rows.push({ kind: "number", param, grp, value: v });
      return;
    case "quantity":
      if (typeof o.value === "number" && Number.isFinite(o.value)) {
        if (tv.type === "Money") {
          rows.push({
            kind: "quantity",
            param,
            grp,
            value: o.value,
            system: "urn:iso:std:iso:4217",
            code: str(o.currency),
            unit: null,
            normValue: null,
            normUnit: null,
          });
        } else {
          const system = str(o.system);
          const code = str(o.code);
          const norm = canonicalQuantity(o.value, system, code);
          rows.push({
            kind: "quantity",
            param,
            grp,
            value: o.value,
            system,
            code,
            unit: str(o.unit),
            normValue: norm?.value ?? null,
            normUnit: norm?.unit ?? null,
          });
        }
      }
      return;
    case "uri": {
      const s = str(v);
      if (s) rows.push({ kind: "uri", param, grp, value: s });
      return;
    }
    default:
      return;
  }
}

function tokenRows(param: string, grp: number, tv: TypedValue, rows: SearchRow[]): void {
  const v = tv.value;
  if (typeof v === "boolean") {
    rows.push({ kind: "token", param, grp, system: null, code: String(v), text: null });
    return;
  }
  if (typeof v === "string") {
    const code = str(v);
    if (code) rows.push({ kind: "token", param, grp, system: null, code, text: null });
    return;
  }
  if (typeof v !== "object" || v === null) return;
  const o = v as Record<string, unknown>;
  switch (tv.type) {
    case "CodeableConcept": {
      if (Array.isArray(o.coding)) {
        for (const c of o.coding)
          if (c && typeof c === "object") codingRow(param, grp, c as Record<string, unknown>, rows);
      }
      const text = str(o.text);
      if (text) rows.push({ kind: "token", param, grp, system: null, code: null, text: normalizeString(text) });
      return;
    }
    case "Coding":
      codingRow(param, grp, o, rows);
      return;
    case "Identifier": {
      const type = o.type as Record<string, unknown> | undefined;
      const text = str(type?.text);
      const code = str(o.value);
      if (code || text)
        rows.push({
          kind: "token",
          param,
          grp,
          system: str(o.system),
          code,
          text: text ? normalizeString(text) : null,
        });
      return;
    }
    case "ContactPoint": {
      const code = str(o.value);
      if (code) rows.push({ kind: "token", param, grp, system: str(o.system), code, text: null });
      return;
    }
    default:
      // a Quantity or other object on a token parameter: index system|code when present
      if (typeof o.code === "string") codingRow(param, grp, o, rows);
  }
}

function codingRow(param: string, grp: number, c: Record<string, unknown>, rows: SearchRow[]): void {
  const code = str(c.code);
  const display = str(c.display);
  if (code || display) {
    rows.push({
      kind: "token",
      param,
      grp,
      system: str(c.system),
      code,
      text: display ? normalizeString(display) : null,
    });
  }
}

function dateRows(param: string, grp: number, tv: TypedValue, rows: SearchRow[]): void {
  const v = tv.value;
  if (typeof v === "string") {
    const r = dateRange(v);
    if (r) rows.push({ kind: "date", param, grp, lo: r.lo, hi: r.hi });
    return;
  }
  if (typeof v !== "object" || v === null) return;
  const o = v as Record<string, unknown>;
  if (tv.type === "Period") {
    const start = typeof o.start === "string" ? dateRange(o.start) : undefined;
    const end = typeof o.end === "string" ? dateRange(o.end) : undefined;
    if (start || end) rows.push({ kind: "date", param, grp, lo: start?.lo ?? MIN_DATE, hi: end?.hi ?? MAX_DATE });
    return;
  }
  if (tv.type === "Timing") {
    if (Array.isArray(o.event))
      for (const e of o.event) dateRows(param, grp, { value: e, type: "dateTime", typePath: "dateTime" }, rows);
    const repeat = o.repeat as Record<string, unknown> | undefined;
    if (repeat && typeof repeat.boundsPeriod === "object") {
      dateRows(param, grp, { value: repeat.boundsPeriod, type: "Period", typePath: "Period" }, rows);
    }
  }
}
