import type { Actor } from "../../auth/Actor.ts";
import { toHex } from "../../crypto/hex.ts";
import { sha256 } from "../../crypto/sha256.ts";
import { parseSearchRequest } from "../../fhir/search/parseSearchRequest.ts";
import type { Logger } from "../../ports/Logger.ts";
import type { SearchIndex } from "../../ports/SearchIndex.ts";
import type { CommitEvent, RecordRepository } from "../../records/RecordRepository.ts";
import type { AccessorContext, ConsentSource, WalletConsentCheck } from "../ConsentSource.ts";
import type { ConsentEntry } from "./consentEntry.ts";
import { PATIENT_PRIVACY } from "./consentEntry.ts";
import { DirectoryState } from "./DirectoryState.ts";

export type { WalletConsentCheck } from "../ConsentSource.ts";

/** Caps on what one patient, and one accessor, make the directory keep and hand out. */
export interface ConsentDirectoryLimits {
  /**
   * Counting Consents one patient may have (default 200). A patient with more has their
   * compartment closed to everyone consent binds (a deny in place of them all) until they are
   * fewer: dropping some could drop a deny.
   */
  maxConsentsPerPatient?: number;
  /**
   * Consents that only permit handed to one accessor (default 10,000): past it the most
   * recently updated are kept and the rest dropped (access to those patients lapses, never
   * widens). Consents that may deny are always handed out.
   */
  maxPermitsPerActor?: number;
  /**
   * Memberships (PractitionerRoles, their Organizations, CareTeams) one accessor is matched by
   * (default 1,000): roles and organizations first, then care teams. A Consent that may deny and
   * names a membership left out becomes a deny of its whole patient for that accessor.
   */
  maxMembershipsPerActor?: number;
}

export interface ConsentDirectoryOptions {
  index: Pick<SearchIndex, "search">;
  records: Pick<RecordRepository, "load" | "observeCommits">;
  wallet?: WalletConsentCheck;
  now?: () => Date;
  log?: Logger;
  limits?: ConsentDirectoryLimits;
}

/** The types whose commits change what the directory holds. */
const WATCHED = ["Consent", "PractitionerRole", "CareTeam"] as const;
/** Rows asked of the index per page while loading. */
const PAGE = 1000;

/**
 * Every counting Consent (active, patient-privacy) and every PractitionerRole and CareTeam, in
 * memory, followed through the records pipeline's commit observer: a Consent written, revoked
 * or erased is seen by the very next request, whichever token it carries. Implements the
 * ConsentSource the consent decision (consentAccess) asks once per request: the Consents that
 * may decide for the caller (those whose root provision names the caller or one of its
 * memberships, and those naming no actor), the caller's memberships and purpose of use.
 */
export class ConsentDirectory implements ConsentSource {
  readonly #o: ConsentDirectoryOptions;
  readonly #now: () => Date;
  readonly #limits: Required<ConsentDirectoryLimits>;
  #state = new DirectoryState();
  #version = 0;
  /** Commits seen while a reload reads the index: applied to its result before it replaces the state. */
  #buffer: CommitEvent[] | null = null;
  #reloading: Promise<void> | null = null;
  /** An observed commit could not be applied: reload before answering again. */
  #stale = false;
  #stop: () => void = () => {};
  /** Patients with more Consents than the cap, worked out once per version of the state (not once per request). */
  #closed: { version: number; over: readonly string[] } | null = null;

  private constructor(options: ConsentDirectoryOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#limits = {
      maxConsentsPerPatient: options.limits?.maxConsentsPerPatient ?? 200,
      maxPermitsPerActor: options.limits?.maxPermitsPerActor ?? 10_000,
      maxMembershipsPerActor: options.limits?.maxMembershipsPerActor ?? 1_000,
    };
  }

  /** Starts following commits, then loads the current state from the index and records. */
  static async open(options: ConsentDirectoryOptions): Promise<ConsentDirectory> {
    const directory = new ConsentDirectory(options);
    directory.#stop = options.records.observeCommits(WATCHED, (event) => directory.#observe(event));
    try {
      await directory.reload();
    } catch (error) {
      directory.close();
      throw error;
    }
    return directory;
  }

  /** Stops following commits. */
  close(): void {
    this.#stop();
  }

  /** Bumps on every change of what the directory holds (and of the wallet check's answers). */
  version(): number {
    return this.#version + (this.#o.wallet?.version() ?? 0);
  }

  /** Reads everything again from the index (start-up; after a commit could not be applied). */
  reload(): Promise<void> {
    this.#reloading ??= this.#load().finally(() => {
      this.#reloading = null;
    });
    return this.#reloading;
  }

  /** @see ConsentSource */
  async consentsFor(
    actor: Actor,
  ): Promise<{ consents: readonly Record<string, unknown>[]; accessor: AccessorContext; version: number }> {
    if (this.#stale || this.#reloading) await this.reload();
    const state = this.#state;
    const fhirUser = actor.fhirUser;
    const { memberships, dropped } = this.#membershipsOf(state, fhirUser);
    const now = this.#now();
    const nowMs = now.getTime();
    const closed = this.#closedPatients(state, nowMs);
    const candidates = new Set(state.everyone);
    for (const key of fhirUser === undefined ? memberships : [fhirUser, ...memberships])
      for (const ref of state.byActor.get(key) ?? []) candidates.add(ref);

    const wallet = this.#o.wallet;
    const denies: ConsentEntry[] = [];
    let permits: ConsentEntry[] = [];
    for (const ref of candidates) {
      const entry = state.consents.get(ref)!;
      if (closed.has(entry.patient)) continue;
      // a permit certainly out of its period decides nothing; the decision checks periods exactly
      if (!entry.canDeny && (nowMs < entry.from || nowMs > entry.to)) continue;
      if (wallet !== undefined) {
        const address = wallet.walletOf(entry.patient);
        if (address !== undefined && !wallet.honoured(entry.resource, address, now)) continue;
      }
      if (entry.canDeny && dropped.size > 0 && [...entry.actorRefs].some((r) => dropped.has(r))) {
        closed.add(entry.patient);
        continue;
      }
      (entry.canDeny ? denies : permits).push(entry);
    }
    if (permits.length > this.#limits.maxPermitsPerActor) {
      this.#o.log?.warn("consent directory: more permits for one accessor than kept; the oldest are left out", {
        permits: permits.length,
        kept: this.#limits.maxPermitsPerActor,
      });
      permits = permits.sort((a, b) => b.updated - a.updated).slice(0, this.#limits.maxPermitsPerActor);
    }
    const consents: Record<string, unknown>[] = [
      ...denies.filter((e) => !closed.has(e.patient)).map((e) => e.resource),
      ...permits.filter((e) => !closed.has(e.patient)).map((e) => e.resource),
      ...[...closed].map(closingDeny),
    ];
    return {
      consents,
      accessor: {
        ...(fhirUser === undefined ? {} : { fhirUser }),
        memberships,
        purpose: actor.purposeOfUse ?? "TREAT",
      },
      version: this.version(),
    };
  }

  /** The memberships `fhirUser` is matched by, and those left out to meet the cap. */
  #membershipsOf(
    state: DirectoryState,
    fhirUser: string | undefined,
  ): { memberships: string[]; dropped: ReadonlySet<string> } {
    if (fhirUser === undefined) return { memberships: [], dropped: new Set() };
    const roles = new Set<string>();
    const teams = new Set<string>();
    for (const ref of state.byMember.get(fhirUser) ?? []) {
      const m = state.memberships.get(ref)!;
      for (const grant of m.grants) (ref.startsWith("CareTeam/") ? teams : roles).add(grant);
    }
    const all = [...[...roles].sort(), ...[...teams].sort()];
    const max = this.#limits.maxMembershipsPerActor;
    if (all.length <= max) return { memberships: all, dropped: new Set() };
    this.#o.log?.warn("consent directory: more memberships for one accessor than kept", {
      memberships: all.length,
      kept: max,
    });
    return { memberships: all.slice(0, max), dropped: new Set(all.slice(max)) };
  }

  /**
   * Patients whose Consents are replaced by a deny: one unreadable, or more than the cap that
   * have not ended (a Consent whose period is over, a break-glass long past, does not count
   * toward it, so a patient's history never closes the compartment).
   */
  #closedPatients(state: DirectoryState, nowMs: number): Set<string> {
    if (this.#closed?.version !== this.#version) {
      const over: string[] = [];
      for (const [patient, refs] of state.byPatient)
        if (refs.size > this.#limits.maxConsentsPerPatient) over.push(patient);
      this.#closed = { version: this.#version, over };
    }
    const closed = new Set(state.unreadable.values());
    for (const patient of this.#closed.over) {
      let current = 0;
      for (const ref of state.byPatient.get(patient) ?? []) if (!(state.consents.get(ref)!.to < nowMs)) current += 1;
      if (current > this.#limits.maxConsentsPerPatient) closed.add(patient);
    }
    return closed;
  }

  #observe(event: CommitEvent): void {
    try {
      this.#apply(this.#state, event);
      this.#buffer?.push(event);
      this.#version += 1;
    } catch (error) {
      // the write is committed; what it changed is read again before the next answer
      this.#stale = true;
      this.#o.log?.error("consent directory: a commit could not be applied; reloading", {
        error: error instanceof Error ? error.name : "unknown",
      });
    }
  }

  #apply(state: DirectoryState, event: CommitEvent): void {
    if (event.kind === "write") for (const c of event.changes) state.apply(c.type, c.id, c.resource);
    else for (const r of event.resources) state.apply(r.type, r.id, null);
  }

  async #load(): Promise<void> {
    const buffer: CommitEvent[] = [];
    this.#buffer = buffer;
    this.#stale = false;
    try {
      const fresh = new DirectoryState();
      let unreadable = 0;
      for (const [type, query] of [
        ["Consent", "status=active"],
        ["PractitionerRole", ""],
        ["CareTeam", ""],
      ] as const) {
        for await (const row of this.#rows(type, query)) {
          try {
            const stored = await this.#o.records.load(row);
            if (stored.resource !== null) fresh.apply(row.type, row.id, stored.resource);
          } catch {
            unreadable += 1;
            // a Consent that fails its check may be a deny: its patient is closed (fail safe)
            if (type === "Consent" && row.compartment !== null) fresh.markUnreadable(row.id, row.compartment);
          }
        }
      }
      for (const event of buffer) this.#apply(fresh, event);
      this.#state = fresh;
      this.#version += 1;
      if (unreadable > 0)
        this.#o.log?.error("consent directory: stored resources failed their integrity check", { unreadable });
      this.#o.log?.info("consent directory loaded", {
        consents: fresh.consents.size,
        memberships: fresh.memberships.size,
      });
    } catch (error) {
      this.#stale = true;
      throw error;
    } finally {
      this.#buffer = null;
    }
  }

  /** Every current row of `type` matching `query`, page after page. */
  async *#rows(type: string, query: string) {
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams(query);
      params.set("_count", String(PAGE));
      if (cursor !== null) params.set("_cursor", cursor);
      const page = await this.#o.index.search(parseSearchRequest(type, params), { countTotal: false });
      yield* page.matches;
      cursor = page.matches.length > 0 ? page.nextCursor : null;
    } while (cursor !== null);
  }
}

/** The denies this directory made (never stored: no stored Consent is one of these objects). */
const closingDenies = new WeakSet<object>();

/** Whether `consent` is a deny the directory put in place of a closed patient's Consents. */
export function isClosingDeny(consent: object): boolean {
  return closingDenies.has(consent);
}

/**
 * The wallet check for the consent decision (ConsentAccessOptions.wallet) when its Consents come
 * from this directory: the directory's closing denies are honoured (they stand for Consents the
 * directory could not hand out, the wallet's among them; dropped, a closed compartment would
 * open to the default), every other Consent is asked of `wallet`.
 */
export function honouringClosingDenies(wallet: WalletConsentCheck): WalletConsentCheck {
  return {
    walletOf: (patient) => wallet.walletOf(patient),
    honoured: (consent, address, now) => isClosingDeny(consent) || wallet.honoured(consent, address, now),
    version: () => wallet.version(),
  };
}

/** The deny that stands for all of a closed patient's Consents: nobody consent binds reaches the compartment. */
function closingDeny(patient: string): Record<string, unknown> {
  const [system, code] = PATIENT_PRIVACY.split("|");
  const deny = {
    resourceType: "Consent",
    id: `closed-${toHex(sha256(patient)).slice(0, 40)}`,
    status: "active",
    scope: { coding: [{ system, code }] },
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
    patient: { reference: patient },
    provision: { type: "deny" },
  };
  closingDenies.add(deny);
  return deny;
}
