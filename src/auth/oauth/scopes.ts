import { OAuthError } from "./OAuthError.ts";

/** Scopes that are not about resources: matched exactly. */
export const NON_RESOURCE_SCOPES: readonly string[] = [
  "openid",
  "fhirUser",
  "profile",
  "launch",
  "launch/patient",
  "launch/encounter",
  "offline_access",
  "online_access",
];

/** A caller may ask for at most this many scopes, each at most this long. */
export const MAX_SCOPES = 64;
export const MAX_SCOPE_LENGTH = 256;

export interface ResourceScope {
  context: "patient" | "user" | "system";
  type: string;
  /** Permissions as SMART v2 letters, in cruds order. */
  letters: string;
  /** The granular constraint (`category=laboratory`), or "" for none. */
  query: string;
}

const RESOURCE_SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{0,63})\.([a-z*]{1,5})(?:\?(.{1,200}))?$/;
const V1: Record<string, string> = { read: "rs", write: "cud", "*": "cruds" };

/** A resource scope (SMART v1 `patient/Observation.read` or v2 `patient/Observation.rs?category=…`), or undefined. */
export function parseResourceScope(scope: string): ResourceScope | undefined {
  const match = RESOURCE_SCOPE.exec(scope);
  if (!match) return undefined;
  const [, context, type, permissions, query] = match;
  let letters = V1[permissions!];
  if (letters === undefined) {
    // v2: a non-empty subsequence of "cruds", in that order
    if (!/^c?r?u?d?s?$/.test(permissions!)) return undefined;
    letters = permissions!;
  }
  return { context: context as ResourceScope["context"], type: type!, letters, query: query ?? "" };
}

/** Splits a `scope` parameter, refusing more or longer scopes than the caps. */
export function splitScopes(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  const scopes = [...new Set(scope.split(" ").filter((s) => s !== ""))];
  if (scopes.length > MAX_SCOPES)
    throw new OAuthError("invalid_scope", `at most ${MAX_SCOPES} scopes may be asked for`);
  if (scopes.some((s) => s.length > MAX_SCOPE_LENGTH))
    throw new OAuthError("invalid_scope", `a scope is at most ${MAX_SCOPE_LENGTH} characters`);
  return scopes;
}

/** Whether `allowed` (one scope a client may hold) covers `requested`. */
function covers(allowed: string, requested: string): boolean {
  if (allowed === requested) return true;
  const a = parseResourceScope(allowed);
  const r = parseResourceScope(requested);
  if (!a || !r) return false;
  if (a.context !== r.context) return false;
  if (a.type !== "*" && a.type !== r.type) return false;
  if (a.query !== "" && a.query !== r.query) return false;
  return [...r.letters].every((letter) => a.letters.includes(letter));
}

/** Whether a string is a scope this server knows (resource or non-resource). */
export function isKnownScope(scope: string): boolean {
  return NON_RESOURCE_SCOPES.includes(scope) || parseResourceScope(scope) !== undefined;
}

/**
 * The requested scopes that the allowed ones cover, in the order asked (RFC 6749 §3.3: the
 * server may grant fewer than asked, and says which in the response). Unknown scopes are dropped.
 */
export function grantableScopes(requested: readonly string[], allowed: readonly string[]): string[] {
  return requested.filter((scope) => isKnownScope(scope) && allowed.some((a) => covers(a, scope)));
}

/** Whether every scope of `subset` is in `granted` (a refresh's narrower `scope`). */
export function isSubset(subset: readonly string[], granted: readonly string[]): boolean {
  return subset.every((scope) => granted.includes(scope));
}

/** Plain words for a scope on the approval page. */
export function describeScope(scope: string): string {
  const words: Record<string, string> = {
    openid: "Know who you are (OpenID Connect)",
    fhirUser: "Know which FHIR record is you",
    profile: "Read your name and profile",
    launch: "Start with the context your EHR chose",
    "launch/patient": "Know which patient was chosen",
    "launch/encounter": "Know which encounter was chosen",
    offline_access: "Keep access when you are not using the app",
    online_access: "Keep access while you are signed in",
  };
  const known = words[scope];
  if (known) return known;
  const r = parseResourceScope(scope);
  if (!r) return scope;
  const verbs: string[] = [];
  if (r.letters.includes("c")) verbs.push("create");
  if (r.letters.includes("r")) verbs.push("read");
  if (r.letters.includes("u")) verbs.push("update");
  if (r.letters.includes("d")) verbs.push("delete");
  if (r.letters.includes("s")) verbs.push("search");
  const what = r.type === "*" ? "all record types" : `${r.type} records`;
  const whose = r.context === "patient" ? "of the patient" : r.context === "user" ? "you may see" : "of everyone";
  return `${verbs.join(", ")} ${what} ${whose}${r.query ? ` (only where ${r.query})` : ""}`;
}
