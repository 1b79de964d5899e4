import type { SearchParameter } from "./searchParameters.ts";

/**
 * Search parameters this server defines beyond R4's own: those IHE BALP's Audit Consumer
 * searches with that R4 lacks. (R4 has date, agent, entity, patient, type, subtype, action,
 * outcome, source, entity-type and entity-role for AuditEvent; `purpose` is BALP's.)
 * @see https://profiles.ihe.net/ITI/BALP/CapabilityStatement-IHE.BALP.AuditConsumer.html
 */
export const SERVER_SEARCH_PARAMETERS: readonly SearchParameter[] = [
  {
    resourceType: "SearchParameter",
    url: "https://profiles.ihe.net/ITI/BALP/SearchParameter/AuditEvent-purpose",
    code: "purpose",
    base: ["AuditEvent"],
    type: "token",
    expression: "AuditEvent.purposeOfEvent | AuditEvent.agent.purposeOfUse",
  },
];
