import type { AuditEventJson, AuditOutcome, AuditParty } from "./balpEvent.ts";
import { balpEvent } from "./balpEvent.ts";
import { FHIRLEDGER_SUBTYPE, PROFILE, RESTFUL_INTERACTION, TYPE_REST, TYPE_SECURITY_ALERT } from "./codes.ts";

export interface ErasureInput extends AuditParty {
  /** What was (to be) erased, "Patient/<id>". */
  what?: string;
  outcome: AuditOutcome;
  outcomeDesc?: string;
}

/**
 * An erasure (`$erase`): a delete of a patient's whole compartment. The patient is named by
 * reference only: the record survives the erasure (it is kept outside the compartment).
 */
export function erasureEvent(input: ErasureInput): AuditEventJson {
  return balpEvent({
    ...input,
    profiles: [PROFILE.delete],
    type: TYPE_REST,
    subtype: [
      { system: RESTFUL_INTERACTION, code: "operation" },
      { system: FHIRLEDGER_SUBTYPE, code: "erase" },
    ],
    action: "D",
  });
}

export interface IntegrityFailureInput extends AuditParty {
  /** The interaction that met the failure (read, search-type, verify...). */
  interaction: string;
  /** The resource whose stored bytes, hash or anchor did not check, "Type/id". */
  what?: string;
  outcomeDesc?: string;
}

/**
 * An integrity failure: stored content that no longer matches its hash, its log leaf or its
 * anchor (a Security Alert, major failure).
 */
export function integrityFailureEvent(input: IntegrityFailureInput): AuditEventJson {
  return balpEvent({
    ...input,
    profiles: [],
    type: TYPE_SECURITY_ALERT,
    subtype: [
      { system: RESTFUL_INTERACTION, code: input.interaction },
      { system: FHIRLEDGER_SUBTYPE, code: "integrity-failure" },
    ],
    action: "E",
    outcome: "12",
  });
}

/** Any other execute event (an operation, capabilities, a batch), with no BALP profile of its own. */
export function operationEvent(
  input: AuditParty & {
    interaction: string;
    operation?: string;
    what?: string;
    patients?: readonly string[];
    outcome: AuditOutcome;
    outcomeDesc?: string;
    breakGlass?: boolean;
  },
): AuditEventJson {
  return balpEvent({
    ...input,
    profiles: [],
    type: TYPE_REST,
    subtype: [
      { system: RESTFUL_INTERACTION, code: input.interaction },
      ...(input.operation ? [{ system: FHIRLEDGER_SUBTYPE, code: input.operation.slice(0, 64) }] : []),
    ],
    action: "E",
  });
}
