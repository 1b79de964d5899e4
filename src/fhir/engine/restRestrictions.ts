import type { InteractionCode } from "./InteractionHook.ts";

/** What REST clients may do with a resource type that is not open to every interaction. */
export interface RestRestriction {
  /** The interactions allowed (`operation` for the operations named in `operations`). */
  interactions: ReadonlySet<InteractionCode>;
  /** The operations (codes without `$`) allowed, when `operation` is. */
  operations: ReadonlySet<string>;
  /** Why, said to a client that tried something else. */
  reason: string;
}

/**
 * The resource types whose interactions are limited over REST, and to what. The interaction
 * table (interactions.ts) serves every type alike; the engine entry, the 405 `Allow` answers,
 * the batch/transaction entries and the CapabilityStatement all consult this list, so a type's
 * restriction is written once.
 *
 * AuditEvent is the server's own record of what happened: src/audit/AuditTrail.ts writes it
 * through the records pipeline, never through REST. A client that could create, update, patch
 * or delete one could forge or erase the trail, so over REST it is read-only: read, vread,
 * search, history, and the operations that change nothing ($verify, $validate). The restriction
 * belongs to the REST entry, not to the records layer, which the server's own writes use.
 * @see https://hl7.org/fhir/R4/auditevent.html
 */
const RESTRICTIONS: ReadonlyMap<string, RestRestriction> = new Map([
  [
    "AuditEvent",
    {
      interactions: new Set<InteractionCode>([
        "read",
        "vread",
        "search-type",
        "history-instance",
        "history-type",
        "operation",
      ]),
      operations: new Set(["verify", "validate", "export"]),
      reason: "AuditEvents are written by the server only: over REST they are read-only",
    },
  ],
]);

/** The restriction of `type` over REST, or undefined when every interaction is open to it. */
export function restRestrictionOf(type: string | undefined): RestRestriction | undefined {
  return type === undefined ? undefined : RESTRICTIONS.get(type);
}

/** Whether REST clients may use `interaction` (for `operation`: the operation `operation`) on `type`. */
export function allowsOverRest(type: string | undefined, interaction: InteractionCode, operation?: string): boolean {
  const restriction = restRestrictionOf(type);
  if (restriction === undefined) return true;
  if (!restriction.interactions.has(interaction)) return false;
  return interaction !== "operation" || (operation !== undefined && restriction.operations.has(operation));
}
