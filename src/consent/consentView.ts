import type { PolicyExpr, SearchFilter } from "../ports/SearchRequest.ts";
import type { AccessorContext } from "./ConsentSource.ts";
import { consentCounts, isBreakGlass } from "./consentCounts.ts";
import { evaluatePolicyExpr } from "./evaluatePolicyExpr.ts";
import { parseConsent, spanOf, within } from "./parseConsent.ts";
import { and, FALSE, not, or, sizeOf, TRUE } from "./policyExpr.ts";
import { type AccessContext, provisionDecision } from "./provisionDecision.ts";

export interface ConsentViewOptions {
  /** Without any consent deciding: `deny` (opt-in, the default) or `permit` (opt-out). */
  defaultDecision: "deny" | "permit";
  /** The caller's own compartment ("Patient/P", a patient user), always reached. */
  own?: string;
  now?: Date;
  /** The references each resource a `dependents` data entry names holds now (see dependentsNamed). */
  dependents?: ReadonlyMap<string, readonly string[]>;
}

/** What one caller may see and write of patient compartments, under the consents given. */
export interface ConsentView {
  /** The rows the caller may read or search (the SearchPolicy gate). */
  expr: PolicyExpr;
  /** The rows the caller may write (create, update, patch, delete). */
  correct: PolicyExpr;
  /** Whether one resource, in the compartment the index keeps for it, is readable (`access`) or writable (`correct`). */
  decide(
    resource: { resourceType: string; id?: unknown },
    compartment: string | null,
    action: "access" | "correct",
  ): boolean;
  /** The compartments ("Patient/P") the caller reaches through an active break-glass. */
  breakGlass: Set<string>;
  /** Until when (epoch ms) this view holds: a period starts or ends then. */
  validUntil: number;
}

/** The most nodes one patient's consents may compile to; beyond, they are taken as a deny of everything. */
export const MAX_EXPR_NODES = 20_000;

/**
 * The consent decision for one caller (consent-spec.md): each counting Consent decides by its
 * provisions (nested exceptions), a patient's Consents combine by deny-overrides, and where
 * none decides the default applies. Resources in no patient compartment are not consent's to
 * decide. A Consent that can't be read (over a cap, malformed) counts as a deny of everything
 * in its patient's compartment. Break-glass Consents (BTG) naming the caller open the whole
 * compartment to reading only; writes still need a permit. A caller reads the Consents that
 * name it and are proposed, rejected or inactive: its access requests and their outcome.
 */
export function consentView(
  consents: readonly Record<string, unknown>[],
  accessor: AccessorContext,
  options: ConsentViewOptions,
): ConsentView {
  const now = (options.now ?? new Date()).getTime();
  const horizon = { at: Number.POSITIVE_INFINITY };
  const who = new Set<string>(accessor.memberships);
  if (accessor.fhirUser !== undefined) who.add(accessor.fhirUser);
  const byPatient = new Map<string, Record<string, unknown>[]>();
  const breakGlass = new Set<string>();
  for (const c of consents) {
    noteRootPeriod(c, now, horizon);
    const patient = consentCounts(c, now);
    if (patient === undefined) continue;
    if (isBreakGlass(c)) {
      if (breakGlassFor(c, who, now, horizon)) breakGlass.add(patient);
      continue;
    }
    const list = byPatient.get(patient) ?? [];
    list.push(c);
    byPatient.set(patient, list);
  }
  const build = (action: "access" | "correct"): PolicyExpr => {
    const ctx: AccessContext = {
      accessor: who,
      action,
      purpose: accessor.purpose,
      now,
      horizon,
      ...(options.dependents === undefined ? {} : { dependents: options.dependents }),
    };
    // Patients whose consents decide alike (the usual permit naming the caller) share one
    // compartment list: one bound JSON array, not a term and an argument per patient.
    const alike = new Map<string, { patients: string[]; deny: PolicyExpr; permit: PolicyExpr }>();
    for (const [patient, list] of byPatient) {
      let anyDeny = FALSE;
      let anyPermit = FALSE;
      for (const c of list) {
        const parsed = parseConsent(c);
        if (!parsed.ok) {
          anyDeny = TRUE;
          break;
        }
        const d = provisionDecision(parsed.root, ctx);
        anyDeny = or(anyDeny, d.deny);
        anyPermit = or(anyPermit, d.permit);
      }
      if (sizeOf(anyDeny) + sizeOf(anyPermit) > MAX_EXPR_NODES) {
        anyDeny = TRUE;
        anyPermit = FALSE;
      }
      const key = JSON.stringify([anyDeny, anyPermit]);
      const group = alike.get(key);
      if (group === undefined) alike.set(key, { patients: [patient], deny: anyDeny, permit: anyPermit });
      else group.patients.push(patient);
    }
    const parts: PolicyExpr[] = [];
    for (const { patients, deny, permit } of alike.values()) {
      const here: PolicyExpr = { kind: "compartmentIn", compartments: patients };
      // opt-in: visible where no deny and some permit; opt-out: visible where no deny
      parts.push(options.defaultDecision === "deny" ? and(here, not(deny), permit) : and(here, deny));
    }
    const consented = options.defaultDecision === "deny" ? or(...parts) : not(or(...parts));
    // A caller's own access requests (and their outcome) are its to read, whatever consent says.
    const requests: PolicyExpr =
      action === "access" && accessor.fhirUser?.includes("/") === true && options.own === undefined
        ? and(
            { kind: "filter", type: "Consent", filter: tokenFilter("status", ["proposed", "rejected", "inactive"]) },
            {
              kind: "filter",
              type: "Consent",
              filter: { kind: "param", code: "actor", paramType: "reference", values: [{ value: accessor.fhirUser }] },
            },
          )
        : FALSE;
    const reached = [...(options.own === undefined ? [] : [options.own]), ...(action === "access" ? breakGlass : [])];
    return or(
      { kind: "noCompartment" },
      requests,
      reached.length === 0 ? FALSE : { kind: "compartmentIn", compartments: [...new Set(reached)] },
      consented,
    );
  };
  const expr = build("access");
  const correct = build("correct");
  return {
    expr,
    correct,
    breakGlass,
    validUntil: horizon.at,
    decide: (resource, compartment, action) =>
      compartment === null || evaluatePolicyExpr(action === "access" ? expr : correct, resource, compartment),
  };
}

/** A break-glass Consent opens the compartment to the actor it names while its provision's period holds. */
function breakGlassFor(
  c: Record<string, unknown>,
  who: ReadonlySet<string>,
  now: number,
  horizon: { at: number },
): boolean {
  const parsed = parseConsent(c);
  if (!parsed.ok || parsed.root.type !== "permit" || parsed.root.actors === undefined) return false;
  if (!parsed.root.actors.some((a) => who.has(a))) return false;
  const period = parsed.root.period;
  if (period?.end !== undefined && period.end >= now) horizon.at = Math.min(horizon.at, period.end + 1);
  if (period?.start !== undefined && period.start > now) horizon.at = Math.min(horizon.at, period.start);
  return within(period, now);
}

/** A Consent whose root period starts later or ends: the view must be rebuilt then. */
function noteRootPeriod(c: Record<string, unknown>, now: number, horizon: { at: number }): void {
  const period = (c.provision as { period?: unknown } | undefined)?.period;
  if (period === undefined) return;
  try {
    const span = spanOf(period);
    if (span.start !== undefined && span.start > now) horizon.at = Math.min(horizon.at, span.start);
    if (span.end !== undefined && span.end >= now) horizon.at = Math.min(horizon.at, span.end + 1);
  } catch {
    // unreadable: it counts as a deny, whatever the time
  }
}

/** The most `dependents` targets looked up for one caller; beyond, they are read without lookup (fail-safe). */
export const MAX_DEPENDENTS = 256;

/** The resources ("Type/id") that `dependents` data entries of these Consents name, at most MAX_DEPENDENTS. */
export function dependentsNamed(consents: readonly Record<string, unknown>[]): string[] {
  const out = new Set<string>();
  const walk = (p: { data?: { meaning: string; reference: string }[]; children: unknown[] }) => {
    for (const d of p.data ?? []) if (d.meaning === "dependents" && d.reference !== "") out.add(d.reference);
    for (const c of p.children) walk(c as never);
  };
  for (const c of consents) {
    if (c.status !== "active") continue;
    const parsed = parseConsent(c);
    if (parsed.ok) walk(parsed.root);
  }
  return [...out].slice(0, MAX_DEPENDENTS);
}

function tokenFilter(code: string, values: readonly string[]): SearchFilter {
  return { kind: "param", code, paramType: "token", values: values.map((value) => ({ value })) };
}
