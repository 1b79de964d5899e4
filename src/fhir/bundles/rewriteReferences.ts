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
