import { summaryNode } from "../definitions/summaryElements.ts";

type Json = Record<string, unknown>;

/**
 * The `_summary=true` form of a resource: its summary elements (with id, meta and mandatory
 * elements), and inside each of them the summary elements of its data type, or of the
 * backbone element's own definition. A primitive's `_name` sibling (its id and extensions)
 * travels with the value. Returns a copy without the SUBSETTED tag, or undefined when the
 * resource type is unknown. Objects left empty are dropped: FHIR JSON has no empty objects.
 * @see https://hl7.org/fhir/R4/search.html#summary
 */
export function summarize(resource: Json & { resourceType: string }): Json | undefined {
  if (summaryNode(resource.resourceType) === undefined) return undefined;
  return pruneObject(resource, resource.resourceType) ?? { resourceType: resource.resourceType };
}

function prune(value: unknown, key: string | null): unknown {
  if (key === null || value === null || typeof value !== "object") return value;
  if (!Array.isArray(value)) return pruneObject(value as Json, key);
  const kept = value.map((item) => prune(item, key)).filter((item) => item !== undefined);
  return kept.length > 0 ? kept : undefined;
}

function pruneObject(value: Json, key: string): Json | undefined {
  const node = summaryNode(key);
  if (node === undefined) return value; // not a known type: leave it as it is
  let out: Json | undefined;
  for (const [name, child] of Object.entries(value)) {
    const primitiveSibling = name.startsWith("_");
    const target = node.get(primitiveSibling ? name.slice(1) : name);
    if (target === undefined) continue;
    const kept = primitiveSibling ? child : prune(child, target);
    if (kept !== undefined) (out ??= {})[name] = kept;
  }
  return out;
}
