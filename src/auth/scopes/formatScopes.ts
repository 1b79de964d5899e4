import type { ResourceScope, ScopeGrant } from "./ScopeGrant.ts";

/**
 * The scope string of a grant, resource scopes in v2 form (`patient/Observation.rs?…`), then
 * the other scopes; malformed ones are left out. parseScopes(formatScopes(g)) gives back g's
 * resource and other scopes.
 */
export function formatScopes(grant: Pick<ScopeGrant, "resources" | "other">): string {
  return [...grant.resources.map(formatResourceScope), ...grant.other].join(" ");
}

/** One resource scope in v2 form. */
export function formatResourceScope(scope: ResourceScope): string {
  const base = `${scope.context}/${scope.type}.${scope.letters}`;
  if (scope.constraint === undefined) return base;
  return `${base}?${scope.constraint.map(([n, v]) => `${encode(n)}=${encode(v)}`).join("&")}`;
}

/** Escapes what would end a scope or split its query; keeps `|`, `:` and `/` of token values readable. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(/%7C/gi, "|").replace(/%3A/gi, ":").replace(/%2F/gi, "/");
}
