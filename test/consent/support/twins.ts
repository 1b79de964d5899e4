import fc from "fast-check";
import type { FhirResource } from "../../../src/records/RecordRepository.ts";
import { type ClinicalSpec, renderClinical, type WorldSpec } from "./world.ts";

/** Extra clinical resources for a twin world: appended after a world's own, referring to anything in it. */
export function twinExtras(spec: WorldSpec, extra: readonly ClinicalSpec[]): FhirResource[] {
  const both: WorldSpec = { ...spec, clinical: [...spec.clinical, ...extra] };
  return extra.map((_, i) => renderClinical(both, spec.clinical.length + i));
}

/**
 * An answer as bytes a client would compare, without what differs between two servers that
 * hold the same visible data: the Bundle's own id and the write times (lastUpdated,
 * lastModified) of the resources, which the two worlds wrote at different instants.
 */
export function normalised(answer: unknown): string {
  return JSON.stringify(answer, (key, value) => {
    if (key === "lastUpdated" || key === "lastModified") return "<time>";
    if (key === "id" && typeof value === "string" && /^[0-9a-f-]{36}$/.test(value)) return "<bundle-id>";
    return value;
  });
}

export { fc };
