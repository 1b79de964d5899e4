/**
 * What one PractitionerRole or CareTeam makes its members belong to, as consent actors name it
 * (consent-spec: `PractitionerRole/Y` whose practitioner is the accessor, `Organization/O` of an
 * active role, `CareTeam/C` with the accessor as participant.member, status active or absent).
 */
export interface Membership {
  /** "PractitionerRole/Y" or "CareTeam/C". */
  ref: string;
  /** The fhirUser references that belong ("Practitioner/X", "RelatedPerson/R", ...). */
  members: readonly string[];
  /** What a member belongs to through it: the resource itself, and a role's organization. */
  grants: readonly string[];
}

const LOCAL_REFERENCE = /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}$/;

/** The membership a stored PractitionerRole or CareTeam gives, or null when it gives none. */
export function membershipOf(resource: Record<string, unknown>): Membership | null {
  if (typeof resource.id !== "string") return null;
  const ref = `${resource.resourceType}/${resource.id}`;
  if (resource.resourceType === "PractitionerRole") {
    const practitioner = referenceOf(resource.practitioner);
    if (practitioner === undefined) return null;
    // an inactive role still names the practitioner by itself; it brings no organization
    const organization = resource.active === false ? undefined : referenceOf(resource.organization);
    return { ref, members: [practitioner], grants: organization ? [ref, organization] : [ref] };
  }
  if (resource.resourceType === "CareTeam") {
    if (resource.status !== undefined && resource.status !== "active") return null;
    const participants = Array.isArray(resource.participant) ? resource.participant : [];
    const members = new Set<string>();
    // every participant: a member left out would escape a deny naming the team (the body cap bounds them)
    for (const p of participants) {
      const member = referenceOf((p as { member?: unknown } | null)?.member);
      if (member !== undefined) members.add(member);
    }
    return members.size === 0 ? null : { ref, members: [...members], grants: [ref] };
  }
  return null;
}

function referenceOf(value: unknown): string | undefined {
  const ref = (value as { reference?: unknown } | null | undefined)?.reference;
  return typeof ref === "string" && LOCAL_REFERENCE.test(ref) ? ref : undefined;
}
