import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { isResourceType } from "../../fhir/definitions/resourceTypes.ts";
import type { ResourceScope, ScopeContext, ScopeGrant } from "./ScopeGrant.ts";
import { NON_RESOURCE_SCOPES, SCOPE_LIMITS } from "./ScopeGrant.ts";

/** v1 permissions as their v2 letters. */
const V1_LETTERS: Readonly<Record<string, string>> = { read: "rs", write: "cud", "*": "cruds" };
const V2_LETTERS = /^c?r?u?d?s?$/;
const RESOURCE_SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{0,63})\.([A-Za-z*]{1,5})(?:\?(.*))?$/s;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_\-.:]{0,127}$/;

/** Parsed grants by scope string: tokens repeat their scope string on every request. */
const memo = new Map<string, ScopeGrant>();
const MEMO_SIZE = 1000;

/**
 * The grant a space-separated SMART scope string holds: v1 (`patient/Observation.read`,
 * `.write`, `.*`) and v2 (`user/Observation.rs`, granular `?category=…`) resource scopes, the
 * known non-resource scopes, and the rest listed as malformed (they grant nothing). Memoised
 * by string (bounded); the result is frozen. More than 4096 characters or 100 scopes, or a
 * constraint of more than 10 parameters, is a 400: those caps bound what one token may cost
 * each request.
 * @see https://build.fhir.org/ig/HL7/smart-app-launch/scopes-and-launch-context.html
 */
export function parseScopes(scope: string): ScopeGrant {
  const known = memo.get(scope);
  if (known !== undefined) return known;
  if (scope.length > SCOPE_LIMITS.maxLength)
    throw new FhirLedgerError("invalid", `a scope string may hold at most ${SCOPE_LIMITS.maxLength} characters`);
  const words = scope.split(/[ \t\r\n]+/).filter((w) => w !== "");
  if (words.length > SCOPE_LIMITS.maxScopes)
    throw new FhirLedgerError("invalid", `a scope string may hold at most ${SCOPE_LIMITS.maxScopes} scopes`);
  const resources: ResourceScope[] = [];
  const other: string[] = [];
  const malformed: string[] = [];
  for (const word of words) {
    if (NON_RESOURCE_SCOPES.has(word)) {
      other.push(word);
      continue;
    }
    const parsed = parseResourceScope(word);
    if (parsed === undefined) malformed.push(word);
    else resources.push(parsed);
  }
  const grant: ScopeGrant = deepFreeze({ resources, other, malformed });
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!);
  memo.set(scope, grant);
  return grant;
}

/** One resource scope, or undefined when it is not one this server can honour. */
function parseResourceScope(word: string): ResourceScope | undefined {
  const m = RESOURCE_SCOPE.exec(word);
  if (m === null) return undefined;
  const [, context, type, permission, query] = m as unknown as [string, ScopeContext, string, string, string?];
  const letters = V1_LETTERS[permission] ?? (V2_LETTERS.test(permission) ? permission : undefined);
  if (letters === undefined || letters === "") return undefined;
  if (type !== "*" && !isResourceType(type)) return undefined;
  // v1 permissions take no constraint; granular constraints name one type's parameters.
  const v1 = permission in V1_LETTERS;
  if (query === undefined) return { context, type, letters };
  if (v1 || type === "*") return undefined;
  const constraint = parseConstraint(query);
  return constraint === undefined ? undefined : { context, type, letters, constraint };
}

function parseConstraint(query: string): [string, string][] | undefined {
  const pairs = query.split("&");
  if (pairs.length > SCOPE_LIMITS.maxConstraintParams)
    throw new FhirLedgerError(
      "invalid",
      `a scope constraint may hold at most ${SCOPE_LIMITS.maxConstraintParams} parameters`,
    );
  const out: [string, string][] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) return undefined;
    const name = decode(pair.slice(0, eq));
    const value = decode(pair.slice(eq + 1));
    if (name === undefined || value === undefined || value === "" || !PARAM_NAME.test(name)) return undefined;
    out.push([name, value]);
  }
  return out;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
