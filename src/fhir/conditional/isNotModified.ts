import { parseIfNoneMatch } from "./requestChecks.ts";

/** The conditions of a conditional read: its HTTP headers, or the `request` of a GET bundle entry. */
export interface ReadConditions {
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

/**
 * Whether the client's copy of this version is current, so a conditional read answers 304.
 * If-None-Match wins when both are given (RFC 9110 13.2.2). If-Modified-Since compares at the
 * precision it was given in: an HTTP date has whole seconds, a bundle entry's instant may not.
 * @see https://hl7.org/fhir/R4/http.html#cread
 */
export function isNotModified(
  version: { versionId: number; lastUpdated: string },
  conditions: ReadConditions,
): boolean {
  if (conditions.ifNoneMatch !== undefined) {
    const tags = parseIfNoneMatch(conditions.ifNoneMatch);
    return tags === "*" || tags.includes(version.versionId);
  }
  if (conditions.ifModifiedSince === undefined) return false;
  const since = Date.parse(conditions.ifModifiedSince);
  if (!Number.isFinite(since)) return false;
  const modified = Date.parse(version.lastUpdated);
  return (since % 1000 === 0 ? Math.floor(modified / 1000) * 1000 : modified) <= since;
}
