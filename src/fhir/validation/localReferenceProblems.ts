import type { ErrorIssue } from "../../errors/FhirLedgerError.ts";

type Json = Record<string, unknown>;

/** The elements of a Reference: an object with only these and a string `reference` is one (Expression.reference is a uri, and Expression has `language`). */
const REFERENCE_KEYS = new Set([
  "id",
  "extension",
  "reference",
  "_reference",
  "type",
  "_type",
  "identifier",
  "display",
  "_display",
]);

/** Shared by the container and its contained resources: local references resolve against the container. */
interface Scope {
  /** ids of the container's contained resources */
  ids: Set<string>;
  /** every string in the container (its contained resources included) that starts with "#" and names an id */
  named: Set<string>;
  issues: ErrorIssue[];
}

/**
 * The universal invariants on contained resources and local references that the JSON schema
 * can't express, for `resource` at `path` (e.g. "Patient") and every resource nested in it
 * (Bundle.entry.resource, Parameters.parameter.resource: each resolves its own "#" references):
 *
 * - dom-2: a contained resource SHALL NOT contain contained resources;
 * - dom-3: a contained resource SHALL be referred to from elsewhere in the resource ("#id" in a
 *   Reference, canonical, uri or url; any string is taken, which errs on accepting), or SHALL
 *   refer to its container ("#");
 * - ref-1: a Reference.reference "#id" SHALL name a contained resource of the container ("#"
 *   alone names the container itself).
 *
 * One walk of the resource; createValidator runs it only when the schema pass saw a contained
 * resource or a "#…" reference, so the common resource pays nothing.
 * @see https://hl7.org/fhir/R4/domainresource.html#invs
 * @see https://hl7.org/fhir/R4/references.html#contained
 */
export function localReferenceProblems(resource: Json, path: string): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  checkResource(resource, path, issues);
  return issues;
}

function checkResource(resource: Json, path: string, issues: ErrorIssue[]): void {
  const contained = Array.isArray(resource.contained) ? (resource.contained as unknown[]) : [];
  const scope: Scope = { ids: new Set(), named: new Set(), issues };
  for (const c of contained) if (isObject(c) && typeof c.id === "string") scope.ids.add(c.id);
  visitElements(resource, path, scope);
  const refersToContainer = contained.map((c, i) => {
    if (!isObject(c)) return true; // the schema reports it
    const at = `${path}.contained[${i}]`;
    if (c.contained !== undefined)
      issues.push(
        invariant("dom-2", "A contained resource SHALL NOT contain nested contained resources", `${at}.contained`),
      );
    return visitElements(c, at, scope);
  });
  contained.forEach((c, i) => {
    if (!isObject(c) || refersToContainer[i] || (typeof c.id === "string" && scope.named.has(c.id))) return;
    issues.push(
      invariant(
        "dom-3",
        "A contained resource SHALL be referred to from elsewhere in the resource ('#' + its id) or SHALL refer to the containing resource ('#')",
        `${path}.contained[${i}]`,
      ),
    );
  });
}

/** Visits a resource's elements but its `contained`; true when one of its strings is "#" (a reference to the container). */
function visitElements(resource: Json, path: string, scope: Scope): boolean {
  let container = false;
  for (const key in resource) {
    if (key !== "contained" && visit(resource[key], `${path}.${key}`, scope)) container = true;
  }
  return container;
}

function visit(value: unknown, path: string, scope: Scope): boolean {
  if (typeof value === "string") {
    if (value.charCodeAt(0) !== 35) return false; // "#"
    if (value.length === 1) return true;
    scope.named.add(value.slice(1));
    return false;
  }
  if (Array.isArray(value)) {
    let container = false;
    for (let i = 0; i < value.length; i++) if (visit(value[i], `${path}[${i}]`, scope)) container = true;
    return container;
  }
  if (!isObject(value)) return false;
  if (typeof value.resourceType === "string") {
    checkResource(value, path, scope.issues); // a resource of its own (Bundle entry, Parameters)
    return false;
  }
  const reference = value.reference;
  if (
    typeof reference === "string" &&
    reference.length > 1 &&
    reference.charCodeAt(0) === 35 &&
    !scope.ids.has(reference.slice(1)) &&
    isReference(value)
  ) {
    scope.issues.push(
      invariant(
        "ref-1",
        "A local reference ('#' + id) SHALL point to a contained resource, and none has this id",
        `${path}.reference`,
      ),
    );
  }
  return visitElements(value, path, scope);
}

function isReference(value: Json): boolean {
  for (const key in value) if (!REFERENCE_KEYS.has(key)) return false;
  return true;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function invariant(key: string, text: string, expression: string): ErrorIssue {
  return { type: "invariant", severity: "error", diagnostics: `${key}: ${text}`, expression: [expression] };
}
