import { copyNumberTexts } from "../../json/preciseJson.ts";

/**
 * Returns a copy of `resource` in which every `reference` string (Reference.reference at any
 * depth, also inside contained resources) is replaced by `map(reference)`. Copies and walks
 * iteratively, so a deeply nested body can't overflow the stack. Local references (`#id`) are
 * passed to `map` like any other; callers leave them alone.
 * @see https://hl7.org/fhir/R4/bundle.html#references
 */
export function rewriteReferences<T>(resource: T, map: (reference: string) => string): T {
  return copyJson(resource, (key, value) => (key === "reference" && typeof value === "string" ? map(value) : value));
}

/**
 * The same mapping on `resource` itself, without copying it: for a Bundle entry's resource,
 * which the request owns and nothing reads unmapped afterwards (a transaction of 2,500 entries
 * no longer copies 2,500 resource trees). Mapping twice is harmless: a mapped reference maps to
 * itself. Iterative, like the copy.
 */
export function rewriteReferencesInPlace<T>(resource: T, map: (reference: string) => string): T {
  if (resource === null || typeof resource !== "object") return resource;
  const stack: unknown[] = [resource];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      for (const item of node) if (item !== null && typeof item === "object") stack.push(item);
      continue;
    }
    const record = node as Record<string, unknown>;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const item = record[key];
      if (item !== null && typeof item === "object") stack.push(item);
      else if (key === "reference" && typeof item === "string") {
        const mapped = map(item);
        if (mapped !== item) record[key] = mapped;
      }
    }
  }
  return resource;
}

/**
 * A deep copy of a JSON value without recursion; `leaf` may replace each primitive property
 * value (it gets the property name, or null inside arrays). Keys such as "__proto__" stay data.
 */
export function copyJson<T>(value: T, leaf: (key: string | null, value: unknown) => unknown = (_k, v) => v): T {
  if (value === null || typeof value !== "object") return value;
  const root: unknown = Array.isArray(value) ? [] : {};
  const stack: [unknown, unknown][] = [[value, root]];
  while (stack.length > 0) {
    const [source, target] = stack.pop()!;
    copyNumberTexts(source as object, target as object); // 105.00 stays 105.00 in the copy
    if (Array.isArray(source)) {
      const out = target as unknown[];
      for (const item of source) {
        if (item !== null && typeof item === "object") {
          const child = Array.isArray(item) ? [] : {};
          out.push(child);
          stack.push([item, child]);
        } else {
          out.push(leaf(null, item));
        }
      }
    } else {
      const out = target as Record<string, unknown>;
      for (const [key, item] of Object.entries(source as Record<string, unknown>)) {
        let copied: unknown;
        if (item !== null && typeof item === "object") {
          copied = Array.isArray(item) ? [] : {};
          stack.push([item, copied]);
        } else {
          copied = leaf(key, item);
        }
        Object.defineProperty(out, key, { value: copied, writable: true, enumerable: true, configurable: true });
      }
    }
  }
  return root as T;
}
