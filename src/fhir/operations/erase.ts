import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import definition from "../../../fhir-profiles/OperationDefinition-erase.json" with { type: "json" };
import { assertId } from "../FhirInteractions.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import type { EngineContext } from "../engine/InteractionRoute.ts";
import type { FhirOperation } from "./FhirOperation.ts";

/**
 * `Patient/[id]/$erase`: crypto-shreds the patient's compartment. Administrators only, with
 * a reason; leaves an AuditEvent that names the patient and the reason, nothing clinical.
 */
export async function erase(
  ctx: Pick<EngineContext, "index" | "records" | "audit">,
  actor: Actor,
  type: string,
  id: string,
  body: unknown,
): Promise<FhirResult> {
  if (type !== "Patient") throw new FhirLedgerError("not-found", "$erase is defined on Patient only");
  assertId(id);
  if (actor.role !== "admin") {
    await ctx.audit.record({
      action: "E",
      subtype: "erase",
      outcome: "4",
      actor,
      entity: `Patient/${id}`,
      description: "erasure refused: administrators only",
    });
    throw new FhirLedgerError("forbidden", "only administrators may erase a patient");
  }
  const reason = parameterString(body, "reason");
  if (!reason || reason.trim().length < 3) {
    throw new FhirLedgerError("invalid", "a reason is required: Parameters with parameter 'reason' (valueString)", {
      issues: [
        {
          type: "required",
          diagnostics: "reason is required",
          expression: ["Parameters.parameter.where(name='reason')"],
        },
      ],
    });
  }
  const current = await ctx.index.current("Patient", id);
  if (!current) throw new FhirLedgerError("not-found", `Patient/${id} is not known`);
  const result = await ctx.records.eraseCompartment(`Patient/${id}`);
  const auditId = await ctx.audit.record({
    action: "E",
    subtype: "erase",
    outcome: "0",
    actor,
    entity: `Patient/${id}`,
    description: `patient erased: ${reason.slice(0, 500)} (${result.resources} resources, ${result.versions} versions, ${result.keys} keys destroyed)`,
  });
  return {
    status: 200,
    resource: {
      resourceType: "Parameters",
      parameter: [
        { name: "erasedResources", valueInteger: result.resources },
        { name: "erasedVersions", valueInteger: result.versions },
        { name: "deletedBlobs", valueInteger: result.blobs },
        { name: "destroyedKeys", valueInteger: result.keys },
        { name: "auditEvent", valueReference: { reference: `AuditEvent/${auditId}` } },
      ],
    },
  };
}

export const eraseOperation: FhirOperation = {
  code: "erase",
  definitionUrl: "#erase",
  definition,
  types: ["Patient"],
  routes: [
    {
      methods: ["POST"],
      path: "/:type/:id/$erase",
      interactions: ["operation"],
      level: "instance",
      operation: "erase",
      types: ["Patient"],
      body: "json",
      hint: "$erase takes a Parameters body with a reason: POST Patient/[id]/$erase",
      handle: (ctx, actor, p, request) => erase(ctx, actor, p.type!, p.id!, request.body),
    },
  ],
};

function parameterString(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== "object" || (body as { resourceType?: unknown }).resourceType !== "Parameters")
    return undefined;
  const params = (body as { parameter?: unknown }).parameter;
  if (!Array.isArray(params)) return undefined;
  const p = params.find((x) => x && typeof x === "object" && (x as { name?: unknown }).name === name) as
    | { valueString?: unknown }
    | undefined;
  return typeof p?.valueString === "string" ? p.valueString : undefined;
}
