import { extractSearchValues } from "../../../src/fhir/search/extractSearchValues.ts";
import type { FhirResource } from "../../../src/records/RecordRepository.ts";
import { HAS_CODE_PARAM, SYS } from "./vocab.ts";

/*
 * The independent model of who may read what, written from /work/prompts18/consent-spec.md
 * (and the SMART scope rules for the few scope shapes the generators make) without importing
 * any of the server's decision code: scopes ∩ role ∩ consent, per resource.
 */

export interface OracleCaller {
  role: "practitioner" | "patient" | "system";
  /** "Practitioner/dr1" for practitioners, "Patient/p1" for patients */
  fhirUser?: string;
  patient?: string;
  clientId?: string;
  scopes: string;
  /** v3 ActReason code the request is made for */
  purpose: string;
}

export interface OracleOptions {
  defaultDecision: "deny" | "permit";
  bindsClients: "*" | readonly string[];
  now: number;
  /** false: consent is not enforced at all (scopes ∩ role only), the server before issue 18 */
  enforce?: boolean;
  /**
   * false: `dependents` is read as the core reads it today (what the data resource refers to
   * is not resolved: a permit covers the instance only, a deny anything), a fail-safe
   * narrowing of the spec, reported; true (default): as the spec says.
   */
  resolveDependents?: boolean;
  /**
   * true: an unsupported `data` meaning (authoredby) is read entry by entry, as the core reads
   * it today (in a permit that entry never matches but the others still may; in a deny it
   * matches anything); false (default): as the spec says, a permit carrying it never matches.
   */
  unsupportedDataPerEntry?: boolean;
  /**
   * true: a provision's deny is read with the broad match and its permit with the narrow one,
   * whatever its type (the core's fail-safe reading: a permit provision carrying an unlisted
   * element still lets its deny children apply); false (default): the spec's, by its type.
   */
  boundsByDecision?: boolean;
}

type Json = Record<string, unknown>;
type Letter = "c" | "r" | "u" | "d" | "s";

/** Types a patient compartment can hold, among those the worlds use (patient scopes are confined on these). */
const COMPARTMENT_TYPES = new Set([
  "Patient",
  "Observation",
  "Condition",
  "Encounter",
  "MedicationRequest",
  "DocumentReference",
  "CareTeam",
  "Consent",
  "RelatedPerson",
]);

/** The patient compartment of a resource as the generators make them: its patient/subject reference to a Patient. */
export function compartmentOfWorld(r: Json): string | null {
  if (r.resourceType === "Patient") return `Patient/${r.id}`;
  for (const field of ["subject", "patient"]) {
    const ref = (r[field] as { reference?: string } | undefined)?.reference;
    if (typeof ref === "string" && ref.startsWith("Patient/")) return ref;
  }
  return null;
}

export const keyOf = (r: { resourceType: string; id?: unknown }) => `${r.resourceType}/${String(r.id)}`;

/** Every `reference` string a resource holds, anywhere in it. */
export function referencesIn(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencesIn(v, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "reference" && typeof v === "string") out.add(v);
      else referencesIn(v, out);
    }
  }
  return out;
}

/**
 * The references a resource "holds" for `data` related/dependents: those its reference search
 * parameters index (consent-spec.md compiles `refersTo` over the reference search rows), so a
 * reference nested where no search parameter reaches (a Consent's sub-provision data) is not one.
 */
export function heldReferences(r: Json): Set<string> {
  const out = new Set<string>();
  for (const row of extractSearchValues(r as never))
    if (row.kind === "reference" && row.targetType !== null && row.targetId !== null)
      out.add(`${row.targetType}/${row.targetId}`);
  return out;
}

interface Scope {
  context: string;
  type: string;
  letters: string;
  category?: string;
}

function parseScopes(text: string): Scope[] {
  return text
    .split(" ")
    .filter(Boolean)
    .map((s) => {
      const [head = "", query] = s.split("?");
      const [context = "", rest = ""] = head.split("/");
      const dot = rest.lastIndexOf(".");
      const category = query?.startsWith("category=") ? query.slice("category=".length) : undefined;
      return {
        context,
        type: rest.slice(0, dot),
        letters: rest.slice(dot + 1),
        ...(category ? { category } : {}),
      };
    });
}

const CONTEXT: Record<OracleCaller["role"], string> = { practitioner: "user", patient: "patient", system: "system" };

export function scopeGrantsType(caller: OracleCaller, letter: Letter, type: string): boolean {
  return parseScopes(caller.scopes).some(
    (s) => s.context === CONTEXT[caller.role] && (s.type === "*" || s.type === type) && s.letters.includes(letter),
  );
}

/** SMART: scopes ∩ role on one resource (patients confined to their compartment on compartment types). */
export function scopeAllows(caller: OracleCaller, letter: Letter, r: Json): boolean {
  const type = String(r.resourceType);
  return parseScopes(caller.scopes).some((s) => {
    if (s.context !== CONTEXT[caller.role] || !(s.type === "*" || s.type === type) || !s.letters.includes(letter))
      return false;
    if (s.category !== undefined && !codings(r.category).some((c) => `${c.system}|${c.code}` === s.category))
      return false;
    if (caller.role === "patient" && COMPARTMENT_TYPES.has(type))
      return compartmentOfWorld(r) === `Patient/${caller.patient}`;
    return true;
  });
}

function codings(concepts: unknown): { system?: string; code?: string }[] {
  if (!Array.isArray(concepts)) return concepts ? codings([concepts]) : [];
  return concepts.flatMap((c) => ((c as { coding?: unknown[] }).coding ?? []) as { system?: string; code?: string }[]);
}

function inPeriod(period: unknown, now: number): boolean {
  if (period === undefined || period === null) return true;
  const p = period as { start?: string; end?: string };
  if (p.start !== undefined && Date.parse(p.start) > now) return false;
  if (p.end !== undefined && Date.parse(p.end) < now) return false;
  return true;
}

/** Which Consents count for patient P (spec: "Which Consents count"). */
export function countingConsents(world: readonly Json[], patient: string, now: number): Json[] {
  return world.filter((c) => {
    if (c.resourceType !== "Consent" || c.status !== "active") return false;
    const scope = codings(c.scope);
    if (!scope.some((s) => s.system === SYS.scope && s.code === "patient-privacy")) return false;
    if ((c.patient as { reference?: string } | undefined)?.reference !== patient) return false;
    const root = c.provision as Json | undefined;
    return root !== undefined && inPeriod(root.period, now);
  });
}

/** The accessor: who the caller is and what it belongs to (spec: actor[].reference). */
interface Accessor {
  fhirUser?: string;
  purpose: string;
}

const LISTED = new Set([
  "type",
  "actor",
  "action",
  "period",
  "class",
  "code",
  "securityLabel",
  "purpose",
  "data",
  "provision",
  "id",
  "extension",
]);

const SUPPORTED_MEANINGS = new Set(["instance", "related", "dependents"]);

interface Access {
  world: readonly Json[];
  byKey: ReadonlyMap<string, Json>;
  accessor: Accessor;
  action: "access" | "correct";
  r: Json;
  now: number;
  resolveDependents: boolean;
  unsupportedDataPerEntry: boolean;
  boundsByDecision: boolean;
}

function actorMatches(ref: string, a: Access): boolean {
  const me = a.accessor.fhirUser;
  if (me === undefined) return false;
  const [type, id] = ref.split("/");
  if (type === "Practitioner" || type === "RelatedPerson") return ref === me;
  if (type === "PractitionerRole") {
    const role = a.byKey.get(ref);
    return (role?.practitioner as { reference?: string } | undefined)?.reference === me;
  }
  if (type === "Organization")
    return a.world.some(
      (x) =>
        x.resourceType === "PractitionerRole" &&
        x.active !== false &&
        (x.practitioner as { reference?: string } | undefined)?.reference === me &&
        (x.organization as { reference?: string } | undefined)?.reference === `Organization/${id}`,
    );
  if (type === "CareTeam") {
    const team = a.byKey.get(ref);
    if (team === undefined || (team.status !== undefined && team.status !== "active")) return false;
    return ((team.participant ?? []) as { member?: { reference?: string } }[]).some((p) => p.member?.reference === me);
  }
  return false;
}

function dataMatches(
  d: { meaning?: string; reference?: { reference?: string } },
  type: "permit" | "deny",
  a: Access,
): boolean {
  const target = d.reference?.reference;
  const self = keyOf(a.r as { resourceType: string; id: unknown });
  if (target === undefined) return false;
  switch (d.meaning) {
    case "instance":
      return self === target;
    case "related":
      return self === target || heldReferences(a.r).has(target);
    case "dependents": {
      if (self === target) return true;
      if (!a.resolveDependents) return type === "deny";
      const held = a.byKey.get(target);
      return held !== undefined && heldReferences(held).has(self);
    }
    default:
      return false; // authoredby and anything else: unsupported, never matches
  }
}

/** M(n): every present element matches (each: any of its entries); unknown elements per the fail-safe rule. */
function matches(n: Json, type: "permit" | "deny", a: Access): boolean {
  for (const key of Object.keys(n)) if (!LISTED.has(key) && type === "permit") return false;
  const rType = String(a.r.resourceType);
  const some = <T>(list: unknown, f: (x: T) => boolean) => Array.isArray(list) && (list as T[]).some(f);
  if (
    n.actor !== undefined &&
    !some<{ reference?: { reference?: string } }>(n.actor, (x) => actorMatches(x.reference?.reference ?? "", a))
  )
    return false;
  if (
    n.action !== undefined &&
    !some<{ coding?: { system?: string; code?: string }[] }>(n.action, (c) =>
      (c.coding ?? []).some((x) => x.system === SYS.action && x.code === a.action),
    )
  )
    return false;
  if (n.period !== undefined && !inPeriod(n.period, a.now)) return false;
  if (
    n.class !== undefined &&
    !some<{ system?: string; code?: string }>(
      n.class,
      (c) => c.code === rType && (c.system === undefined || c.system === SYS.types),
    )
  )
    return false;
  if (n.code !== undefined) {
    if (!HAS_CODE_PARAM.has(rType)) return false;
    const own = codings(rType === "MedicationRequest" ? a.r.medicationCodeableConcept : a.r.code);
    if (
      !some<{ coding?: { system?: string; code?: string }[] }>(n.code, (cc) =>
        (cc.coding ?? []).some((x) => own.some((o) => o.system === x.system && o.code === x.code)),
      )
    )
      return false;
  }
  if (n.securityLabel !== undefined) {
    const own = ((a.r.meta as Json | undefined)?.security ?? []) as { system?: string; code?: string }[];
    if (
      !some<{ system?: string; code?: string }>(n.securityLabel, (l) =>
        own.some((o) => o.system === l.system && o.code === l.code),
      )
    )
      return false;
  }
  if (n.purpose !== undefined && !some<{ code?: string }>(n.purpose, (p) => p.code === a.accessor.purpose))
    return false;
  if (n.data !== undefined) {
    // an unsupported meaning (authoredby) is an element the spec does not list: a permit never
    // matches, a deny reads as if `data` were absent
    const entries = n.data as { meaning?: string }[];
    const unsupported = entries.some((d) => !SUPPORTED_MEANINGS.has(String(d.meaning)));
    if (a.unsupportedDataPerEntry) {
      const any = entries.some((d) =>
        SUPPORTED_MEANINGS.has(String(d.meaning)) ? dataMatches(d as never, type, a) : type === "deny",
      );
      if (!any) return false;
    } else {
      if (unsupported && type === "permit") return false;
      if (!unsupported && !some<Json>(n.data, (d) => dataMatches(d as never, type, a))) return false;
    }
  }
  return true;
}

/**
 * D(n) and P(n) of the spec's boolean formulas. `matches(n, "permit")` is the narrow reading of
 * what the spec does not list (never matches), `matches(n, "deny")` the broad one (as if absent);
 * the spec picks by n's own type, the core (boundsByDecision) the narrow one for P and the broad
 * one for D.
 */
function decide(n: Json, inherited: "permit" | "deny", a: Access): { deny: boolean; permit: boolean } {
  const type = n.type === "deny" ? "deny" : n.type === "permit" ? "permit" : inherited;
  const [mDeny, mPermit] = a.boundsByDecision
    ? [matches(n, "deny", a), matches(n, "permit", a)]
    : [matches(n, type, a), matches(n, type, a)];
  if (!mDeny && !mPermit) return { deny: false, permit: false };
  const children = ((n.provision ?? []) as Json[]).map((c) => decide(c, type, a));
  const anyD = children.some((c) => c.deny);
  const anyP = children.some((c) => c.permit);
  return {
    deny: mDeny && (anyD || (!anyP && type === "deny")),
    permit: mPermit && !anyD && (anyP || type === "permit"),
  };
}

function isBreakGlass(c: Json): boolean {
  const security = ((c.meta as Json | undefined)?.security ?? []) as { system?: string; code?: string }[];
  return security.some((s) => s.system === SYS.actReason && s.code === "BTG");
}

/** The oracle for one caller over one world: which resources it may read (r) and search (s). */
export class Oracle {
  readonly world: readonly Json[];
  private readonly byKey: Map<string, Json>;
  private readonly caller: OracleCaller;
  private readonly options: OracleOptions;

  constructor(world: readonly Json[], caller: OracleCaller, options: OracleOptions) {
    this.world = world;
    this.byKey = new Map(world.map((r) => [keyOf(r as FhirResource), r]));
    this.caller = caller;
    this.options = options;
  }

  /** Whether consent binds this caller at all (spec: "Who is bound"). */
  bound(): boolean {
    if (this.caller.role === "system") {
      const binds = this.options.bindsClients;
      return binds === "*" || (this.caller.clientId !== undefined && binds.includes(this.caller.clientId));
    }
    return true;
  }

  consentAllows(r: Json, action: "access" | "correct"): boolean {
    const compartment = compartmentOfWorld(r);
    if (compartment === null || this.options.enforce === false) return true;
    if (this.caller.role === "patient" && compartment === `Patient/${this.caller.patient}`) return true;
    if (!this.bound()) return true;
    // Not in the spec, added by the core (0a5a640) and modelled here: a caller reads the Consents
    // naming it (the indexed root `actor`) that are proposed, rejected or inactive: its access
    // requests and their outcome.
    if (
      action === "access" &&
      r.resourceType === "Consent" &&
      ["proposed", "rejected", "inactive"].includes(String(r.status)) &&
      this.caller.fhirUser !== undefined &&
      extractSearchValues(r as never).some(
        (row) =>
          row.kind === "reference" &&
          row.param === "actor" &&
          `${row.targetType}/${row.targetId}` === this.caller.fhirUser,
      )
    )
      return true;
    const consents = countingConsents(this.world, compartment, this.options.now);
    const accessor: Accessor = {
      ...(this.caller.fhirUser ? { fhirUser: this.caller.fhirUser } : {}),
      purpose: this.caller.purpose,
    };
    const a: Access = {
      world: this.world,
      byKey: this.byKey,
      accessor,
      action,
      r,
      now: this.options.now,
      resolveDependents: this.options.resolveDependents ?? true,
      unsupportedDataPerEntry: this.options.unsupportedDataPerEntry ?? false,
      boundsByDecision: this.options.boundsByDecision ?? false,
    };
    if (action === "access") {
      for (const c of consents) {
        const root = c.provision as Json;
        if (!isBreakGlass(c) || root.type === "deny") continue;
        const actors = (root.actor ?? []) as { reference?: { reference?: string } }[];
        if (actors.some((x) => actorMatches(x.reference?.reference ?? "", a))) return true;
      }
    }
    let anyDeny = false;
    let anyPermit = false;
    // A break-glass Consent opens reading only ("writes still need consent"): it is not also an
    // ordinary permit (the spec leaves this implicit; the core reads it so).
    for (const c of consents) {
      if (isBreakGlass(c)) continue;
      const d = decide(c.provision as Json, "permit", a);
      anyDeny ||= d.deny;
      anyPermit ||= d.permit;
    }
    return !anyDeny && (anyPermit || this.options.defaultDecision === "permit");
  }

  /** scopes ∩ role ∩ consent for one resource; letters r/s read as consent `access`, c/u/d as `correct`. */
  allows(letter: Letter, r: Json): boolean {
    return (
      scopeAllows(this.caller, letter, r) &&
      this.consentAllows(r, letter === "r" || letter === "s" ? "access" : "correct")
    );
  }

  typeGranted(letter: Letter, type: string): boolean {
    return scopeGrantsType(this.caller, letter, type);
  }

  /** Keys of the world's resources the caller may see with `letter`. */
  visible(letter: Letter = "s"): Set<string> {
    return new Set(this.world.filter((r) => this.allows(letter, r)).map((r) => keyOf(r as FhirResource)));
  }

  get(key: string): Json | undefined {
    return this.byKey.get(key);
  }
}
