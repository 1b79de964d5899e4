import { allowedMethodsOf } from "../fhir/engine/matchRoute.ts";
import type { AllowedMethods } from "../fhir/engine/matchRoute.ts";

export type { AllowedMethods };

const GET = { methods: ["GET", "HEAD"] } as const;
/** Routes of the HTTP edge itself, outside the FHIR interaction table. */
const EDGE: Record<string, AllowedMethods> = { "/health": GET, "/metrics": GET };

/**
 * The methods this server answers on a path: the interaction table's (see allowedMethodsOf),
 * plus the edge's own /health and /metrics; undefined when the path is no route at all (404).
 * @see https://hl7.org/fhir/R4/http.html#general
 */
export function allowedMethods(pathname: string): AllowedMethods | undefined {
  if (Object.hasOwn(EDGE, pathname)) return EDGE[pathname];
  return allowedMethodsOf(pathname === "/" ? [] : pathname.slice(1).split("/"));
}
