import { readFileSync } from "node:fs";
import { buildCapabilityStatement } from "../fhir/capability/capabilityStatement.ts";
import { resourceTypes } from "../fhir/definitions/resourceTypes.ts";
import { paramsFor } from "../fhir/search/searchParameters.ts";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { name: string; version: string };

/** What this build really implements, and nothing more. */
export function buildServerCapabilityStatement(baseUrl: string): Record<string, unknown> {
  return buildCapabilityStatement({
    baseUrl,
    software: { name: pkg.name, version: pkg.version },
    resourceTypes: [...resourceTypes()].sort(),
    interactions: ["create", "read", "vread", "update", "patch", "delete", "history-instance", "history-type", "search-type"],
    systemInteractions: ["transaction", "batch", "history-system"],
    conditional: { read: "full-support", create: true, update: true, delete: "multiple" },
    patchFormats: ["application/json-patch+json", "application/fhir+json"],
    searchParams: (type) => [...paramsFor(type).values()].map((p) => ({ name: p.code, type: p.type as never, ...(p.url ? { definition: p.url } : {}) })),
    updateCreate: true,
    operations: [
      { name: "verify", definition: `${baseUrl}/OperationDefinition/verify` },
      { name: "erase", definition: `${baseUrl}/OperationDefinition/erase`, types: ["Patient"] },
      { name: "validate", definition: "http://hl7.org/fhir/OperationDefinition/Resource-validate", types: [...resourceTypes()] },
      { name: "everything", definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything", types: ["Patient"] },
    ],
  }) as unknown as Record<string, unknown>;
}
