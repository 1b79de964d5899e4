import { paramFor } from "../fhir/search/searchParameters.ts";
import { patientCompartmentTypes } from "../policy/compartmentTypes.ts";
import type { PolicyExpr, SearchValue } from "../ports/SearchRequest.ts";
import {
  type Code,
  CONSENT_ACTION_SYSTEM,
  type Provision,
  RESOURCE_TYPES_SYSTEM,
  type Span,
  within,
} from "./parseConsent.ts";
import { and, FALSE, not, or, TRUE } from "./policyExpr.ts";

/** One access as the provisions are matched against it (consent-spec.md, "Matching one provision"). */
export interface AccessContext {
  /** the caller's fhirUser and memberships ("Type/id") */
  accessor: ReadonlySet<string>;
  action: "access" | "correct";
  /** purpose of use (v3 ActReason code) */
  purpose: string;
  now: number;
  /** lowered to the next instant a period boundary would change the decision */
  horizon: { at: number };
  /** For `data` of meaning dependents: the references ("Type/id") each resource named holds now. */
  dependents?: ReadonlyMap<string, readonly string[]>;
}

/** Where a provision decides deny, and where permit, over the rows of its patient's compartment. */
export interface Decision {
  deny: PolicyExpr;
  permit: PolicyExpr;
}

/**
 * A provision's decision with its nested exceptions: children override their parent, among
 * siblings deny wins. An element the core cannot evaluate is read both ways so as to fail
 * safe: `deny` is where the provision may decide deny (such elements matching anything),
 * `permit` where it surely decides permit (such elements matching nothing). So
 *   deny(n)   = Mmax(n) ∧ (any deny(child) ∨ (¬any permit(child) ∧ n is deny))
 *   permit(n) = Mmin(n) ∧ ¬any deny(child) ∧ (any permit(child) ∨ n is permit)
 * which is consent-spec.md's formula wherever every element is understood.
 */
export function provisionDecision(p: Provision, ctx: AccessContext): Decision {
  const m = matchOf(p, ctx);
  const children = p.children.map((c) => provisionDecision(c, ctx));
  const anyDeny = or(...children.map((c) => c.deny));
  const anyPermit = or(...children.map((c) => c.permit));
  return {
    deny: and(m.max, or(anyDeny, and(not(anyPermit), p.type === "deny" ? TRUE : FALSE))),
    permit: and(m.min, not(anyDeny), or(anyPermit, p.type === "permit" ? TRUE : FALSE)),
  };
}

/** A provision's match: `min` (unknowns match nothing) and `max` (unknowns match anything). */
function matchOf(p: Provision, ctx: AccessContext): { min: PolicyExpr; max: PolicyExpr } {
  const fixed =
    (p.actors === undefined || p.actors.some((a) => ctx.accessor.has(a))) &&
    (p.actions === undefined || p.actions.some((c) => inSystem(c, CONSENT_ACTION_SYSTEM) && c.code === ctx.action)) &&
    (p.purposes === undefined || p.purposes.some((c) => c.code === ctx.purpose)) &&
    inPeriod(p.period, ctx);
  if (!fixed) return { min: FALSE, max: FALSE };
  const min: PolicyExpr[] = [];
  const max: PolicyExpr[] = [];
  if (p.classes !== undefined) {
    const types = p.classes.filter((c) => inSystem(c, RESOURCE_TYPES_SYSTEM)).map((c) => c.code);
    const t: PolicyExpr = types.length === 0 ? FALSE : { kind: "typeIn", types };
    min.push(t);
    max.push(t);
  }
  if (p.codes !== undefined) {
    min.push(tokenAtoms(codeTypes(), "code", p.codes, "exact"));
    max.push(tokenAtoms(codeTypes(), "code", p.codes, "any"));
  }
  if (p.securityLabels !== undefined) {
    const types = [...patientCompartmentTypes()];
    min.push(tokenAtoms(types, "_security", p.securityLabels, "exact"));
    max.push(tokenAtoms(types, "_security", p.securityLabels, "any"));
  }
  if (p.data !== undefined) {
    // An entry of a meaning not evaluated (authoredby) makes a permit never match, as any element would.
    const unread = p.data.some((d) => !DATA_MEANINGS.has(d.meaning));
    min.push(unread ? FALSE : or(...p.data.map((d) => dataAtom(d.meaning, d.reference, "min", ctx.dependents))));
    max.push(or(...p.data.map((d) => dataAtom(d.meaning, d.reference, "max", ctx.dependents))));
  }
  return { min: p.unknown ? FALSE : and(...min), max: and(...max) };
}

function inSystem(c: Code, system: string): boolean {
  return c.system === undefined || c.system === system;
}

function inPeriod(period: Span | undefined, ctx: AccessContext): boolean {
  if (period === undefined) return true;
  if (period.start !== undefined && period.start > ctx.now) ctx.horizon.at = Math.min(ctx.horizon.at, period.start);
  if (period.end !== undefined && period.end >= ctx.now) ctx.horizon.at = Math.min(ctx.horizon.at, period.end + 1);
  return within(period, ctx.now);
}

const DATA_MEANINGS = new Set(["instance", "related", "dependents"]);

/** The most values one filter atom carries (the search's OR-value limit is 100). */
const VALUES_PER_ATOM = 100;

/**
 * Rows of `types` whose token parameter `code` holds one of the codings. A coding without a
 * system is read as "no system" (exact) or "any system" (any): the narrower for permits.
 */
function tokenAtoms(
  types: readonly string[],
  code: string,
  codings: readonly Code[],
  mode: "exact" | "any",
): PolicyExpr {
  const values: SearchValue[] = codings
    .filter((c) => c.code !== "")
    .map((c) => ({ value: c.code, system: c.system ?? (mode === "exact" ? "" : undefined) }))
    .map((v) => (v.system === undefined ? { value: v.value } : { value: v.value, system: v.system }));
  const atoms: PolicyExpr[] = [];
  for (let i = 0; i < values.length; i += VALUES_PER_ATOM) {
    const chunk = values.slice(i, i + VALUES_PER_ATOM);
    for (const type of types)
      atoms.push({ kind: "filter", type, filter: { kind: "param", code, paramType: "token", values: chunk } });
  }
  return or(...atoms);
}

/**
 * `data`: instance (the resource itself), related (it, or a resource referring to it),
 * dependents (it, or a resource it refers to: those references are looked up when the view is
 * built; not looked up, a permit covers the instance only and a deny anything); any other
 * meaning (authoredby) is not evaluated.
 */
function dataAtom(
  meaning: string,
  reference: string,
  bound: "min" | "max",
  dependents: ReadonlyMap<string, readonly string[]> | undefined,
): PolicyExpr {
  const self: PolicyExpr = { kind: "idIn", refs: [reference] };
  switch (meaning) {
    case "instance":
      return self;
    case "related":
      return or(self, { kind: "refersTo", refs: [reference] });
    case "dependents": {
      const held = dependents?.get(reference);
      if (held !== undefined) return { kind: "idIn", refs: [reference, ...held] };
      return bound === "min" ? self : TRUE;
    }
    default:
      return bound === "min" ? FALSE : TRUE;
  }
}

let codeTypesMemo: string[] | undefined;

/** The compartment types that define a token `code` search parameter. */
function codeTypes(): string[] {
  codeTypesMemo ??= [...patientCompartmentTypes()].filter((t) => paramFor(t, "code")?.type === "token");
  return codeTypesMemo;
}
