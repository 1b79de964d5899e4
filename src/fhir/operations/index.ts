import { breakGlassOperation } from "./breakGlass.ts";
import { auditExportOperation } from "../../audit/auditExport.ts";
import { eraseOperation } from "./erase.ts";
import { everything } from "./everything.ts";
import type { FhirOperation } from "./FhirOperation.ts";
import { validate } from "./validate.ts";
import { verifyOperation } from "./verify.ts";

/** Every operation this server answers; the interaction table and the CapabilityStatement list these. */
export const OPERATIONS: readonly FhirOperation[] = [
  verifyOperation,
  eraseOperation,
  validate,
  everything,
  breakGlassOperation,
  auditExportOperation,
];

/** This server's own OperationDefinitions, by id (served at `GET /OperationDefinition/[id]`). */
export const OPERATION_DEFINITIONS: ReadonlyMap<string, Readonly<Record<string, unknown>>> = new Map(
  OPERATIONS.flatMap((op) => (op.definition ? [[op.definition.id, op.definition] as const] : [])),
);
