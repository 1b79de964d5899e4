/**
 * A Consent's provisions as the consent core reads them (see consent-spec.md), and the caps a
 * Consent must stay within to be stored: provisions nest at most 8 deep, at most 64 in all,
 * with at most 64 entries in each repeated element.
 * @see https://hl7.org/fhir/R4/consent.html
 */

export const CONSENT_CAPS = Object.freeze({ maxDepth: 8, maxProvisions: 64, maxEntries: 64 });

export const CONSENT_SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope";
export const CONSENT_ACTION_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentaction";
export const RESOURCE_TYPES_SYSTEM = "http://hl7.org/fhir/resource-types";
export const ACT_REASON_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

/** A coding as `system|code`; `system` undefined when the coding has none. */
export interface Code {
  system?: string;
  code: string;
}

/** A time span in epoch ms; an open end is undefined. */
export interface Span {
  start?: number;
  end?: number;
}

export interface DataEntry {
  meaning: string;
  reference: string;
}

/** One provision; an element absent from the Consent is undefined here (it then matches anything). */
export interface Provision {
  type: "permit" | "deny";
  actors?: string[];
  actions?: Code[];
  period?: Span;
  classes?: Code[];
  /** each CodeableConcept's codings, flattened: any one of them matching is enough */
  codes?: Code[];
  securityLabels?: Code[];
  purposes?: Code[];
  data?: DataEntry[];
  /** carries an element (or modifier extension) the core does not evaluate */
  unknown: boolean;
  children: Provision[];
}

export type ParsedConsent = { ok: true; root: Provision } | { ok: false; reason: string };

const KNOWN = new Set([
  "id",
  "extension",
  "type",
  "period",
  "actor",
  "action",
  "securityLabel",
  "purpose",
  "class",
  "code",
  "data",
  "provision",
]);

/** The root provision of a Consent as a tree, or why it can't be read (over a cap, malformed). */
export function parseConsent(consent: Record<string, unknown>): ParsedConsent {
  const root = consent.provision;
  if (root === undefined) return { ok: false, reason: "the Consent has no provision" };
  const count = { n: 0 };
  try {
    return { ok: true, root: parseProvision(root, undefined, 1, count) };
  } catch (error) {
    if (error instanceof ConsentShapeError) return { ok: false, reason: error.message };
    throw error;
  }
}

class ConsentShapeError extends Error {}

function parseProvision(
  raw: unknown,
  parentType: Provision["type"] | undefined,
  depth: number,
  count: { n: number },
): Provision {
  if (depth > CONSENT_CAPS.maxDepth)
    throw new ConsentShapeError(`Consent provisions nest more than ${CONSENT_CAPS.maxDepth} deep`);
  if (++count.n > CONSENT_CAPS.maxProvisions)
    throw new ConsentShapeError(`a Consent holds more than ${CONSENT_CAPS.maxProvisions} provisions`);
  const p = object(raw, "provision");
  const type = p.type === undefined ? (parentType ?? "permit") : p.type;
  if (type !== "permit" && type !== "deny") throw new ConsentShapeError("provision.type is permit or deny");
  const unknown = Object.keys(p).some((k) => !KNOWN.has(k));
  const out: Provision = { type, unknown: false, children: [] };
  if (p.actor !== undefined)
    out.actors = list(p.actor, "actor").flatMap((a) => {
      const ref = object(a, "actor").reference;
      const r = ref === undefined ? undefined : object(ref, "actor.reference").reference;
      return typeof r === "string" ? [r] : [];
    });
  if (p.action !== undefined) out.actions = list(p.action, "action").flatMap((c) => codingsOf(c, "action"));
  if (p.period !== undefined) out.period = spanOf(p.period);
  if (p.class !== undefined) out.classes = list(p.class, "class").map((c) => coding(c, "class"));
  if (p.code !== undefined) out.codes = list(p.code, "code").flatMap((c) => codingsOf(c, "code"));
  if (p.securityLabel !== undefined)
    out.securityLabels = list(p.securityLabel, "securityLabel").map((c) => coding(c, "securityLabel"));
  if (p.purpose !== undefined) out.purposes = list(p.purpose, "purpose").map((c) => coding(c, "purpose"));
  if (p.data !== undefined)
    out.data = list(p.data, "data").map((d) => {
      const o = object(d, "data");
      const ref = o.reference === undefined ? {} : object(o.reference, "data.reference");
      return {
        meaning: typeof o.meaning === "string" ? o.meaning : "",
        reference: typeof ref.reference === "string" ? ref.reference : "",
      };
    });
  if (p.extension !== undefined) list(p.extension, "extension");
  if (p.provision !== undefined)
    out.children = list(p.provision, "provision").map((c) => parseProvision(c, type, depth + 1, count));
  out.unknown = unknown;
  return out;
}

function object(raw: unknown, what: string): Record<string, unknown> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new ConsentShapeError(`Consent ${what} is not an object`);
  return raw as Record<string, unknown>;
}

function list(raw: unknown, what: string): unknown[] {
  if (!Array.isArray(raw)) throw new ConsentShapeError(`Consent provision.${what} is not a list`);
  if (raw.length > CONSENT_CAPS.maxEntries)
    throw new ConsentShapeError(`Consent provision.${what} holds more than ${CONSENT_CAPS.maxEntries} entries`);
  return raw;
}

function coding(raw: unknown, what: string): Code {
  const c = object(raw, what);
  return {
    ...(typeof c.system === "string" ? { system: c.system } : {}),
    code: typeof c.code === "string" ? c.code : "",
  };
}

function codingsOf(raw: unknown, what: string): Code[] {
  const cc = object(raw, what);
  return cc.coding === undefined ? [] : list(cc.coding, `${what}.coding`).map((c) => coding(c, what));
}

/** A Period in epoch ms, each end at its precision's edge (`2026` starts Jan 1 and ends Dec 31). */
export function spanOf(raw: unknown): Span {
  const p = object(raw, "period");
  const span: Span = {};
  if (p.start !== undefined) span.start = instantOf(p.start, "start");
  if (p.end !== undefined) span.end = instantOf(p.end, "end");
  return span;
}

const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function instantOf(raw: unknown, edge: "start" | "end"): number {
  const m = typeof raw === "string" ? DATE_TIME.exec(raw) : null;
  if (m === null) throw new ConsentShapeError(`Consent period.${edge} is not a dateTime`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (h !== undefined) {
    const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}${frac ?? ""}${zone ?? "Z"}`);
    if (Number.isNaN(t)) throw new ConsentShapeError(`Consent period.${edge} is not a dateTime`);
    return edge === "end" && s === undefined ? t + 59_999 : t;
  }
  const year = Number(y);
  const month = mo === undefined ? undefined : Number(mo) - 1;
  const day = d === undefined ? undefined : Number(d);
  if (edge === "start") return Date.UTC(year, month ?? 0, day ?? 1);
  if (month === undefined) return Date.UTC(year + 1, 0, 1) - 1;
  if (day === undefined) return Date.UTC(year, month + 1, 1) - 1;
  return Date.UTC(year, month, day + 1) - 1;
}

/** Whether `now` lies in the span (ends included). */
export function within(span: Span | undefined, now: number): boolean {
  if (span === undefined) return true;
  return (span.start === undefined || span.start <= now) && (span.end === undefined || now <= span.end);
}
