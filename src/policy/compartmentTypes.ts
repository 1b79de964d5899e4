import { loadCompartmentPaths } from "../fhir/resource/compartmentOf.ts";

let types: ReadonlySet<string> | undefined;

/**
 * The resource types a patient compartment holds (the R4 CompartmentDefinition's types with
 * compartment parameters, and Patient). A `patient/` scope confines these to the patient's
 * compartment; other types (Practitioner, Organization, Medication, ...) hold no patient's
 * data and are granted as the scope says.
 * @see https://hl7.org/fhir/R4/compartmentdefinition-patient.html
 */
export function patientCompartmentTypes(): ReadonlySet<string> {
  if (types !== undefined) return types;
  const set = new Set<string>(["Patient"]);
  for (const [type, paths] of loadCompartmentPaths()) if (paths.length > 0) set.add(type);
  types = set;
  return set;
}
