import type { Actor } from "../../auth/Actor.ts";
import type { SearchPolicy } from "../../ports/SearchRequest.ts";
import type { InteractionDescriptor } from "./InteractionHook.ts";

/** A SMART permission letter: create, read, update, delete, search. */
export type AccessLetter = "c" | "r" | "u" | "d" | "s";

/**
 * What the engine asks of authorization on every path, beyond the per-interaction hook: the
 * policy a search runs under (compiled into its query), and whether one stored or written
 * resource is within the caller's grant. Absent (FhirEngineOptions.access): everything is
 * allowed, as before authorization existed. src/policy/smartAccess.ts implements it.
 */
export interface AccessGuard {
  /**
   * Refuses (FhirLedgerError "forbidden") an interaction whose type and letters no scope of the
   * caller's role grants. May be async: it runs before every interaction and bundle entry, so
   * what the other methods need of the caller's current state (its consents) is fetched here.
   */
  check(actor: Actor, interaction: InteractionDescriptor): void | Promise<void>;
  /**
   * The policy a search over `types` ("*": every type) needing `letter` runs under (it covers
   * every type, for what includes, chains and _has reach); undefined when the caller sees every
   * resource of every type. A named type in `types` not granted `letter` is a 403.
   */
  searchPolicy(actor: Actor, types: readonly string[] | "*", letter: AccessLetter): SearchPolicy | undefined;
  /**
   * Whether `letter` is granted on this resource: its type, the compartment the index keeps
   * for it ("Patient/<id>" or null) and any granular constraint, matched on its content.
   */
  permits(
    actor: Actor,
    letter: AccessLetter,
    resource: { resourceType: string; id?: unknown },
    compartment: string | null,
  ): boolean;
  /** Whether `letter` on `type` is granted without confinement or constraint (no per-resource check needed). */
  unrestricted(actor: Actor, type: string, letter: AccessLetter): boolean;
}
