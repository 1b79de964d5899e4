/**
 * The code systems and profiles of IHE Basic Audit Log Patterns (BALP) and the FHIR/DICOM
 * vocabularies they use.
 * @see https://profiles.ihe.net/ITI/BALP/
 */
export interface Coding {
  system: string;
  code: string;
  display?: string;
}

const BALP = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/";

/** BALP profile URLs, by name. */
export const PROFILE = {
  create: `${BALP}IHE.BasicAudit.Create`,
  patientCreate: `${BALP}IHE.BasicAudit.PatientCreate`,
  read: `${BALP}IHE.BasicAudit.Read`,
  patientRead: `${BALP}IHE.BasicAudit.PatientRead`,
  update: `${BALP}IHE.BasicAudit.Update`,
  patientUpdate: `${BALP}IHE.BasicAudit.PatientUpdate`,
  delete: `${BALP}IHE.BasicAudit.Delete`,
  patientDelete: `${BALP}IHE.BasicAudit.PatientDelete`,
  query: `${BALP}IHE.BasicAudit.Query`,
  patientQuery: `${BALP}IHE.BasicAudit.PatientQuery`,
  authzConsent: `${BALP}IHE.BasicAudit.AuthZconsent`,
  oauthTokenUse: `${BALP}IHE.BasicAudit.OAUTHaccessTokenUse.Minimal`,
  getAccessToken: `${BALP}IHE.IUA.71`,
} as const;

export const TYPE_REST: Coding = {
  system: "http://terminology.hl7.org/CodeSystem/audit-event-type",
  code: "rest",
  display: "Restful Operation",
};
export const TYPE_SECURITY_ALERT: Coding = {
  system: "http://dicom.nema.org/resources/ontology/DCM",
  code: "110113",
  display: "Security Alert",
};
export const TYPE_USER_AUTHENTICATION: Coding = {
  system: "http://dicom.nema.org/resources/ontology/DCM",
  code: "110114",
  display: "User Authentication",
};
export const TYPE_EXPORT: Coding = {
  system: "http://dicom.nema.org/resources/ontology/DCM",
  code: "110106",
  display: "Export",
};
export const TYPE_APPLICATION_ACTIVITY: Coding = {
  system: "http://dicom.nema.org/resources/ontology/DCM",
  code: "110100",
  display: "Application Activity",
};

export const RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction";
export const DCM = "http://dicom.nema.org/resources/ontology/DCM";
/** fhirledger's own subtypes (operations, consent changes, break-glass, erasure, integrity). */
export const FHIRLEDGER_SUBTYPE = "urn:fhirledger:audit-subtype";
export const SUBTYPE_AUTHZ_CONSENT: Coding = {
  system: "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType",
  code: "AuthZ-Consent",
  display: "Authorization Decision using Roles and Consent",
};
export const SUBTYPE_ITI71: Coding = { system: "urn:ihe:event-type-code", code: "ITI-71", display: "Get Access Token" };
export const SUBTYPE_LOGIN: Coding = { system: DCM, code: "110122", display: "Login" };
export const SUBTYPE_LOGOUT: Coding = { system: DCM, code: "110123", display: "Logout" };

export const AGENT_USER: Coding = {
  system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
  code: "IRCP",
  display: "information recipient",
};
export const AGENT_CLIENT: Coding = { system: DCM, code: "110153", display: "Source Role ID" };
export const AGENT_SERVER: Coding = { system: DCM, code: "110152", display: "Destination Role ID" };
export const AGENT_AUTH_SERVER: Coding = {
  system: "https://profiles.ihe.net/ITI/BALP/CodeSystem/UserAgentTypes",
  code: "AuthzServer",
  display: "Authorization Server",
};

export const ENTITY_TYPE_PERSON: Coding = {
  system: "http://terminology.hl7.org/CodeSystem/audit-entity-type",
  code: "1",
  display: "Person",
};
export const ENTITY_TYPE_SYSTEM_OBJECT: Coding = {
  system: "http://terminology.hl7.org/CodeSystem/audit-entity-type",
  code: "2",
  display: "System Object",
};
export const ENTITY_TYPE_REQUEST_ID: Coding = {
  system: "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType",
  code: "XrequestId",
  display: "transport specific unique identifier where http X-Request-Id is used",
};
export const ENTITY_ROLE_PATIENT: Coding = {
  system: "http://terminology.hl7.org/CodeSystem/object-role",
  code: "1",
  display: "Patient",
};
export const ENTITY_ROLE_DOMAIN_RESOURCE: Coding = {
  system: "http://terminology.hl7.org/CodeSystem/object-role",
  code: "4",
  display: "Domain Resource",
};
export const ENTITY_ROLE_QUERY: Coding = {
  system: "http://terminology.hl7.org/CodeSystem/object-role",
  code: "24",
  display: "Query",
};
export const ENTITY_ROLE_SECURITY_RESOURCE: Coding = {
  system: "http://terminology.hl7.org/CodeSystem/object-role",
  code: "13",
  display: "Security Resource",
};

export const SOURCE_APPLICATION_SERVER: Coding = {
  system: "http://terminology.hl7.org/CodeSystem/security-source-type",
  code: "4",
  display: "Application Server",
};
export const SOURCE_SECURITY_SERVER: Coding = {
  system: "http://terminology.hl7.org/CodeSystem/security-source-type",
  code: "6",
  display: "Security Server",
};

export const ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
/** Break-the-glass: the security label on every AuditEvent of an access under emergency access. */
export const BREAK_GLASS_LABEL: Coding = { system: ACT_REASON, code: "BTG", display: "break the glass" };
