const FIXED: Record<string, string> = {
  openid: "Know who you are",
  fhirUser: "Know which record is yours (your Patient or Practitioner record)",
  profile: "Know who you are",
  offline_access: "Keep access when you are not using it, until you disconnect it",
  online_access: "Keep access while you are signed in",
  launch: "Open in the context of your current record",
  "launch/patient": "Know which patient is selected",
  "launch/encounter": "Know which encounter is selected",
};

const VERBS: Record<string, string> = {
  c: "create",
  r: "read",
  u: "update",
  d: "delete",
  s: "search",
};

const WHOSE: Record<string, string> = {
  patient: "of the selected patient",
  user: "that you can see",
  system: "on the whole server",
};

/**
 * A SMART scope in plain words, for people deciding what an app may do: v1
 * (`patient/Observation.read`) and v2 (`patient/Observation.rs?category=…`) resource scopes and
 * the launch and identity scopes; anything else is shown as it is.
 * @see https://build.fhir.org/ig/HL7/smart-app-launch/scopes-and-launch-context.html
 */
export function scopeInWords(scope: string): string {
  if (Object.hasOwn(FIXED, scope)) return FIXED[scope]!;
  const m = /^(patient|user|system)\/([A-Z][A-Za-z]{0,63}|\*)\.(read|write|\*|c?r?u?d?s?)(\?.*)?$/.exec(scope);
  if (!m || m[3] === "") return scope;
  const [, context, type, access, query] = m;
  const verbs =
    access === "read"
      ? ["read", "search"]
      : access === "write"
        ? ["create", "update", "delete"]
        : access === "*"
          ? ["read", "search", "create", "update", "delete"]
          : [...access!].map((letter) => VERBS[letter]!);
  const what = type === "*" ? "all records" : `${type} records`;
  const list = verbs.length === 1 ? verbs[0]! : `${verbs.slice(0, -1).join(", ")} and ${verbs.at(-1)}`;
  const sentence = `${list[0]!.toUpperCase()}${list.slice(1)} ${what} ${WHOSE[context!]}`;
  return query ? `${sentence}, only where ${query.slice(1)}` : sentence;
}
