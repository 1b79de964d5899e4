import type { ConsentEntry } from "./consentEntry.ts";
import { consentEntryOf } from "./consentEntry.ts";
import type { Membership } from "./membershipOf.ts";
import { membershipOf } from "./membershipOf.ts";

/**
 * What the consent directory holds in memory, kept by reference so one write replaces what
 * came before it: counting Consents by the actors their root provision names (or in the
 * "everyone" list), by patient, and the memberships (PractitionerRole, CareTeam) by member.
 * Synchronous: a commit is applied before the write that made it settles.
 */
export class DirectoryState {
  readonly consents = new Map<string, ConsentEntry>();
  readonly byActor = new Map<string, Set<string>>();
  readonly everyone = new Set<string>();
  readonly byPatient = new Map<string, Set<string>>();
  /** Consents that could not be read (integrity failure at load), with their patient: it is closed. */
  readonly unreadable = new Map<string, string>();
  readonly memberships = new Map<string, Membership>();
  readonly byMember = new Map<string, Set<string>>();

  /** Applies one stored version (or a delete, null) of a Consent, PractitionerRole or CareTeam. */
  apply(type: string, id: string, resource: Record<string, unknown> | null): void {
    const ref = `${type}/${id}`;
    if (type === "Consent") {
      this.#dropConsent(ref);
      this.unreadable.delete(ref);
      const entry = resource === null ? null : consentEntryOf({ ...resource, id });
      if (entry !== null) this.#addConsent(entry);
    } else if (type === "PractitionerRole" || type === "CareTeam") {
      this.#dropMembership(ref);
      const membership = resource === null ? null : membershipOf({ ...resource, resourceType: type, id });
      if (membership !== null) this.#addMembership(membership);
    }
  }

  /** A Consent whose stored version failed its integrity check: its patient's compartment is closed until it is written again. */
  markUnreadable(id: string, patient: string): void {
    const ref = `Consent/${id}`;
    this.#dropConsent(ref);
    this.unreadable.set(ref, patient);
  }

  #addConsent(entry: ConsentEntry): void {
    this.consents.set(entry.ref, entry);
    if (entry.rootActors === null) this.everyone.add(entry.ref);
    else for (const actor of entry.rootActors) add(this.byActor, actor, entry.ref);
    add(this.byPatient, entry.patient, entry.ref);
  }

  #dropConsent(ref: string): void {
    const entry = this.consents.get(ref);
    if (entry === undefined) return;
    this.consents.delete(ref);
    this.everyone.delete(ref);
    for (const actor of entry.rootActors ?? []) remove(this.byActor, actor, ref);
    remove(this.byPatient, entry.patient, ref);
  }

  #addMembership(m: Membership): void {
    this.memberships.set(m.ref, m);
    for (const member of m.members) add(this.byMember, member, m.ref);
  }

  #dropMembership(ref: string): void {
    const m = this.memberships.get(ref);
    if (m === undefined) return;
    this.memberships.delete(ref);
    for (const member of m.members) remove(this.byMember, member, ref);
  }
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(value);
}

function remove(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
