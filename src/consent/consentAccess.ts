import type { Actor } from "../auth/Actor.ts";
import type { AccessGuard, AccessLetter } from "../fhir/engine/AccessGuard.ts";
import { patientCompartmentTypes } from "../policy/compartmentTypes.ts";
import type { PolicyExpr, SearchPolicy } from "../ports/SearchRequest.ts";
import type { ConsentSource, WalletConsentCheck } from "./ConsentSource.ts";
import { type ConsentView, consentView, dependentsNamed } from "./consentView.ts";
import { isAccessRequest, namesOnly } from "./accessRequest.ts";
import { and, FALSE, or } from "./policyExpr.ts";

export interface ConsentDecision {
  /** "Patient/P": the compartment decided on */
  patient: string;
  decision: "permit" | "deny";
  /** permitted through an active break-glass of the caller */
  breakGlass: boolean;
}

export interface ConsentAccessOptions {
  /** Where no Consent decides: `deny` (opt-in, FHIRLEDGER_CONSENT_DEFAULT=opt-in) or `permit` (opt-out). */
  defaultDecision: "deny" | "permit";
  /** The Backend Services clients consent binds (FHIRLEDGER_CONSENT_BINDS_CLIENTS): their client_ids, or `*`. */
  bindsClients: "*" | readonly string[];
  /** Told of every decision on one resource of a patient compartment (read, vread, history, writes), for audit. */
  onDecision?: (actor: Actor, d: ConsentDecision) => void;
  /**
   * The references ("Type/id") a resource holds now, for `data` of meaning dependents (looked up
   * on every request of a caller whose consents use it). Absent: dependents cover the named
   * resource only in a permit, anything in a deny.
   */
  referencesOf?: (ref: string) => Promise<readonly string[] | undefined>;
  /**
   * Wallet-bound consents: for a patient with a linked wallet, only consents the chain honours
   * count (asked on every request, so a revoke or expiry on chain holds from the next one).
   */
  wallet?: WalletConsentCheck;
  /** The clock (tests). */
  now?: () => Date;
}

/**
 * Authorization as scopes ∩ role (`inner`, smartAccess) ∩ consent (consent-spec.md): the
 * consent view of each caller is fetched or refreshed in `check`, which runs before every
 * interaction and bundle entry, and is rebuilt whenever the source's version changes or a
 * period in it starts or ends, so a revocation holds from the next request on, for tokens
 * already issued too. Searches carry it as the policy's `gate` (in the query: totals,
 * includes, chains, _has, history, $everything); single resources are decided by the same
 * expression in memory. Fails closed: without a view, no compartment but the caller's own.
 * Patients always reach their own compartment; administrators, auditors, anonymous callers
 * and system clients consent does not bind pass through unchanged.
 */
export function consentAccess(inner: AccessGuard, source: ConsentSource, options: ConsentAccessOptions): AccessGuard {
  type Entry = { version: number; view: ConsentView; named: string[]; held: string; unhonoured: string };
  /** The view each actor object's last check prepared: what its request's other calls use. */
  const views = new WeakMap<Actor, Entry>();
  const shared = new Map<string, Entry>();
  const now = options.now ?? (() => new Date());
  const bound = (actor: Actor) => bindsActor(actor, options.bindsClients);
  const viewOf = (actor: Actor) => views.get(actor)?.view;
  const gateOf = (actor: Actor, letter: AccessLetter): PolicyExpr => {
    const view = viewOf(actor);
    if (view === undefined) return failClosed(actor);
    return letter === "r" || letter === "s" ? view.expr : view.correct;
  };
  return {
    async check(actor, interaction) {
      await inner.check(actor, interaction);
      if (!bound(actor) || interaction.interaction === "capabilities") return;
      const got = await source.consentsFor(actor);
      const at = now();
      const { consents, unhonoured } = chainHonoured(got.consents, options.wallet, at);
      const own = ownCompartment(actor);
      // Shared by every actor object of one caller (a token authenticated anew on each request).
      const key = JSON.stringify([actor.id, actor.role, own, got.accessor]);
      const cached = shared.get(key);
      const current = cached !== undefined && cached.version === got.version && cached.unhonoured === unhonoured;
      const named = current ? cached.named : options.referencesOf ? dependentsNamed(consents) : [];
      const dependents = await lookUp(named, options.referencesOf);
      const held = JSON.stringify([...dependents]);
      if (current && at.getTime() < cached.view.validUntil && cached.held === held) {
        views.set(actor, cached);
        return;
      }
      const view = consentView(consents, got.accessor, {
        defaultDecision: options.defaultDecision,
        now: at,
        ...(own === undefined ? {} : { own }),
        ...(named.length === 0 ? {} : { dependents }),
      });
      const entry = { version: got.version, view, named, held, unhonoured };
      views.set(actor, entry);
      shared.delete(key);
      shared.set(key, entry);
      if (shared.size > MAX_SHARED_VIEWS) shared.delete(shared.keys().next().value!);
    },
    searchPolicy(actor, types, letter): SearchPolicy | undefined {
      const policy = inner.searchPolicy(actor, types, letter);
      if (!bound(actor)) return policy;
      const gate = gateOf(actor, letter);
      const rules = policy?.rules ?? [{ types: "*", filters: [] }];
      return { rules, gate: policy?.gate === undefined ? gate : and(policy.gate, gate) };
    },
    permits(actor, letter, resource, compartment) {
      if (!inner.permits(actor, letter, resource, compartment)) return false;
      if (!bound(actor)) return true;
      const writing = letter === "c" || letter === "u" || letter === "d";
      if (writing && resource.resourceType === "Consent") return consentWrite(actor, letter, resource, compartment);
      if (compartment === null) return true;
      const view = viewOf(actor);
      const ok =
        view === undefined
          ? compartment === ownCompartment(actor)
          : view.decide(resource, compartment, writing ? "correct" : "access");
      options.onDecision?.(actor, {
        patient: compartment,
        decision: ok ? "permit" : "deny",
        breakGlass: ok && !writing && view?.breakGlass.has(compartment) === true,
      });
      return ok;
    },
    unrestricted(actor, type, letter) {
      if (!inner.unrestricted(actor, type, letter)) return false;
      return !bound(actor) || !patientCompartmentTypes().has(type);
    },
  };

  /**
   * Who writes Consents: a patient in its own compartment; a system client as its scopes say
   * (activating one included); a practitioner only its own access request (a `proposed`
   * Consent naming itself), which it may amend or withdraw (`inactive`) or delete, never
   * another Consent: no practitioner sets a Consent active, whatever else it is permitted.
   */
  function consentWrite(
    actor: Actor,
    letter: AccessLetter,
    resource: { resourceType: string; id?: unknown },
    compartment: string | null,
  ): boolean {
    if (actor.role === "system") return true;
    const consent = resource as Record<string, unknown>;
    if (actor.role === "patient") {
      if (compartment !== null && compartment === ownCompartment(actor)) return true;
      const view = viewOf(actor);
      return consent.status !== "active" && view !== undefined && view.decide(resource, compartment, "correct");
    }
    if (actor.fhirUser === undefined) return false;
    if (letter === "c") return isAccessRequest(consent, actor.fhirUser);
    const status = consent.status;
    return (status === "proposed" || (letter === "u" && status === "inactive")) && namesOnly(consent, actor.fhirUser);
  }
}

/** Callers whose views are kept between requests (least recently built dropped first). */
const MAX_SHARED_VIEWS = 1000;

/** Whom consent binds (consent-spec.md, "Who is bound"). */
function bindsActor(actor: Actor, clients: "*" | readonly string[]): boolean {
  switch (actor.role) {
    case "practitioner":
    case "patient":
      return true;
    case "system":
      return clients === "*" || (actor.clientId !== undefined && clients.includes(actor.clientId));
    default:
      return false;
  }
}

/** A patient user's own compartment. */
function ownCompartment(actor: Actor): string | undefined {
  if (actor.role !== "patient") return undefined;
  if (actor.patient !== undefined) return `Patient/${actor.patient}`;
  return actor.fhirUser?.startsWith("Patient/") ? actor.fhirUser : undefined;
}

/** No view prepared: nothing of any compartment but the caller's own. */
function failClosed(actor: Actor): PolicyExpr {
  const own = ownCompartment(actor);
  return or({ kind: "noCompartment" }, own === undefined ? FALSE : { kind: "compartmentIn", compartments: [own] });
}

/** The references each named resource holds now (a resource not found holds none). */
async function lookUp(
  named: readonly string[],
  referencesOf: ConsentAccessOptions["referencesOf"],
): Promise<Map<string, readonly string[]>> {
  const out = new Map<string, readonly string[]>();
  if (referencesOf === undefined || named.length === 0) return out;
  const found = await Promise.all(named.map((ref) => referencesOf(ref)));
  named.forEach((ref, i) => out.set(ref, found[i] ?? []));
  return out;
}

/**
 * The consents that count on chain: those of patients without a wallet, and those the chain
 * honours for patients with one; `unhonoured` names the others (a view is rebuilt when it changes).
 */
function chainHonoured(
  consents: readonly Record<string, unknown>[],
  wallet: WalletConsentCheck | undefined,
  at: Date,
): { consents: readonly Record<string, unknown>[]; unhonoured: string } {
  if (wallet === undefined) return { consents, unhonoured: "" };
  const kept: Record<string, unknown>[] = [];
  const dropped: string[] = [];
  for (const c of consents) {
    const patient = (c.patient as { reference?: unknown } | undefined)?.reference;
    const address = typeof patient === "string" ? wallet.walletOf(patient) : undefined;
    if (address === undefined || wallet.honoured(c, address, at)) kept.push(c);
    else dropped.push(String(c.id));
  }
  return { consents: kept, unhonoured: dropped.join(",") };
}
