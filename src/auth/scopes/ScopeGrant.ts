/** Where a SMART resource scope applies: the launch patient's compartment, the user's reach, or the whole server. */
export type ScopeContext = "patient" | "user" | "system";

/** SMART v2 permission letters, in the order a scope must write them. */
export type ScopeLetter = "c" | "r" | "u" | "d" | "s";
export const SCOPE_LETTERS: readonly ScopeLetter[] = ["c", "r", "u", "d", "s"];

/**
 * One resource scope, in v2 terms whichever version it was written in: `patient/Observation.read`
 * is letters "rs", `.write` "cud", `.*` "cruds".
 * @see https://build.fhir.org/ig/HL7/smart-app-launch/scopes-and-launch-context.html
 */
export interface ResourceScope {
  context: ScopeContext;
  /** A resource type, or "*" for every type. */
  type: string;
  /** A non-empty subset of "cruds", in that order. */
  letters: string;
  /**
   * A granular v2 constraint (`?category=…|laboratory`): search parameters, AND-ed, as
   * name/value pairs in the order written. Absent: the whole type.
   */
  constraint?: readonly (readonly [string, string])[];
}

/** What a scope string grants, read once and shared (see parseScopes). */
export interface ScopeGrant {
  resources: readonly ResourceScope[];
  /** Recognised scopes that grant no resource access (`openid`, `launch/patient`, ...), as written. */
  other: readonly string[];
  /** Scopes that are not well-formed or not known: they grant nothing (the token endpoint drops or refuses them). */
  malformed: readonly string[];
}

/** The non-resource scopes this server knows. */
export const NON_RESOURCE_SCOPES: ReadonlySet<string> = new Set([
  "openid",
  "fhirUser",
  "profile",
  "launch",
  "launch/patient",
  "launch/encounter",
  "offline_access",
  "online_access",
]);

/** Caps on what a client may put in one scope string. */
export const SCOPE_LIMITS = { maxLength: 4096, maxScopes: 100, maxConstraintParams: 10 } as const;
