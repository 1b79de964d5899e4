import fhirpath from "fhirpath";
import r4Model from "fhirpath/fhir-context/r4";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";

type Json = Record<string, unknown>;

/** Where one element sits in the resource, so it can be changed in place. */
export interface ElementRef {
  /** The object holding the element: its parent, or the `_x` companion of a primitive parent. */
  container: Json;
  /** The JSON key: for a choice element the variant present ("valueQuantity"). */
  key: string;
  /** The FHIRPath name ("value" for valueQuantity). */
  name: string;
  /** Position in the array under `key`, undefined for a single element. */
  index: number | undefined;
  /** The element whose content `container` is; null when `container` is the resource. */
  owner: ElementRef | null;
}

export type PatchTarget = { kind: "resource" } | { kind: "element"; ref: ElementRef };

/** A checked patch path; `list` splits one ending in `.name` into the list's owner and name. */
export interface PatchPath {
  expression: string;
  /** Navigation steps (members, function calls, indexers): each may visit every element once. */
  steps: number;
  /** For insert and move: the path of the element holding the list (undefined: the resource), and the list's name. */
  list?: { owner: string | undefined; name: string };
}

/**
 * Functions a patch path may use: navigation and filtering within the resource. Left out on
 * purpose: resolve() (other resources), regular expressions (a client's regex can take
 * exponential time), %variables (inside where() they would reach back to the whole resource,
 * making nested filters cost a power of its size), children/descendants/repeat/aggregate,
 * trace and terminology calls. What is left visits each element at most once per step.
 */
const FUNCTIONS = new Set([
  "where",
  "first",
  "last",
  "single",
  "tail",
  "skip",
  "take",
  "ofType",
  "as",
  "is",
  "exists",
  "empty",
  "not",
  "hasValue",
  "extension",
  "count",
  "all",
  "allTrue",
  "anyTrue",
  "allFalse",
  "anyFalse",
  "startsWith",
  "endsWith",
  "contains",
  "lower",
  "upper",
  "length",
  "toString",
]);

interface AstNode {
  type: string;
  text?: string;
  start?: { line: number; column: number };
  children?: AstNode[];
}

/** The subset of fhirpath.js's ResourceNode a patch reads. */
interface ResourceNode {
  parentResNode: ResourceNode | null;
  propName: string | null | undefined;
  index: number | null | undefined;
  data: unknown;
  _data: unknown;
  fhirNodeDataType: string | null;
}

/**
 * Parses a patch path and refuses (400) what a patch must not use: functions outside the
 * allow-list, `%` variables, syntax errors. The issue expression is `at`, the operation.
 * @see https://hl7.org/fhir/R4/fhirpatch.html
 */
export function parsePatchPath(expression: string, at: string): PatchPath {
  let ast: AstNode;
  try {
    ast = fhirpath.parse(expression) as AstNode;
  } catch (error) {
    throw unsupported(`the path is not valid FHIRPath (${ownMessage(error, "syntax error")})`, at);
  }
  const stack = [ast];
  let steps = 0;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === "MemberInvocation" || node.type === "FunctionInvocation" || node.type === "IndexerExpression")
      steps += 1;
    if (node.type === "ExternalConstantTerm") throw unsupported("a patch path may not use %variables", at);
    if (node.type === "FunctionInvocation" && !FUNCTIONS.has(node.text ?? "")) {
      throw unsupported(
        `a patch path may not call ${String(node.text).slice(0, 40)}() (paths navigate and filter within the resource)`,
        at,
      );
    }
    stack.push(...(node.children ?? []));
  }
  const list = splitLastMember(ast, expression);
  return list === undefined ? { expression, steps } : { expression, steps, list };
}

/** "Patient.name[0].given" → owner "Patient.name[0]", name "given"; "identifier" → owner undefined. */
function splitLastMember(ast: AstNode, expression: string): PatchPath["list"] {
  let top = ast;
  while (top.type === "EntireExpression" && top.children?.length === 1) top = top.children[0]!;
  let member: AstNode | undefined;
  let owner = false;
  if (
    top.type === "InvocationExpression" &&
    top.children?.length === 2 &&
    top.children[1]!.type === "MemberInvocation"
  ) {
    member = top.children[1];
    owner = true;
  } else if (
    top.type === "TermExpression" &&
    top.children?.[0]?.type === "InvocationTerm" &&
    top.children[0].children?.[0]?.type === "MemberInvocation"
  ) {
    member = top.children[0].children[0];
  }
  const name = member?.children?.[0]?.text?.replace(/^`|`$/g, "");
  if (member?.start === undefined || name === undefined) return undefined;
  if (!owner) return { owner: undefined, name };
  const lines = expression.split("\n");
  const offset =
    lines.slice(0, member.start.line - 1).reduce((n, line) => n + line.length + 1, 0) + member.start.column - 1;
  const prefix = expression.slice(0, offset).trimEnd();
  if (!prefix.endsWith(".")) return undefined;
  return { owner: prefix.slice(0, -1), name };
}

/**
 * Evaluates a checked path against `resource` and locates every element it selects. `objects`
 * (every object of the resource) guards the writes: a result that is not part of the resource
 * (a computed value, a literal) is refused with a 400.
 */
export function selectPatchTargets(
  resource: Json,
  expression: string,
  objects: ReadonlyMap<object, unknown>,
  at: string,
): PatchTarget[] {
  let results: unknown;
  try {
    results = fhirpath.evaluate(resource, expression, {}, r4Model, { resolveInternalTypes: false });
  } catch (error) {
    throw unsupported(`the path can't be evaluated (${ownMessage(error, "evaluation failed")})`, at);
  }
  if (!Array.isArray(results)) throw unsupported("the path can't be evaluated synchronously", at);
  return results.map((node) => {
    const target = isResourceNode(node) ? locate(node, resource, objects) : undefined;
    if (target === undefined)
      throw unsupported("the path must select elements of the resource, not computed values", at);
    return target;
  });
}

function locate(node: ResourceNode, resource: Json, objects: ReadonlyMap<object, unknown>): PatchTarget | undefined {
  const parent = node.parentResNode;
  if (parent === null) return node.data === resource ? { kind: "resource" } : undefined;
  const container = contentOf(parent);
  const name = node.propName;
  if (container === undefined || !objects.has(container) || typeof name !== "string") return undefined;
  const key = keyOf(container, name, node.fhirNodeDataType);
  if (key === undefined) return undefined;
  const index = typeof node.index === "number" ? node.index : undefined;
  const slot = Object.hasOwn(container, key) ? container[key] : container[`_${key}`];
  if (index === undefined ? Array.isArray(slot) : !Array.isArray(slot) || index >= slot.length) return undefined;
  const owner = locate(parent, resource, objects);
  if (owner === undefined) return undefined;
  return { kind: "element", ref: { container, key, name, index, owner: owner.kind === "resource" ? null : owner.ref } };
}

/** The object holding a node's children: the node itself, or a primitive's `_x` companion. */
function contentOf(node: ResourceNode): Json | undefined {
  if (isPlainObject(node.data)) return node.data;
  if (isPlainObject(node._data)) return node._data;
  return undefined;
}

/** `name` itself, or the choice variant present in `container` (deceased → deceasedBoolean). */
function keyOf(container: Json, name: string, type: string | null): string | undefined {
  if (Object.hasOwn(container, name) || Object.hasOwn(container, `_${name}`)) return name;
  const suffix = (type ?? "").replace(/^System\./, "");
  const guess = name + suffix.charAt(0).toUpperCase() + suffix.slice(1);
  if (suffix !== "" && (Object.hasOwn(container, guess) || Object.hasOwn(container, `_${guess}`))) return guess;
  const variants = Object.keys(container).filter(
    (k) => k.length > name.length && k.startsWith(name) && /[A-Z]/.test(k[name.length]!),
  );
  return variants.length === 1 ? variants[0] : undefined;
}

/** JSON objects only: fhirpath.js wraps numbers in FP_Decimal objects, which are no containers. */
function isPlainObject(value: unknown): value is Json {
  return isObject(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function isResourceNode(value: unknown): value is ResourceNode {
  return isObject(value) && "parentResNode" in value && "data" in value;
}

/**
 * The first line of an error fhirpath.js raised itself ("line: 1; column: 13; message: …");
 * `fallback` for a JavaScript error from inside it (a TypeError on `Patient..name`), whose
 * message says nothing about the path and names the library's internals.
 */
function ownMessage(error: unknown, fallback: string): string {
  if (
    !(error instanceof Error) ||
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError
  )
    return fallback;
  return error.message.split("\n")[0]!.slice(0, 200);
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function unsupported(message: string, at: string): FhirLedgerError {
  return new FhirLedgerError("invalid", `unsupported FHIRPath Patch path: ${message}`, {
    issues: [{ type: "not-supported", diagnostics: message, expression: [at] }],
  });
}
