import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { _, Ajv } from "ajv";
import type { ErrorObject, KeywordCxt, ValidateFunction } from "ajv";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { ErrorIssue } from "../../errors/FhirLedgerError.ts";
import { loadR4Schema } from "../definitions/loadR4Schema.ts";
import { isResourceType, resourceTypes } from "../definitions/resourceTypes.ts";
import { numberText } from "../../json/preciseJson.ts";
import { addJsonRules } from "./addJsonRules.ts";
import { invariantProblem } from "./invariantProblem.ts";
import type { LocalInvariant } from "./invariantProblem.ts";
import { localReferenceProblems } from "./localReferenceProblems.ts";
import type { RequiredPrimitives } from "./deriveRequiredPrimitives.ts";
import { patchR4Schema } from "./patchR4Schema.ts";
import { primitiveProblem } from "./primitiveProblem.ts";
import type { CheckedPrimitive } from "./primitiveProblem.ts";
import { controlCharacterIssue, toIssue } from "./toIssues.ts";
import { ID_PATTERN } from "../ids.ts";
import { assertConsentEnforceable } from "../../consent/assertConsentEnforceable.ts";

/** Validates resources against the official R4 JSON schema and R4's mandatory elements. */
export interface FhirValidator {
  /**
   * Throws FhirLedgerError "invalid" (with issues whose expressions name the elements)
   * unless `resource` is a valid R4 resource, of `expectedType` when given.
   */
  validate(resource: unknown, options?: ValidateOptions): void;
  /** Compiles the validators of `types` (default: every resource type) ahead of the first request. */
  warmUp(types?: Iterable<string>): void;
}

export interface ValidateOptions {
  /** The type the URL names, e.g. "Patient" for PUT /Patient/1. */
  expectedType?: string;
}

/** At most this many issues are reported: the first few say what to fix, more is noise. */
export const MAX_ISSUES = 20;

const SCHEMA_ID = "http://hl7.org/fhir/json-schema/4.0";

/**
 * Creates a validator over the R4 JSON schema (plus the mandatory elements the schema can't
 * require), compiling one resource type at a time on first use and caching it: creation costs
 * ~0.2 s (parsing the schema), the first type ~0.2 s (the shared data types), each further
 * type 15-70 ms; compiling the whole schema up front took ~2.2 s on the same machine.
 *
 * The schema's `ResourceList` (contained, Bundle.entry.resource, Parameters.parameter.resource)
 * is a oneOf over all 146 resources: compiling it drags in every type, and a bad nested
 * resource yields one error per branch. It is replaced by a keyword that validates the nested
 * resource with the validator of its own resourceType, so errors come from that branch only.
 *
 * The rules of R4's JSON format the schema leaves out (whole 32-bit integers, finite decimals,
 * real calendar dates, no empty arrays, objects or uris) are keywords in the same pass (see
 * addJsonRules): about 0.4 µs more per Synthea resource (bench/validate.bench.ts).
 *
 * The universal invariants too (not the FHIRPath of every StructureDefinition: too slow for
 * bulk import): per-1 (Period) and obs-6 (Observation) as keywords on their types; dom-2,
 * dom-3 and ref-1 (contained resources, "#" references) in a walk of the resource that runs
 * only when the schema pass met a contained resource or a "#id" reference (see
 * localReferenceProblems): about 0.35 µs more per Synthea resource (4.8 → 5.1 µs).
 */
export function createValidator(): FhirValidator {
  const schema = loadR4Schema();
  const require = createRequire(import.meta.url);
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  ajv.addMetaSchema(require("ajv/dist/refs/json-schema-draft-06.json") as object);
  ajv.addKeyword({ keyword: "fhirResource", schemaType: "boolean", errors: true, validate: validateNested });
  ajv.addKeyword({ keyword: "fhirRequired", schemaType: "array", errors: true, validate: validateRequired });
  ajv.addKeyword({ keyword: "fhirPrimitive", schemaType: "string", errors: true, compile: compilePrimitiveCheck });
  // Code keywords: the generated code calls a plain function, sparing the context object ajv
  // builds for each call of a `validate` keyword (Reference and Period are everywhere).
  ajv.addKeyword({
    keyword: "fhirInvariant",
    schemaType: "string",
    error: {
      message: ({ params }) => _`${params.problem}.diagnostics`,
      params: ({ params }) => _`{key: ${params.key}, child: ${params.problem}.child}`,
    },
    code(cxt: KeywordCxt) {
      const key = cxt.schema as LocalInvariant;
      const check = cxt.gen.scopeValue("keyword", { ref: (data: unknown) => invariantProblem(key, data) });
      const problem = cxt.gen.const("problem", _`${check}(${cxt.data})`);
      cxt.setParams({ key: _`${key}`, problem });
      cxt.pass(_`${problem} === undefined`);
    },
  });
  // Set during one validate() call: whether the resource needs the walk for dom-2, dom-3 and ref-1.
  let localReferences = false;
  const noteReference = (data: unknown): void => {
    const reference =
      data !== null && typeof data === "object" ? (data as { reference?: unknown }).reference : undefined;
    if (typeof reference === "string" && reference.length > 1 && reference.charCodeAt(0) === 35) localReferences = true;
  };
  ajv.addKeyword({
    keyword: "fhirLocalReference",
    schemaType: "boolean",
    code(cxt: KeywordCxt) {
      cxt.gen.code(_`${cxt.gen.scopeValue("keyword", { ref: noteReference })}(${cxt.data});`);
    },
  });
  // Shallow copies only: the parsed schema is shared with other modules.
  const { id: _draft06Id, oneOf: _allResources, discriminator: _discriminator, ...rest } = schema;
  const definitions = addJsonRules(patchR4Schema(schema.definitions));
  for (const [name, elements] of Object.entries(loadRequiredPrimitives())) {
    if (definitions[name] !== undefined) definitions[name] = { ...definitions[name], fhirRequired: elements };
  }
  definitions.Period = { ...definitions.Period, fhirInvariant: "per-1" };
  definitions.Observation = { ...definitions.Observation, fhirInvariant: "obs-6" };
  definitions.Reference = { ...definitions.Reference, fhirLocalReference: true };
  ajv.addSchema({ ...rest, $id: SCHEMA_ID, definitions: { ...definitions, ResourceList: { fhirResource: true } } });

  const compiled = new Map<string, ValidateFunction>();
  function validatorFor(type: string): ValidateFunction {
    let fn = compiled.get(type);
    if (fn === undefined) {
      fn = ajv.getSchema(`${SCHEMA_ID}#/definitions/${type}`);
      if (fn === undefined) throw new FhirLedgerError("internal", `No schema definition for ${type}`);
      compiled.set(type, fn);
    }
    return fn;
  }

  /** Runs the schema of the resource's own type; returns ajv errors with pointers from `data`. */
  function schemaErrors(data: Record<string, unknown>): ErrorObject[] {
    const fn = validatorFor(data.resourceType as string);
    return fn(data) ? [] : [...(fn.errors ?? [])];
  }

  function validateNested(
    this: unknown,
    _schema: boolean,
    data: unknown,
    _parent: unknown,
    cxt?: { instancePath: string },
  ): boolean {
    const base = cxt?.instancePath ?? "";
    if (base.includes("/contained/")) localReferences = true;
    const nestedErrors: ErrorObject[] = [];
    const problem = resourceTypeProblem(data);
    if (problem !== undefined) {
      nestedErrors.push({
        keyword: "fhirResource",
        instancePath: problem.pointer(base),
        schemaPath: "",
        params: { issueType: problem.type },
        message: problem.message,
      });
    } else {
      for (const e of schemaErrors(data as Record<string, unknown>))
        nestedErrors.push({ ...e, instancePath: base + e.instancePath });
    }
    (validateNested as { errors?: ErrorObject[] }).errors = nestedErrors;
    return nestedErrors.length === 0;
  }

  return {
    validate(resource, options = {}) {
      const problem = resourceTypeProblem(resource);
      if (problem !== undefined) {
        throw invalid(problem.message, [
          { type: problem.type, severity: "error", diagnostics: problem.message, expression: ["resourceType"] },
        ]);
      }
      const data = resource as Record<string, unknown>;
      const type = data.resourceType as string;
      if (options.expectedType !== undefined && type !== options.expectedType) {
        const message = `Expected a ${options.expectedType} but the body is a ${type}`;
        throw invalid(message, [
          { type: "invalid", severity: "error", diagnostics: message, expression: ["resourceType"] },
        ]);
      }
      const issues: ErrorIssue[] = [];
      // The schema checks the R4 id pattern too; this one also refuses "." and ".." (see ids.ts).
      if (data.id !== undefined && (typeof data.id !== "string" || !ID_PATTERN.test(data.id))) {
        const dots = data.id === "." || data.id === "..";
        issues.push({
          type: "value",
          severity: "error",
          diagnostics: dots
            ? "id may not be '.' or '..': URL parsers remove them as path segments, so the resource could not be addressed"
            : "id must be 1-64 characters of A-Z, a-z, 0-9, '-' and '.'",
          expression: [`${type}.id`],
        });
      }
      let errors: ErrorObject[];
      let invariants: ErrorIssue[] = [];
      localReferences = false;
      try {
        errors = schemaErrors(data);
        if (localReferences) invariants = localReferenceProblems(data, type);
      } catch (error) {
        // Extensions nest without limit; a hostile body can exhaust the stack.
        if (error instanceof RangeError)
          throw invalid("The resource is nested too deeply", [
            { type: "too-costly", severity: "error", diagnostics: "The resource is nested too deeply" },
          ]);
        throw error;
      }
      for (const e of errors) {
        if (issues.length > 0 && e.instancePath === "/id") continue; // already reported above
        issues.push((e.keyword === "pattern" ? controlCharacterIssue(type, e, data) : undefined) ?? toIssue(type, e));
      }
      issues.push(...invariants);
      if (issues.length > 0) {
        const unique = dedupe(issues);
        throw invalid(`${type} is not valid: ${unique.length} issue(s)`, unique.slice(0, MAX_ISSUES));
      }
      if (type === "Consent") assertConsentEnforceable(data);
    },
    warmUp(types = resourceTypes()) {
      for (const type of types) validatorFor(type);
    },
  };
}

/** Checks the mandatory primitives and choices the schema can't require (see deriveRequiredPrimitives). */
function validateRequired(
  elements: string[],
  data: unknown,
  _parent: unknown,
  cxt?: { instancePath: string },
): boolean {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return true; // the schema's type check reports it
  const present = Object.keys(data);
  const errors: ErrorObject[] = [];
  for (const element of elements) {
    const found = element.endsWith("[x]")
      ? present.some(isChoiceOf(element.slice(0, -3)))
      : element in data || `_${element}` in data;
    if (!found) {
      errors.push({
        keyword: "required",
        instancePath: cxt?.instancePath ?? "",
        schemaPath: "",
        params: { missingProperty: element },
        message: `must have ${element}`,
      });
    }
  }
  (validateRequired as { errors?: ErrorObject[] }).errors = errors;
  return errors.length === 0;
}

/** ajv's DataValidateFunction (not exported by ajv). */
interface PrimitiveCheck {
  (data: unknown, cxt?: { instancePath: string; parentData: unknown; parentDataProperty: string | number }): boolean;
  errors?: Partial<ErrorObject>[];
}

/** The check of one primitive type (see primitiveProblem); a number's source text comes from parseJson. */
function compilePrimitiveCheck(type: CheckedPrimitive): PrimitiveCheck {
  const check: PrimitiveCheck = (data, cxt) => {
    const text =
      typeof data === "number" && cxt !== undefined && typeof cxt.parentData === "object"
        ? numberText(cxt.parentData as object, String(cxt.parentDataProperty), data)
        : undefined;
    const message = primitiveProblem(type, data, text);
    if (message === undefined) return true;
    check.errors = [
      { keyword: "fhirPrimitive", instancePath: cxt?.instancePath ?? "", schemaPath: "", params: { type }, message },
    ];
    return false;
  };
  return check;
}

/** `valueQuantity` and `_valueString` are choices of `value[x]`; `valueSet` is not (lower case after the prefix). */
function isChoiceOf(prefix: string): (key: string) => boolean {
  return (key) => {
    const name = key.startsWith("_") ? key.slice(1) : key;
    return name.length > prefix.length && name.startsWith(prefix) && /[A-Z]/.test(name.charAt(prefix.length));
  };
}

function loadRequiredPrimitives(): RequiredPrimitives {
  return JSON.parse(readFileSync(new URL("./requiredPrimitives.json", import.meta.url), "utf8")) as RequiredPrimitives;
}

interface ResourceTypeProblem {
  type: string;
  message: string;
  pointer: (base: string) => string;
}

/** The checks the schema cannot make before a definition is chosen: an object with a known resourceType. */
function resourceTypeProblem(data: unknown): ResourceTypeProblem | undefined {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return { type: "structure", message: "A resource must be a JSON object", pointer: (base) => base };
  }
  const type = (data as Record<string, unknown>).resourceType;
  if (type === undefined) {
    return { type: "required", message: "Missing resourceType", pointer: (base) => `${base}/resourceType` };
  }
  if (!isResourceType(type)) {
    return { type: "value", message: "Unknown resourceType", pointer: (base) => `${base}/resourceType` };
  }
  return undefined;
}

function invalid(message: string, issues: ErrorIssue[]): FhirLedgerError {
  return new FhirLedgerError("invalid", message, { issues });
}

/** allErrors can report one element twice (e.g. type and pattern); one issue per element and kind is enough. */
function dedupe(issues: ErrorIssue[]): ErrorIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.type}|${issue.expression?.join(",")}|${issue.diagnostics}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
