import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { Index } from "../../ports/Index.ts";
import { isResourceType } from "../definitions/resourceTypes.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import { toOperationOutcome } from "../outcome/operationOutcome.ts";
import type { OperationOutcomeIssue } from "../types/r4.ts";
import type { FhirValidator } from "../validation/createValidator.ts";
import { ID_PATTERN, INVALID_ID_MESSAGE } from "../ids.ts";

export interface ValidateOperationDeps {
  validator: FhirValidator;
  index: Pick<Index, "current">;
}

const MODES = new Set(["create", "update", "delete"]);

/**
 * `[type]/$validate` and `[type]/[id]/$validate`: checks a resource (sent as itself or as the
 * `resource` parameter of a Parameters) and answers 200 with an OperationOutcome: one
 * information issue when valid, the error issues otherwise. Never stores anything.
 * A 4xx means the request itself could not be understood (no resource, unknown mode) or asks
 * for a profile this server can't check: it knows the base R4 definitions only, and R4 says a
 * server SHALL return an error rather than skip a nominated profile.
 * @see https://hl7.org/fhir/R4/resource-operation-validate.html
 */
export async function validateOperation(
  deps: ValidateOperationDeps,
  type: string,
  id: string | undefined,
  body: unknown,
  options: { profiles?: readonly string[] } = {},
): Promise<FhirResult> {
  if (!isResourceType(type)) throw new FhirLedgerError("not-found", `unknown resource type "${type.slice(0, 64)}"`);
  if (id !== undefined && !ID_PATTERN.test(id)) throw new FhirLedgerError("bad-request", INVALID_ID_MESSAGE);
  const { resource, mode, profiles } = unwrap(type, body);
  for (const profile of [...(options.profiles ?? []), ...profiles]) assertKnownProfile(type, profile);
  const issues: OperationOutcomeIssue[] = [];
  if (mode === "delete") {
    if (id === undefined) throw badParameter("mode", "mode=delete needs an instance: [type]/[id]/$validate");
    const current = await deps.index.current(type, id);
    if (!current || current.deleted)
      issues.push({ severity: "error", code: "not-found", diagnostics: `${type}/${id} is not known` });
  }
  if (resource !== undefined) {
    try {
      deps.validator.validate(resource, { expectedType: type });
    } catch (error) {
      if (!(error instanceof FhirLedgerError) || error.code !== "invalid") throw error;
      issues.push(...toOperationOutcome(error).outcome.issue);
    }
    const resourceId = (resource as { id?: unknown }).id;
    if (mode === "update" && resourceId === undefined)
      issues.push({
        severity: "error",
        code: "required",
        diagnostics: "id is required on update",
        expression: [`${type}.id`],
      });
    if (id !== undefined && resourceId !== undefined && resourceId !== id) {
      issues.push({
        severity: "error",
        code: "invalid",
        diagnostics: `the id in the resource (${String(resourceId).slice(0, 64)}) does not match the URL (${id})`,
        expression: [`${type}.id`],
      });
    }
  }
  const outcome =
    issues.length > 0
      ? { resourceType: "OperationOutcome", issue: issues }
      : {
          resourceType: "OperationOutcome",
          issue: [
            {
              severity: "information",
              code: "informational",
              diagnostics: mode === "delete" ? `${type}/${id} may be deleted` : `the ${type} is valid`,
            },
          ],
        };
  return { status: 200, resource: outcome };
}

/** The resource, mode and profiles from a Parameters body, or the body itself as the resource. */
function unwrap(type: string, body: unknown): { resource: unknown; mode: string | undefined; profiles: string[] } {
  const isParameters =
    body !== null &&
    typeof body === "object" &&
    !Array.isArray(body) &&
    (body as { resourceType?: unknown }).resourceType === "Parameters";
  if (!isParameters || (type === "Parameters" && !hasParameter(body, "resource"))) {
    if (body === null || typeof body !== "object" || Array.isArray(body))
      throw badParameter("resource", "send the resource, or Parameters with a 'resource' parameter");
    return { resource: body, mode: undefined, profiles: [] };
  }
  const params = (body as { parameter?: unknown }).parameter;
  if (params !== undefined && !Array.isArray(params))
    throw badParameter("parameter", "Parameters.parameter must be an array");
  let resource: unknown;
  let mode: string | undefined;
  const profiles: string[] = [];
  for (const p of (params ?? []) as unknown[]) {
    if (p === null || typeof p !== "object") throw badParameter("parameter", "each parameter must be an object");
    const { name } = p as { name?: unknown };
    if (name === "resource") resource = (p as { resource?: unknown }).resource;
    if (name === "mode") {
      const value =
        (p as { valueCode?: unknown; valueString?: unknown }).valueCode ?? (p as { valueString?: unknown }).valueString;
      if (typeof value !== "string" || !MODES.has(value))
        throw badParameter("mode", "mode must be create, update or delete");
      mode = value;
    }
    if (name === "profile") {
      const value =
        (p as { valueUri?: unknown }).valueUri ??
        (p as { valueCanonical?: unknown }).valueCanonical ??
        (p as { valueString?: unknown }).valueString;
      if (typeof value !== "string")
        throw badParameter("profile", "profile must be a uri (valueUri or valueCanonical)");
      profiles.push(value);
    }
  }
  if (resource === undefined && mode !== "delete")
    throw badParameter("resource", "the 'resource' parameter is required");
  return { resource, mode, profiles };
}

/** The base R4 StructureDefinition of `type` (any version 4.0.x) is the one profile this server checks. */
function assertKnownProfile(type: string, profile: string): void {
  const [url, version] = profile.split("|");
  if (
    url === `http://hl7.org/fhir/StructureDefinition/${type}` &&
    (version === undefined || /^4\.0(\.[0-9]+)?$/.test(version))
  )
    return;
  const message = `this server cannot validate against the profile ${profile.slice(0, 200)}: it validates against the base R4 definition http://hl7.org/fhir/StructureDefinition/${type} only`;
  throw new FhirLedgerError("invalid", message, {
    issues: [
      { type: "not-supported", diagnostics: message, expression: ["Parameters.parameter.where(name='profile')"] },
    ],
  });
}

function hasParameter(body: unknown, name: string): boolean {
  const params = (body as { parameter?: unknown }).parameter;
  return (
    Array.isArray(params) &&
    params.some(
      (p) => p !== null && typeof p === "object" && (p as { name?: unknown }).name === name && "resource" in p,
    )
  );
}

function badParameter(name: string, message: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, {
    issues: [{ type: "invalid", diagnostics: message, expression: [`Parameters.parameter.where(name='${name}')`] }],
  });
}
