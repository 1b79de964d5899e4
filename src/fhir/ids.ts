/**
 * What a FHIR id and a resource type name look like, written once. Syntax only: whether a
 * name is one of the 146 R4 resource types is `isResourceType` (definitions/resourceTypes.ts),
 * which loads the R4 schema; this module loads nothing, so records/ and http/ may use it on
 * every request.
 */

/**
 * The R4 `id` rule as a regular-expression fragment, without anchors: 1-64 letters, digits, `-`
 * and `.`. What may already be stored (records written before `.` and `..` were refused) and
 * what a reference may name: leaves, manifests and reference parsing use it. Ids a client
 * sends are checked with ID_SOURCE / ID_PATTERN.
 * @see https://hl7.org/fhir/R4/datatypes.html#id
 */
export const R4_ID_SOURCE = "[A-Za-z0-9\\-.]{1,64}";

/** A whole string that matches the R4 id rule (the R4 JSON schema's `definitions.id.pattern`). */
export const R4_ID_PATTERN = new RegExp(`^${R4_ID_SOURCE}$`);

/**
 * An id this server accepts, as a regular-expression fragment without anchors, for composing
 * larger patterns (`Type/id`, `Type/id/_history/vid`): the R4 rule, except `.` and `..`. Those
 * two are path segments every URL parser removes (RFC 3986 5.2.4, WHATWG URL: `/Patient/..` is
 * the base itself, and so is `/Patient/%2E%2E`), in clients, proxies and this server's own
 * router alike, so a resource with such an id could never be addressed: they are refused
 * everywhere with a 400 rather than stored. Ids merely containing dots (`a.b`, `...`) are fine.
 */
export const ID_SOURCE = `(?!\\.{1,2}(?![A-Za-z0-9\\-.]))${R4_ID_SOURCE}`;

/** A whole string that is an id this server accepts (see ID_SOURCE). */
export const ID_PATTERN = new RegExp(`^${ID_SOURCE}$`);

/** The message of the 400 for a malformed id, as every interaction words it. */
export const INVALID_ID_MESSAGE =
  "the id is not a valid FHIR id ([A-Za-z0-9-.]{1,64}; '.' and '..' are refused: URL parsers remove them as path segments)";

/** True when `value` is a string that is an id this server accepts. */
export function isFhirId(value: unknown): value is string {
  return typeof value === "string" && ID_PATTERN.test(value);
}

/**
 * A resource type name as a regular-expression fragment, without anchors: an upper-case letter
 * then letters, 64 characters at most (the longest R4 name has 33). Every R4 resource type
 * matches it; matching it does not make a name a resource type.
 * @see https://hl7.org/fhir/R4/resourcelist.html
 */
export const RESOURCE_TYPE_NAME_SOURCE = "[A-Z][A-Za-z]{0,63}";

/** A whole string shaped like a resource type name (see RESOURCE_TYPE_NAME_SOURCE). */
export const RESOURCE_TYPE_NAME_PATTERN = new RegExp(`^${RESOURCE_TYPE_NAME_SOURCE}$`);

/** True when `value` is shaped like a resource type name (syntax only; see isResourceType for the R4 list). */
export function isResourceTypeName(value: unknown): value is string {
  return typeof value === "string" && RESOURCE_TYPE_NAME_PATTERN.test(value);
}
