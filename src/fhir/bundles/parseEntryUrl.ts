import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { isResourceType } from "../definitions/resourceTypes.ts";
import { ID_PATTERN as ID } from "../ids.ts";

/** What a Bundle.entry.request.url addresses. */
export interface EntryTarget {
  type: string;
  id?: string;
  /** version for vread (`Type/id/_history/vid`) */
  vid?: string;
  /** search or conditional criteria, without `?` (may be "") */
  query?: string;
}

/**
 * Parses an entry's request.url: relative (`Patient`, `Patient/1`, `Patient?identifier=x`,
 * `Patient/1/_history/2`) or absolute under this server's base URL. Operations, `_search`,
 * system-level and other servers' URLs are refused (400).
 * @see https://hl7.org/fhir/R4/bundle-definitions.html#Bundle.entry.request.url
 */
export function parseEntryUrl(url: string, baseUrl: string): EntryTarget {
  let rest = url.trim();
  if (/^https?:\/\//i.test(rest)) {
    if (!baseUrl || !rest.startsWith(`${baseUrl}/`))
      throw bad(`request.url ${rest.slice(0, 200)} is not on this server`);
    rest = rest.slice(baseUrl.length + 1);
  }
  rest = rest.replace(/^\//, "");
  const q = rest.indexOf("?");
  const path = q === -1 ? rest : rest.slice(0, q);
  const query = q === -1 ? undefined : rest.slice(q + 1);
  const segments = path.split("/");
  const type = segments[0] ?? "";
  if (!isResourceType(type)) throw bad(`request.url "${url.slice(0, 200)}" does not start with a known resource type`);
  const target: EntryTarget = { type, ...(query === undefined ? {} : { query }) };
  if (segments.length === 1) return target;
  const id = segments[1]!;
  if (!ID.test(id))
    throw bad(
      `request.url "${url.slice(0, 200)}": "${id.slice(0, 64)}" is not a valid id or is an operation this server does not run in bundles`,
    );
  if (segments.length === 2) return { ...target, id };
  if (segments.length === 4 && segments[2] === "_history" && /^[1-9][0-9]{0,9}$/.test(segments[3]!))
    return { ...target, id, vid: segments[3]! };
  throw bad(`request.url "${url.slice(0, 200)}" is not supported in a bundle`);
}

function bad(message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, { issues: [{ type: "invalid", diagnostics: message }] });
}
