/**
 * The few R4 shapes the engine builds or reads. @types/fhir in this project is the
 * STU3 edition (3.0.x), so these are declared here, following the R4 spec.
 * @see https://hl7.org/fhir/R4/resourcelist.html
 */

/** Any resource: only the elements every resource shares are typed. */
export interface Resource {
  resourceType: string;
  id?: string;
  meta?: Meta;
  [element: string]: unknown;
}

/** @see https://hl7.org/fhir/R4/resource.html#Meta */
export interface Meta {
  versionId?: string;
  lastUpdated?: string;
  source?: string;
  profile?: string[];
  security?: Coding[];
  tag?: Coding[];
  [element: string]: unknown;
}

export interface Coding {
  system?: string;
  version?: string;
  code?: string;
  display?: string;
}

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

export interface Reference {
  reference?: string;
  type?: string;
  display?: string;
}

/** @see https://hl7.org/fhir/R4/operationoutcome.html */
export interface OperationOutcome {
  resourceType: "OperationOutcome";
  id?: string;
  issue: OperationOutcomeIssue[];
}

export interface OperationOutcomeIssue {
  severity: "fatal" | "error" | "warning" | "information";
  /** http://hl7.org/fhir/issue-type */
  code: string;
  details?: CodeableConcept;
  diagnostics?: string;
  expression?: string[];
}

/** @see https://hl7.org/fhir/R4/capabilitystatement.html */
export interface CapabilityStatement {
  resourceType: "CapabilityStatement";
  status: "draft" | "active" | "retired" | "unknown";
  date: string;
  kind: "instance" | "capability" | "requirements";
  software?: { name: string; version?: string; releaseDate?: string };
  implementation?: { description: string; url?: string };
  fhirVersion: string;
  format: string[];
  patchFormat?: string[];
  rest?: CapabilityStatementRest[];
  [element: string]: unknown;
}

export interface CapabilityStatementRest {
  mode: "server" | "client";
  documentation?: string;
  security?: CapabilityStatementSecurity;
  resource?: CapabilityStatementResource[];
  interaction?: { code: string; documentation?: string }[];
  searchParam?: CapabilityStatementSearchParam[];
  operation?: CapabilityStatementOperation[];
}

export interface CapabilityStatementSecurity {
  cors?: boolean;
  service?: CodeableConcept[];
  description?: string;
  extension?: unknown[];
}

export interface CapabilityStatementResource {
  type: string;
  profile?: string;
  interaction?: { code: string; documentation?: string }[];
  versioning?: "no-version" | "versioned" | "versioned-update";
  readHistory?: boolean;
  updateCreate?: boolean;
  conditionalCreate?: boolean;
  conditionalRead?: "not-supported" | "modified-since" | "not-match" | "full-support";
  conditionalUpdate?: boolean;
  conditionalDelete?: "not-supported" | "single" | "multiple";
  referencePolicy?: ReferenceHandlingPolicy[];
  searchInclude?: string[];
  searchRevInclude?: string[];
  searchParam?: CapabilityStatementSearchParam[];
  operation?: CapabilityStatementOperation[];
}

/** @see https://hl7.org/fhir/R4/valueset-reference-handling-policy.html */
export type ReferenceHandlingPolicy = "literal" | "logical" | "resolves" | "enforced" | "local";

export interface CapabilityStatementSearchParam {
  name: string;
  definition?: string;
  type: string;
  documentation?: string;
}

export interface CapabilityStatementOperation {
  name: string;
  definition: string;
  documentation?: string;
}
