import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { InteractionRoute } from "../engine/InteractionRoute.ts";
import type { FhirRequest } from "../engine/FhirRequest.ts";
import type { FhirValidator } from "../validation/createValidator.ts";

/**
 * An operation route that changes nothing, invoked both ways R4 defines: the GET route as it is,
 * and POST on the same path, whose body is a Parameters resource or empty (no parameters).
 * The POST handler runs the GET handler with the URL's parameters plus the body's, so both
 * forms answer alike. `accepts`: the input parameters the operation defines (any, when absent);
 * a body parameter not among them is a 400, not silently dropped.
 * @see https://hl7.org/fhir/R4/operations.html#executing
 */
export function invokedByGetAndPost(
  route: InteractionRoute & { operation: string },
  accepts?: readonly string[],
): InteractionRoute[] {
  const post: InteractionRoute = {
    ...route,
    methods: ["POST"],
    body: "parameters",
    // The result of an operation is its answer: Prefer: return=minimal is about writes.
    keepsBodyWhenMinimal: true,
    handle: (ctx, actor, params, request) =>
      route.handle(ctx, actor, params, {
        ...request,
        query: operationQuery(ctx.validator, route.operation, request, accepts),
      }),
  };
  return [route, post];
}

/**
 * The URL's parameters and those of the Parameters body (when there is one) together. Each
 * body parameter must carry a primitive `value[x]`: the operations invoked this way take no
 * resource or `part` inputs. A body that is not a valid R4 Parameters resource is a 400.
 */
export function operationQuery(
  validator: FhirValidator,
  operation: string,
  request: Pick<FhirRequest, "query" | "body">,
  accepts?: readonly string[],
): URLSearchParams {
  const query = new URLSearchParams(request.query);
  if (request.body === undefined) return query;
  validator.validate(request.body, { expectedType: "Parameters" });
  const parameters = (request.body as { parameter?: Record<string, unknown>[] }).parameter ?? [];
  parameters.forEach((parameter, i) => {
    const name = String(parameter.name);
    const where = `Parameters.parameter[${i}]`;
    if (accepts !== undefined && !accepts.includes(name)) {
      const known = accepts.length === 0 ? "it takes none" : `it takes ${accepts.join(", ")}`;
      throw invalidParameter(`$${operation} has no input parameter '${name.slice(0, 64)}' (${known})`, where);
    }
    const valueKey = Object.keys(parameter).find((key) => key.startsWith("value"));
    const value = valueKey === undefined ? undefined : parameter[valueKey];
    if (!(typeof value === "string" || typeof value === "number" || typeof value === "boolean"))
      throw invalidParameter(
        `$${operation} takes '${name.slice(0, 64)}' as a primitive value (valueString, valueInteger, ...)`,
        where,
      );
    query.append(name, String(value));
  });
  return query;
}

function invalidParameter(message: string, expression: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, {
    issues: [{ type: "invalid", diagnostics: message, expression: [expression] }],
  });
}
