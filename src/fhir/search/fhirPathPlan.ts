import fhirpath from "fhirpath";
import r4Model from "fhirpath/fhir-context/r4";
import { isResourceType } from "./searchParameters.ts";

/** A value found by a search-parameter expression, with its FHIR data type. */
export interface TypedValue {
  value: unknown;
  /** FHIR type name: "CodeableConcept", "dateTime", "string", "Reference", "BackboneElement", … */
  type: string;
  /** where the element is defined, for continuing a walk ("Observation.component" or a type name) */
  typePath: string;
}

/** Evaluates one compiled expression against a focus (a resource or an element). */
export type Evaluator = (focus: TypedValue, root: Record<string, unknown>) => TypedValue[];

interface Model {
  path2Type: Record<string, string>;
  choiceTypePaths: Record<string, string[]>;
  pathsDefinedElsewhere: Record<string, string>;
}
const model = r4Model as unknown as Model;

const QUANTITY_TYPES = new Set(["Quantity", "Age", "Duration", "Distance", "Count", "SimpleQuantity", "MoneyQuantity"]);
const PRIMITIVES = new Set([
  "boolean",
  "integer",
  "string",
  "decimal",
  "uri",
  "url",
  "canonical",
  "base64Binary",
  "instant",
  "date",
  "dateTime",
  "time",
  "code",
  "oid",
  "id",
  "markdown",
  "unsignedInt",
  "positiveInt",
  "uuid",
  "xhtml",
]);

/** "DateTime" (choice suffix) and "System.String" (model) → FHIR names "dateTime", "string". */
export function fhirTypeName(t: string): string {
  const bare = t.startsWith("System.") ? t.slice(7) : t;
  const lower = bare[0]!.toLowerCase() + bare.slice(1);
  return PRIMITIVES.has(lower) ? lower : bare;
}

interface ChildKey {
  key: string;
  type: string;
  typePath: string;
}
const childCache = new Map<string, ChildKey[]>();

/** The JSON keys (and their types) that hold element `name` of an element defined at `typePath`. */
function childKeys(typePath: string, name: string): ChildKey[] {
  const cacheKey = typePath + "." + name;
  let keys = childCache.get(cacheKey);
  if (keys) return keys;
  let path = cacheKey;
  path = model.pathsDefinedElsewhere[path] ?? path;
  const choice = model.choiceTypePaths[path];
  if (choice) {
    keys = choice.map((t) => {
      const type = fhirTypeName(t);
      return { key: name + t[0]!.toUpperCase() + t.slice(1), type, typePath: type };
    });
  } else {
    const t = model.path2Type[path];
    if (t === undefined) keys = [];
    else if (t === "BackboneElement" || t === "Element")
      keys = [{ key: name, type: "BackboneElement", typePath: path }];
    else {
      const type = fhirTypeName(t);
      keys = [{ key: name, type, typePath: type }];
    }
  }
  childCache.set(cacheKey, keys);
  return keys;
}

type Step =
  | {
      kind: "child";
      name: string /** one-entry cache: most walks see the same parent path */;
      lastPath?: string;
      lastKeys?: ChildKey[];
    }
  | { kind: "as"; type: string }
  | { kind: "resolveIs"; type: string }
  | { kind: "whereEq"; field: string; literal: string };

const IDENT = "[A-Za-z][A-Za-z0-9]*";
const SEGMENT = new RegExp(
  `^(?:as\\((${IDENT})\\)|where\\(resolve\\(\\) is (${IDENT})\\)|where\\((${IDENT}) ?= ?'([^'\\\\]*)'\\)|(${IDENT})(?![A-Za-z0-9(]))`,
);

/** Parses "a.b.as(T).where(…)" into steps; undefined when a segment is not one of the simple shapes. */
function parseSteps(path: string): Step[] | undefined {
  const steps: Step[] = [];
  let rest = path;
  while (rest.length > 0) {
    const m = SEGMENT.exec(rest);
    if (!m) return undefined;
    if (m[1] !== undefined) steps.push({ kind: "as", type: m[1] });
    else if (m[2] !== undefined) steps.push({ kind: "resolveIs", type: m[2] });
    else if (m[3] !== undefined) steps.push({ kind: "whereEq", field: m[3], literal: m[4]! });
    else steps.push({ kind: "child", name: m[5]! });
    rest = rest.slice(m[0].length);
    if (rest.length === 0) break;
    if (rest[0] !== ".") return undefined;
    rest = rest.slice(1);
  }
  return steps;
}

/**
 * Compiles the simple expression shapes that make up nearly all R4 search parameters
 * (`X.a.b`, `(X.a as T)`, `X.a.as(T)`, `X.a.where(resolve() is T)`, `X.a.where(f='v')`)
 * into a direct JSON walk; undefined for anything else.
 * With `relative`, the expression starts at the focus rather than at a type name.
 */
export function compileFast(expression: string, relative = false): Evaluator | undefined {
  let text = expression.trim();
  const asMatch = /^\((.+) as ([A-Za-z]+)\)((?:\..+)?)$/.exec(text);
  if (asMatch) text = `${asMatch[1]}.as(${asMatch[2]})${asMatch[3]}`;
  let steps = parseSteps(text);
  if (!steps || steps.length === 0) return undefined;
  let rootType: string | undefined;
  if (!relative) {
    const first = steps[0]!;
    if (first.kind !== "child") return undefined;
    rootType = first.name;
    steps = steps.slice(1);
  }
  const plan = steps;
  return (focus, root) => {
    if (rootType !== undefined && rootType !== "Resource" && rootType !== "DomainResource" && focus.type !== rootType)
      return [];
    let nodes: TypedValue[] = [rootType === undefined ? focus : { ...focus, typePath: rootType }];
    for (const step of plan) {
      const next: TypedValue[] = [];
      for (const node of nodes) applyStep(step, node, root, next);
      if (next.length === 0) return next;
      nodes = next;
    }
    return nodes;
  };
}

function applyStep(step: Step, node: TypedValue, root: Record<string, unknown>, out: TypedValue[]): void {
  switch (step.kind) {
    case "child": {
      const obj = node.value;
      if (typeof obj !== "object" || obj === null) return;
      let keys = step.lastKeys;
      if (step.lastPath !== node.typePath || !keys) {
        keys = childKeys(node.typePath, step.name);
        step.lastPath = node.typePath;
        step.lastKeys = keys;
      }
      for (const k of keys) {
        const v = (obj as Record<string, unknown>)[k.key];
        if (v === undefined || v === null) continue;
        if (Array.isArray(v)) {
          for (const item of v)
            if (item !== null && item !== undefined) out.push({ value: item, type: k.type, typePath: k.typePath });
        } else out.push({ value: v, type: k.type, typePath: k.typePath });
      }
      return;
    }
    case "as":
      if (node.type === step.type || (step.type === "Quantity" && QUANTITY_TYPES.has(node.type))) out.push(node);
      return;
    case "resolveIs":
      if (node.type === "Reference" && referenceTargetType(node.value, root) === step.type) out.push(node);
      return;
    case "whereEq": {
      const obj = node.value;
      if (typeof obj === "object" && obj !== null && (obj as Record<string, unknown>)[step.field] === step.literal)
        out.push(node);
      return;
    }
  }
}

/** The resource type a Reference points to (from its literal reference, its `type`, or the contained resource). */
export function referenceTargetType(ref: unknown, root?: Record<string, unknown>): string | undefined {
  if (typeof ref !== "object" || ref === null) return undefined;
  const r = ref as { reference?: unknown; type?: unknown };
  if (typeof r.reference === "string") {
    const s = r.reference;
    if (s.startsWith("#")) {
      const contained = Array.isArray(root?.contained) ? (root.contained as Array<Record<string, unknown>>) : [];
      const hit = contained.find((c) => c && c.id === s.slice(1));
      return typeof hit?.resourceType === "string" ? hit.resourceType : undefined;
    }
    const parts = s.split("?")[0]!.split("/");
    const hist = parts.lastIndexOf("_history");
    const p = hist >= 2 ? parts.slice(0, hist) : parts;
    if (p.length >= 2 && isResourceType(p[p.length - 2]!)) return p[p.length - 2];
  }
  return typeof r.type === "string" ? r.type : undefined;
}

interface ResourceNodeLike {
  data: unknown;
  fhirNodeDataType?: string | null;
  path?: string | null;
}

/** The resource whose expression is being evaluated by the engine (evaluation is synchronous). */
let currentRoot: Record<string, unknown> | undefined;

/**
 * A synchronous `resolve()` for search extraction: it yields a stub of the referenced type
 * (or the contained resource), which is all `where(resolve() is X)` needs.
 */
const resolveTable = {
  resolve: {
    fn: (inputs: unknown[]) =>
      inputs.flatMap((node) => {
        const ref = (node as { data?: unknown })?.data ?? node;
        const type = referenceTargetType(ref, currentRoot);
        if (!type) return [];
        return fhirpath.evaluate({ resourceType: type }, type, {}, r4Model, {
          resolveInternalTypes: false,
        }) as unknown[];
      }),
    arity: { 0: [] },
    internalStructures: true,
  },
};

/** R4 writes `(Observation.component.value as Quantity)` over collections, which FHIRPath rejects; it means ofType(). */
function asToOfType(expression: string): string {
  return expression.replace(/\(([^()]+?) as (\w+)\)/g, "$1.ofType($2)");
}

/** Compiles any expression with the `fhirpath` engine (the slow, general path). */
export function compileSlow(expression: string, base?: string): Evaluator {
  const compile = (e: string) =>
    fhirpath.compile(base ? { base, expression: e } : e, r4Model, {
      resolveInternalTypes: false,
      userInvocationTable: resolveTable as never,
    });
  const fn = compile(expression);
  let fallback: typeof fn | undefined;
  return (focus, root) => {
    let result: unknown[];
    currentRoot = root;
    try {
      result = fn(focus.value, {}) as unknown[];
    } catch {
      try {
        fallback ??= compile(asToOfType(expression));
        result = fallback(focus.value, {}) as unknown[];
      } catch {
        return [];
      }
    } finally {
      currentRoot = undefined;
    }
    const out: TypedValue[] = [];
    for (const item of result) {
      if (item !== null && typeof item === "object" && "data" in item) {
        const node = item as ResourceNodeLike;
        const type = node.fhirNodeDataType ? fhirTypeName(node.fhirNodeDataType) : jsType(node.data);
        out.push({ value: unwrapDecimal(node.data), type, typePath: node.path ?? type });
      } else if (item !== null && item !== undefined)
        out.push({ value: item, type: jsType(item), typePath: jsType(item) });
    }
    return out;
  };
}

/** The engine wraps decimals (FP_Decimal); search indexes plain numbers. */
function unwrapDecimal(v: unknown): unknown {
  if (v !== null && typeof v === "object" && "asStr" in v && "value" in v)
    return Number((v as { asStr: string }).asStr);
  return v;
}

function jsType(v: unknown): string {
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "decimal";
  if (typeof v === "string") return "string";
  return "BackboneElement";
}

/** Fast evaluator when the shape allows it, the fhirpath engine otherwise; union parts compiled separately. */
export function compileExpression(
  parts: string[],
  options: { relative?: boolean; engineOnly?: boolean } = {},
): Evaluator {
  const evaluators = parts.map(
    (p) =>
      (options.engineOnly ? undefined : compileFast(p, options.relative)) ??
      (options.relative ? compileSlowRelative(p) : compileSlow(p)),
  );
  if (evaluators.length === 1) return evaluators[0]!;
  return (focus, root) => evaluators.flatMap((e) => e(focus, root));
}

/** fhirpath evaluation relative to an element; compiled once per element path. */
function compileSlowRelative(expression: string): Evaluator {
  const byBase = new Map<string, Evaluator>();
  return (focus, root) => {
    let e = byBase.get(focus.typePath);
    if (!e) byBase.set(focus.typePath, (e = compileSlow(expression, focus.typePath)));
    return e(focus, root);
  };
}
