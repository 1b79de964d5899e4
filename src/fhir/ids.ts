/**
 * What a FHIR id and a resource type name look like, written once. Syntax only: whether a
 * name is one of the 146 R4 resource types is `isResourceType` (definitions/resourceTypes.ts),
 * which loads the R4 schema; this module loads nothing, so records/ and http/ may use it on
 * every request.
 */

/**
 * The R4 `id` rule as a regular-expression fragment, without anchors, for composing larger
 * patterns (`Type/id`, `Type/id/_history/vid`): 1-64 letters, digits, `-` and `.`.
 * @see https://hl7.org/fhir/R4/datatypes.html#id
 */
export const ID_SOURCE = "[A-Za-z0-9\\-.]{1,64}";

/** A whole string that is a FHIR id (the R4 JSON schema's `definitions.id.pattern`). */
export const ID_PATTERN = new RegExp(`^${ID_SOURCE}$`);

/** The message of the 400 for a malformed id, as every interaction words it. */
export const INVALID_ID_MESSAGE = "the id is not a valid FHIR id ([A-Za-z0-9-.]{1,64})";

/** True when `value` is a string that is a valid FHIR id. */
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
