import type { Actor } from "../../auth/Actor.ts";

/**
 * The FHIR restful interaction codes the engine answers, plus `capabilities` and `operation`.
 * @see https://hl7.org/fhir/R4/valueset-type-restful-interaction.html
 */
export type InteractionCode =
  | "read"
  | "vread"
  | "update"
  | "patch"
  | "delete"
  | "history-instance"
  | "history-type"
  | "history-system"
  | "create"
  | "search-type"
  | "search-system"
  | "capabilities"
  | "transaction"
  | "batch"
  | "operation";

/** Where an interaction applies: the whole server, a resource type, or one resource. */
export type InteractionLevel = "system" | "type" | "instance";

/** What one interaction is about, as the per-interaction hook sees it (before it runs). */
export interface InteractionDescriptor {
  interaction: InteractionCode;
  level: InteractionLevel;
  /** The resource type, below system level. */
  type?: string;
  /** The resource id, at instance level. */
  id?: string;
  /** The version of a vread (or of `_history/[vid]/$verify`). */
  vid?: string;
  /** The operation's code without `$` (`verify`, `everything`), for `operation`. */
  operation?: string;
  /** A conditional create, update, patch or delete (by criteria), or a conditional read. */
  conditional?: boolean;
  /** Whether this is an entry of a batch or transaction Bundle (the Bundle itself is seen first). */
  inBundle: boolean;
}

/**
 * Called once for every interaction, with the caller, before the interaction runs: the seam
 * for authorization, consent and audit. Throwing (a FhirLedgerError "forbidden", say) refuses
 * the interaction; a refused transaction entry fails the transaction, a refused batch entry is
 * answered in that entry's response.
 */
export type InteractionHook = (actor: Actor, interaction: InteractionDescriptor) => void | Promise<void>;

/** The default hook: every interaction is allowed (authorization comes with its own issue). */
export const allowAll: InteractionHook = () => undefined;
