/** `Patient.name`: an element name qualified by the resource type it is meant for. */
const QUALIFIED = /^([A-Z][A-Za-z]*)\.(.+)$/;

/**
 * The `_elements` names that apply to a resource of `type`. A plain name (`name`) applies to
 * the resources the search or read is about, not to included ones, as R4 says; a name
 * qualified by a resource type (`Patient.name`, as HAPI and R5-era servers accept) applies to
 * every resource of that type, matched or included, so a client can shape included resources
 * too. Returns undefined when no name applies (the resource is not shaped by `_elements`).
 * @see https://hl7.org/fhir/R4/search.html#elements
 */
export function elementsFor(
  type: string,
  elements: readonly string[] | undefined,
  options: { included: boolean },
): string[] | undefined {
  if (elements === undefined) return undefined;
  const names: string[] = [];
  for (const element of elements) {
    const qualified = QUALIFIED.exec(element);
    if (qualified) {
      if (qualified[1] === type) names.push(qualified[2]!);
    } else if (!options.included) {
      names.push(element);
    }
  }
  return names.length > 0 ? names : undefined;
}
