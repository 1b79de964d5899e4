import type { ErrorObject } from "ajv";
import type { ErrorIssue } from "../../errors/FhirLedgerError.ts";

/**
 * Turns an ajv JSON pointer such as `/name/0/given/0` into the FHIRPath-like
 * `Patient.name[0].given[0]` that OperationOutcome.issue.expression expects.
 */
export function pointerToExpression(resourceType: string, pointer: string, child?: string): string {
  let path = resourceType;
  if (pointer !== "") {
    for (const raw of pointer.slice(1).split("/")) {
      const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      path += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`;
    }
  }
  return child === undefined ? path : `${path}.${child}`;
}

/** Maps one ajv error to an issue; the issue type follows http://hl7.org/fhir/issue-type. */
export function toIssue(resourceType: string, error: ErrorObject): ErrorIssue {
  const at = (child?: string) => [pointerToExpression(resourceType, error.instancePath, child)];
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required": {
      const name = String(params.missingProperty);
      return {
        type: "required",
        severity: "error",
        diagnostics: `Missing required element '${name}'`,
        expression: at(name),
      };
    }
    case "additionalProperties": {
      const name = String(params.additionalProperty);
      return { type: "structure", severity: "error", diagnostics: `Unknown element '${name}'`, expression: at(name) };
    }
    case "type":
      return {
        type: "structure",
        severity: "error",
        diagnostics: `Expected ${describeType(params.type)}`,
        expression: at(),
      };
    case "enum":
      return {
        type: "code-invalid",
        severity: "error",
        diagnostics: `Value must be one of: ${(params.allowedValues as unknown[]).join(", ")}`,
        expression: at(),
      };
    case "const":
      return {
        type: "value",
        severity: "error",
        diagnostics: `Value must be '${String(params.allowedValue)}'`,
        expression: at(),
      };
    case "pattern":
      return {
        type: "value",
        severity: "error",
        diagnostics: "Value does not have the format this element requires",
        expression: at(),
      };
    case "fhirPrimitive": // a primitive value the schema lets through (see primitiveProblem)
      return { type: "value", severity: "error", diagnostics: error.message ?? "Invalid value", expression: at() };
    case "minItems": // json.html: arrays SHALL not be empty
      return {
        type: "structure",
        severity: "error",
        diagnostics: "An array must not be empty: leave the element out instead",
        expression: at(),
      };
    case "minProperties": // json.html: an element has a value or children
      return {
        type: "structure",
        severity: "error",
        diagnostics: "An object must not be empty ({}): leave the element out instead",
        expression: at(),
      };
    case "fhirInvariant": // a constraint of the element's type (see invariantProblem); the key leads the message
      return {
        type: "invariant",
        severity: "error",
        diagnostics: error.message ?? "Invariant failed",
        expression: at(typeof params.child === "string" ? params.child : undefined),
      };
    case "fhirResource": // a nested resource without a usable resourceType
      return {
        type: String(params.issueType),
        severity: "error",
        diagnostics: error.message ?? "Invalid resource",
        expression: at(),
      };
    default:
      return {
        type: "structure",
        severity: "error",
        diagnostics: error.message ?? "Invalid element",
        expression: at(),
      };
  }
}

/** C0 controls but tab, LF and CR: datatypes.html#string forbids them in every string-based primitive. */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/**
 * The issue for a `pattern` error whose string holds a forbidden control character (saying so,
 * rather than "not the format"), or undefined; `root` is the data the pointer starts from.
 * @see https://hl7.org/fhir/R4/datatypes.html#string
 */
export function controlCharacterIssue(resourceType: string, error: ErrorObject, root: unknown): ErrorIssue | undefined {
  let value = root;
  if (error.instancePath !== "") {
    for (const raw of error.instancePath.slice(1).split("/")) {
      if (value === null || typeof value !== "object") return undefined;
      value = (value as Record<string, unknown>)[raw.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
  }
  if (typeof value !== "string" || !CONTROL_CHARACTER.test(value)) return undefined;
  return {
    type: "value",
    severity: "error",
    diagnostics: "Strings must not contain control characters (below U+0020) other than tab, LF and CR",
    expression: [pointerToExpression(resourceType, error.instancePath)],
  };
}

function describeType(type: unknown): string {
  // The schema only uses JSON types; FHIR calls a JSON object a complex element.
  const name = Array.isArray(type) ? type.join(" or ") : String(type);
  return name === "object"
    ? "an object (complex element)"
    : name === "array"
      ? "an array (repeating element)"
      : /^[aeiou]/.test(name)
        ? `an ${name}`
        : `a ${name}`;
}
