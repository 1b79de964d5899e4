import { FhirLedgerError } from "../errors/FhirLedgerError.ts";

/** `.` and `..`, raw or percent-encoded (`%2e`, `.%2E`, ...), as the WHATWG URL parser reads them. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Refuses (400) a request target whose path holds a dot segment. The URL parser in front of
 * the router removes them, so `/Patient/..` and `/Patient/%2E%2E` would otherwise reach the
 * route of `/` (a system search), and `/Patient/p1/..` that of `/Patient`: a request is never
 * answered as if it had asked for something else. `.` and `..` are not ids this server takes
 * (see src/fhir/ids.ts). `target` is the request line's target as sent, before any parsing.
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-5.2.4
 */
export function refuseDotSegments(target: string): void {
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  const segment = path.split("/").find((s) => DOT_SEGMENT.test(s));
  if (segment === undefined) return;
  const message = `the URL path holds the dot segment '${segment}': '.' and '..' are not valid ids, and URL parsers remove them as path segments, so this server refuses the request rather than answer for another path`;
  throw new FhirLedgerError("bad-request", message, {
    issues: [{ type: "invalid", diagnostics: message }],
  });
}
