/** The consent scope whose Consents are the privacy policy (consent-spec: "Which Consents count"). */
export const PATIENT_PRIVACY = "http://terminology.hl7.org/CodeSystem/consentscope|patient-privacy";

/** A reference the directory can key on: `Type/id`, nothing else. */
const LOCAL_REFERENCE = /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}$/;

/** A counting Consent as the directory keeps it, with what it is looked up by. */
export interface ConsentEntry {
  /** "Consent/<id>". */
  ref: string;
  resource: Readonly<Record<string, unknown>>;
  /** "Patient/P". */
  patient: string;
  /**
   * The root provision's actors, when every one of them is a `Type/id` reference: the consent
   * can decide only for accessors known by one of them. Null: it may decide for anyone (no
   * root actor, or one the directory cannot key on; the decision matches it).
   */
  rootActors: readonly string[] | null;
  /** Some provision (root or nested, types inherited) is a deny: never dropped to meet a cap. */
  canDeny: boolean;
  /** Every actor reference in any provision (a dropped membership named here makes it a deny). */
  actorRefs: ReadonlySet<string>;
  /** The root provision's period, as instants (ms): an open end is ±Infinity; NaN: unreadable. */
  from: number;
  to: number;
  /** meta.lastUpdated (ms), for keeping the newest when a cap bites. */
  updated: number;
}

type Json = Record<string, unknown>;

/**
 * The directory's entry for a stored Consent, or null when it counts for nothing: not active,
 * not patient-privacy, no `Patient/P` patient or no root provision. Whether it matches an
 * access (period, actor, class, data...) is the decision's business (src/consent); this only
 * says who may need to see it.
 */
export function consentEntryOf(resource: Json): ConsentEntry | null {
  if (resource.resourceType !== "Consent" || resource.status !== "active" || typeof resource.id !== "string")
    return null;
  const scope = (resource.scope as { coding?: unknown } | undefined)?.coding;
  if (
    !Array.isArray(scope) ||
    !scope.some((c: { system?: unknown; code?: unknown }) => `${c?.system}|${c?.code}` === PATIENT_PRIVACY)
  )
    return null;
  const patient = (resource.patient as { reference?: unknown } | undefined)?.reference;
  if (typeof patient !== "string" || !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(patient)) return null;
  const root = resource.provision;
  if (!root || typeof root !== "object" || Array.isArray(root)) return null;
  const actorRefs = new Set<string>();
  const canDeny = walk(root as Json, "permit", actorRefs, 0);
  const period = (root as Json).period as { start?: unknown; end?: unknown } | undefined;
  return {
    ref: `Consent/${resource.id}`,
    resource,
    patient,
    rootActors: rootActorsOf(root as Json),
    canDeny,
    actorRefs,
    from: period?.start === undefined ? Number.NEGATIVE_INFINITY : instant(period.start, "start"),
    to: period?.end === undefined ? Number.POSITIVE_INFINITY : instant(period.end, "end"),
    updated: instant((resource.meta as { lastUpdated?: unknown } | undefined)?.lastUpdated, "start") || 0,
  };
}

/** Deepest provision nesting looked into; deeper provisions are taken as denies (fail safe). */
const MAX_DEPTH = 32;

/** Collects actor references below `p`; true when `p` or a provision under it denies. */
function walk(p: Json, inherited: string, actors: Set<string>, depth: number): boolean {
  if (depth > MAX_DEPTH) return true;
  const type = p.type === "deny" || p.type === "permit" ? p.type : inherited;
  let denies = type === "deny" || (p.type !== undefined && p.type !== "deny" && p.type !== "permit");
  for (const a of Array.isArray(p.actor) ? p.actor : []) {
    const ref = (a as { reference?: { reference?: unknown } } | null)?.reference?.reference;
    if (typeof ref === "string") actors.add(ref);
  }
  for (const child of Array.isArray(p.provision) ? p.provision : [])
    if (child && typeof child === "object") denies = walk(child as Json, type, actors, depth + 1) || denies;
  return denies;
}

function rootActorsOf(root: Json): readonly string[] | null {
  if (!Array.isArray(root.actor) || root.actor.length === 0) return null;
  const refs: string[] = [];
  for (const a of root.actor) {
    const ref = (a as { reference?: { reference?: unknown } } | null)?.reference?.reference;
    if (typeof ref !== "string" || !LOCAL_REFERENCE.test(ref)) return null;
    refs.push(ref);
  }
  return refs;
}

/**
 * A FHIR dateTime as an instant: a date alone (or year, year-month) covers its whole span, so
 * a period's start is its first moment and its end the last. NaN when unreadable.
 */
export function instant(value: unknown, edge: "start" | "end"): number {
  if (typeof value !== "string") return Number.NaN;
  const partial = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  if (partial) {
    const [, y, m, d] = partial;
    const year = Number(y);
    const month = m === undefined ? (edge === "start" ? 0 : 12) : Number(m) - 1 + (edge === "end" && !d ? 1 : 0);
    const day = d === undefined ? 1 : Number(d) + (edge === "end" ? 1 : 0);
    const start = Date.UTC(year, month, day);
    // a date without a zone is some zone's day: widen by the largest offsets (±14 h)
    return edge === "start" ? start - 14 * 3600_000 : start - 1 + 14 * 3600_000;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return Number.NaN;
  return Date.parse(value);
}
