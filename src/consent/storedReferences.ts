import { isResourceType } from "../fhir/definitions/resourceTypes.ts";
import { ID_PATTERN } from "../fhir/ids.ts";
import { extractSearchValues } from "../fhir/search/extractSearchValues.ts";
import type { VersionStore } from "../ports/VersionStore.ts";
import type { RecordRepository } from "../records/RecordRepository.ts";

/**
 * ConsentAccessOptions.referencesOf over the stored records: the references ("Type/id") the
 * current version of a resource holds, read as the index reads them (its reference search
 * values); none for a resource that does not exist or was deleted.
 */
export function storedReferences(deps: {
  index: Pick<VersionStore, "current">;
  records: Pick<RecordRepository, "read">;
}): (ref: string) => Promise<readonly string[]> {
  return async (ref) => {
    const [type = "", id = "", ...rest] = ref.split("/");
    if (rest.length > 0 || !isResourceType(type) || !ID_PATTERN.test(id)) return [];
    const current = await deps.index.current(type, id);
    if (current === null || current.deleted) return [];
    const stored = await deps.records.read(type, id);
    if (stored.resource == null) return [];
    const out = new Set<string>();
    for (const row of extractSearchValues(stored.resource as { resourceType: string }))
      if (row.kind === "reference" && row.grp === 0 && row.targetType !== null && row.targetId !== null)
        out.add(`${row.targetType}/${row.targetId}`);
    return [...out];
  };
}
