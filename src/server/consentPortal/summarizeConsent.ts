import type { ConsentSummary } from "../../ui/ports.ts";

type Json = Record<string, unknown>;

export const BTG_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const RESOURCE_TYPES = "http://hl7.org/fhir/resource-types";
/** Most actors, classes a page lists of one Consent: a Consent may hold 64 of each; the page names the first. */
const MAX_LISTED = 20;

const asArray = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((v): v is Json => typeof v === "object" && v !== null) : [];
const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** Whether a Consent is an emergency access one (meta.security v3-ActReason BTG). */
export function isBreakGlass(consent: Json): boolean {
  const meta = (consent.meta ?? {}) as Json;
  return asArray(meta.security).some((c) => c.system === BTG_SYSTEM && c.code === "BTG");
}

/** Every actor reference of a provision tree (root first), at most MAX_LISTED, without repeats. */
export function actorReferencesOf(provision: Json | undefined): string[] {
  const found: string[] = [];
  const walk = (p: Json | undefined, depth: number) => {
    if (!p || depth > 8 || found.length >= MAX_LISTED) return;
    for (const a of asArray(p.actor)) {
      const ref = asString((a.reference as Json | undefined)?.reference);
      if (ref && !found.includes(ref) && found.length < MAX_LISTED) found.push(ref);
    }
    for (const child of asArray(p.provision)) walk(child, depth + 1);
  };
  walk(provision, 0);
  return found;
}

/** The break-glass reason: the `reason` extension, else the text of the root provision's first purpose. */
function reasonOf(consent: Json, provision: Json | undefined): string | undefined {
  for (const e of asArray(consent.extension))
    if (typeof e.url === "string" && /reason/i.test(e.url) && typeof e.valueString === "string") return e.valueString;
  for (const p of asArray(provision?.purpose)) {
    const text = asString(p.display);
    if (text) return text;
  }
  return undefined;
}

/**
 * A Consent as the pages list it, actor names still to be resolved (each is its reference).
 * Reads the root provision only for type, classes and period: nested provisions are exceptions
 * the page does not try to put in words.
 */
export function summarizeConsent(consent: Json): ConsentSummary {
  const provision = (consent.provision ?? undefined) as Json | undefined;
  const period = (provision?.period ?? {}) as Json;
  const start = asString(period.start);
  const end = asString(period.end);
  const reason = isBreakGlass(consent) ? reasonOf(consent, provision) : undefined;
  const lastUpdated = asString(((consent.meta ?? {}) as Json).lastUpdated);
  return {
    id: String(consent.id),
    status: asString(consent.status) ?? "unknown",
    patient: asString((consent.patient as Json | undefined)?.reference) ?? "",
    decision: provision?.type === "deny" ? "deny" : "permit",
    actors: actorReferencesOf(provision).map((reference) => ({ reference, name: reference })),
    classes: asArray(provision?.class)
      .filter((c) => c.system === undefined || c.system === RESOURCE_TYPES)
      .map((c) => asString(c.code))
      .filter((c): c is string => c !== undefined)
      .slice(0, MAX_LISTED),
    ...(start === undefined ? {} : { start }),
    ...(end === undefined ? {} : { end }),
    breakGlass: isBreakGlass(consent),
    ...(reason === undefined ? {} : { reason: reason.slice(0, 1000) }),
    ...(lastUpdated === undefined ? {} : { lastUpdated }),
  };
}
