import { isResourceType } from "../definitions/resourceTypes.ts";
import type { HttpMethod, InteractionRoute, RouteParams } from "./InteractionRoute.ts";
import { INTERACTIONS } from "./interactions.ts";
import { ID_PATTERN as ID } from "../ids.ts";
import { allowsOverRest, restRestrictionOf } from "./restRestrictions.ts";

/** A route of the table, its path split into literal and parameter segments. */
interface CompiledRoute {
  route: InteractionRoute;
  segments: readonly { literal?: string; param?: keyof RouteParams }[];
}

const COMPILED: readonly CompiledRoute[] = INTERACTIONS.map((route) => ({
  route,
  segments:
    route.path === "/"
      ? []
      : route.path
          .slice(1)
          .split("/")
          .map((s) => (s.startsWith(":") ? { param: s.slice(1) as keyof RouteParams } : { literal: s })),
}));

const METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/**
 * The first route of the table that answers `method` on `path`, with its parameters. A
 * parameter matches any non-empty segment (the interaction checks it), as HTTP routing does.
 */
export function matchRoute(
  method: string,
  path: readonly string[],
): { route: InteractionRoute; params: RouteParams } | undefined {
  const m = method === "HEAD" ? "GET" : method;
  for (const { route, segments } of COMPILED) {
    if (segments.length !== path.length || !route.methods.includes(m as HttpMethod)) continue;
    const params = matchSegments(segments, path, false);
    if (params !== undefined) return { route, params };
  }
  return undefined;
}

/** The methods a path answers, and a hint for a client that used another one. */
export interface AllowedMethods {
  methods: readonly string[];
  hint?: string;
}

/**
 * The methods the table answers on a path (GET with HEAD), judged strictly: a `:type` must be
 * a resource type the route serves, an `:id` or `:vid` a FHIR id, and the route's interaction
 * one REST clients may use on that type (restRestrictions.ts). Undefined when no route serves
 * the path at all, which is a 404; a request with another method is a 405 with `Allow`.
 * @see https://hl7.org/fhir/R4/http.html#general
 */
export function allowedMethodsOf(path: readonly string[]): AllowedMethods | undefined {
  const methods = new Set<string>();
  let hint: string | undefined;
  let restricted: string | undefined;
  for (const { route, segments } of COMPILED) {
    if (segments.length !== path.length) continue;
    const params = matchSegments(segments, path, true);
    if (params === undefined) continue;
    const type = params.type ?? literalType(segments);
    if (route.types !== undefined && !route.types.includes(type)) continue;
    if (!route.interactions.some((code) => allowsOverRest(type || undefined, code, route.operation))) {
      restricted = restRestrictionOf(type)?.reason;
      continue;
    }
    for (const method of route.methods) {
      methods.add(method);
      if (method === "GET") methods.add("HEAD");
    }
    hint ??= route.hint;
  }
  if (methods.size === 0) return undefined;
  const ordered = METHOD_ORDER.filter((m) => methods.has(m));
  hint = restricted ?? hint;
  return hint === undefined ? { methods: ordered } : { methods: ordered, hint };
}

function matchSegments(
  segments: CompiledRoute["segments"],
  path: readonly string[],
  strict: boolean,
): RouteParams | undefined {
  const params: RouteParams = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const value = path[i]!;
    if (segment.literal !== undefined) {
      if (value !== segment.literal) return undefined;
    } else {
      if (value === "") return undefined;
      if (strict && !(segment.param === "type" ? isResourceType(value) : ID.test(value))) return undefined;
      params[segment.param!] = value;
    }
  }
  return params;
}

/** The type a route names literally (`/Patient/$everything`), else "". */
function literalType(segments: CompiledRoute["segments"]): string {
  const first = segments[0]?.literal;
  return first !== undefined && isResourceType(first) ? first : "";
}
