import type { Context } from "hono";
import type { WriteConditions } from "../fhir/FhirInteractions.ts";

/** The If-Match and If-None-Match headers of a write, for the interaction to check. */
export function writeConditions(c: Context): WriteConditions {
  const ifMatch = c.req.header("if-match");
  const ifNoneMatch = c.req.header("if-none-match");
  return { ...(ifMatch === undefined ? {} : { ifMatch }), ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }) };
}
