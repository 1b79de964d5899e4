import { copyNumberTexts } from "../../json/preciseJson.ts";
import { propertyInfo } from "../patch/elementModel.ts";

/** The R4 types whose values are links the Bundle's fullUrls are replaced in (url, oid, uuid and canonical are kinds of uri). */
const URI_TYPES = new Set(["uri", "url", "oid", "uuid", "canonical"]);
/** `href="…"` / `src="…"` attributes in narrative XHTML (the R4 narrative allows only these link attributes). */
const XHTML_LINK = /\b(href|src)(\s*=\s*)("[^"]*"|'[^']*')/g;

/**
 * Returns a copy of `resource` with its references and links mapped as rewriteReferencesInPlace
 * maps them; `resource` is left as it is.
 * @see https://hl7.org/fhir/R4/bundle.html#references
 */
export function rewriteReferences<T>(
  resource: T,
  map: (reference: string) => string,
  links?: ReadonlyMap<string, string>,
): T {
  return rewriteReferencesInPlace(copyJson(resource), map, links);
}

/** One object on the walk's stack: its parent and the property it sits in, its R4 definition once asked for. */
interface Frame {
  node: object;
  parent: Frame | null;
  key: string;
  definition?: string | undefined;
}

/**
 * Maps, in `resource` itself, every `reference` string (Reference.reference at any depth, also
 * inside contained resources) through `map`, and replaces every link that is a key of `links`
 * (an entry's fullUrl → `Type/id`) in elements of type uri, url, oid, uuid or canonical and in
 * the `href` / `src` attributes of narrative XHTML, as R4 asks of transactions. A string element
 * (e.g. Identifier.value) that happens to equal a fullUrl is data, and stays.
 * One iterative pass (a deeply nested body can't overflow the stack); the R4 definition of an
 * object is looked up only when one of its strings is a candidate link, so a resource without
 * any costs one map lookup per string. In place, for a Bundle entry's resource, which the
 * request owns and nothing reads unmapped afterwards. Mapping twice is harmless: a mapped value
 * maps to itself. Local references (`#id`) are passed to `map` like any other; callers leave
 * them alone.
 * @see https://hl7.org/fhir/R4/bundle.html#references
 * @see https://hl7.org/fhir/R4/http.html#trules
 */
export function rewriteReferencesInPlace<T>(
  resource: T,
  map: (reference: string) => string,
  links?: ReadonlyMap<string, string>,
): T {
  if (resource === null || typeof resource !== "object") return resource;
  if (links === undefined || links.size === 0) return mapReferencesInPlace(resource, map);
  const stack: Frame[] = [{ node: resource, parent: null, key: "" }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const node = frame.node;
    if (Array.isArray(node)) {
      // items of an array sit in the array's property of the array's parent
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (item !== null && typeof item === "object") stack.push({ node: item, parent: frame.parent, key: frame.key });
        else if (
          typeof item === "string" &&
          links.has(item) &&
          frame.parent !== null &&
          isUriTyped(frame.parent, frame.key)
        )
          node[i] = links.get(item);
      }
      continue;
    }
    const record = node as Record<string, unknown>;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const item = record[key];
      if (item !== null && typeof item === "object") stack.push({ node: item, parent: frame, key });
      else if (typeof item !== "string") continue;
      else if (key === "reference") {
        const mapped = map(item);
        if (mapped !== item) record[key] = mapped;
      } else if (links.has(item)) {
        if (isUriTyped(frame, key)) record[key] = links.get(item);
      } else if (
        key === "div" &&
        (item.includes("href") || item.includes("src")) &&
        definitionOf(frame) === "Narrative"
      ) {
        const mapped = item.replace(XHTML_LINK, (whole, name: string, eq: string, quoted: string) => {
          const target = links.get(quoted.slice(1, -1));
          return target === undefined ? whole : `${name}${eq}${quoted[0]}${target}${quoted[0]}`;
        });
        if (mapped !== item) record[key] = mapped;
      }
    }
  }
  return resource;
}

/** Calls `visit` with every `reference` string in `value`, at any depth: those the rewrite maps. */
export function forEachReference(value: object, visit: (reference: string) => void): void {
  mapReferencesInPlace(value, (reference) => {
    visit(reference);
    return reference;
  });
}

/** Only the references: the walk without links, which needs no R4 definitions. */
function mapReferencesInPlace<T extends object>(resource: T, map: (reference: string) => string): T {
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

/** True when property `key` of the object in `frame` is of a uri type in R4. */
function isUriTyped(frame: Frame, key: string): boolean {
  const type = propertyInfo(definitionOf(frame), key)?.type;
  return type !== undefined && URI_TYPES.has(type);
}

/**
 * The R4 definition of the object in `frame` ("Observation", "Attachment", …), looked up once
 * per frame; iterative, from the nearest frame that knows its definition down.
 */
function definitionOf(frame: Frame): string | undefined {
  const unknown: Frame[] = [];
  for (let f: Frame | null = frame; f !== null && !("definition" in f); f = f.parent) unknown.push(f);
  for (let i = unknown.length - 1; i >= 0; i--) {
    const f = unknown[i]!;
    const resourceType = (f.node as { resourceType?: unknown }).resourceType;
    const type = f.parent === null ? "Resource" : propertyInfo(f.parent.definition, f.key)?.type;
    f.definition = type === "Resource" ? (typeof resourceType === "string" ? resourceType : undefined) : type;
  }
  return frame.definition;
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
