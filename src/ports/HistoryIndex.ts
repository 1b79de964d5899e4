import type { PolicyExpr, SearchPolicy } from "./SearchRequest.ts";
import type { VersionRow } from "./VersionStore.ts";

/** History and compartment queries over the versions the `VersionStore` holds. */
export interface HistoryIndex {
  /** Versions newest first, one page, keyset-paged on (lastUpdated, rid, versionId). */
  historyPage(query: HistoryQuery): Promise<HistoryPage>;
  /** Current, non-deleted resources of a patient compartment, one page, keyset-paged on rid. */
  compartmentPage(query: CompartmentQuery): Promise<CompartmentPage>;
  /** The compartments of every live Patient, patient by patient, one page, keyset-paged (type-level `$everything`). */
  everyCompartmentPage(query: EveryCompartmentQuery): Promise<CompartmentPage>;
}

export interface HistoryQuery {
  /** Type-level history; absent for system level. */
  type?: string;
  /** Instance history (needs `type`). */
  id?: string;
  /** System level only: restrict to these types. */
  types?: string[];
  /** ISO instant: versions written at or after it (`_since`). */
  since?: string;
  /** ISO instants [from, to]: versions current at some point in it (`_at`). */
  at?: { from: string; to: string };
  count: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  /** Count every matching version over all pages (Bundle.total). */
  countTotal?: boolean;
  /**
   * The caller's access, by type and compartment: a version is returned when some rule admits
   * its type and its own compartment (the version's, not the resource's now). Rule filters (a
   * granular constraint) are not applied here: history has no search rows for past versions,
   * so the caller checks those versions' content itself; likewise the gate's content conditions.
   */
  policy?: SearchPolicy;
}

export interface HistoryPage {
  versions: VersionRow[];
  total: number | null;
  nextCursor: string | null;
}

export interface CompartmentQuery {
  /** "Patient/<id>" */
  compartment: string;
  /** Resources last updated at or after this ISO instant (`_since`). */
  since?: string;
  types?: string[];
  count: number;
  cursor?: string;
  /** Count every match (Bundle.total). */
  countTotal?: boolean;
  /** Also return the shared resources (no patient compartment) the page's members refer to. */
  includeReferenced?: boolean;
  /** The caller's consent (SearchPolicy.gate): only members it admits are paged and counted. */
  gate?: PolicyExpr;
}

/** A CompartmentQuery over the compartments of all patients. */
export type EveryCompartmentQuery = Omit<CompartmentQuery, "compartment">;

export interface CompartmentPage {
  /** Current versions: the Patient first, then the other members in rid order (patient by patient, in patient rid order, for every compartment). */
  versions: VersionRow[];
  /** Current shared resources the page refers to (Practitioner, Organization, Medication, ...). */
  referenced: VersionRow[];
  total: number | null;
  nextCursor: string | null;
}
