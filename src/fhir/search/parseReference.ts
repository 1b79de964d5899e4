import { isResourceType } from "./searchParameters.ts";
import { R4_ID_PATTERN as ID_RE } from "../ids.ts";

/** A literal reference split for indexing and matching. */
export interface ParsedReference {
  targetType: string | null;
  targetId: string | null;
  /** absolute URL, canonical (without `|version`), `urn:` or `#contained`; null for a local `Type/id` */
  url: string | null;
}

/**
 * Splits "Patient/123", "Patient/123/_history/2", "http://x/fhir/Patient/1", "#c1", "urn:uuid:…".
 * @see https://hl7.org/fhir/R4/references.html#literal
 */
export function parseReference(ref: string): ParsedReference | undefined {
  if (ref.length === 0 || ref.length > 2048) return undefined;
  if (ref.startsWith("#")) return { targetType: null, targetId: null, url: ref };
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(ref)) return { targetType: null, targetId: null, url: ref.split("|")[0]! };
  const parts = ref.split("/");
  const hist = parts.indexOf("_history");
  const p = hist >= 0 ? parts.slice(0, hist) : parts;
  if (p.length === 2 && isResourceType(p[0]!) && ID_RE.test(p[1]!))
    return { targetType: p[0]!, targetId: p[1]!, url: null };
  return undefined;
}
