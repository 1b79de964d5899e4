import type { FhirOperation } from "./FhirOperation.ts";
import { validateOperation } from "./validateOperation.ts";

const profiles = (query: URLSearchParams) => ({ profiles: query.getAll("profile") });

/**
 * `[type]/$validate` and `[type]/[id]/$validate` (the checks are in validateOperation.ts), as
 * the specification defines the operation.
 * @see https://hl7.org/fhir/R4/resource-operation-validate.html
 */
export const validate: FhirOperation = {
  code: "validate",
  definitionUrl: "http://hl7.org/fhir/OperationDefinition/Resource-validate",
  routes: [
    {
      methods: ["POST"],
      path: "/:type/$validate",
      interactions: ["operation"],
      level: "type",
      operation: "validate",
      body: "json",
      hint: "$validate takes the resource in the body: POST [type]/$validate",
      handle: async (ctx, _actor, p, request) =>
        validateOperation(ctx, p.type!, undefined, request.body, profiles(request.query)),
    },
    {
      methods: ["POST"],
      path: "/:type/:id/$validate",
      interactions: ["operation"],
      level: "instance",
      operation: "validate",
      body: "json",
      hint: "$validate takes the resource in the body: POST [type]/[id]/$validate",
      handle: async (ctx, _actor, p, request) =>
        validateOperation(ctx, p.type!, p.id!, request.body, profiles(request.query)),
    },
  ],
};
