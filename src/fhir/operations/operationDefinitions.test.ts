import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createValidator } from "../validation/createValidator.ts";
import { OPERATION_DEFINITIONS, OPERATIONS } from "./index.ts";

const dir = new URL("../../../fhir-profiles/", import.meta.url);
const files = readdirSync(dir).filter((f) => /^OperationDefinition-.*\.json$/.test(f));

describe("the OperationDefinitions in fhir-profiles/", () => {
  const validator = createValidator();

  it.each(files)("%s is a valid R4 OperationDefinition named by its file", (file) => {
    const definition = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as { id: string; code: string };
    expect(() => validator.validate(definition, { expectedType: "OperationDefinition" })).not.toThrow();
    expect(file).toBe(`OperationDefinition-${definition.id}.json`);
  });

  it("are the definitions of the operations this server defines, one file each", () => {
    expect(files.length).toBeGreaterThan(0);
    expect([...OPERATION_DEFINITIONS.keys()].map((id) => `OperationDefinition-${id}.json`).sort()).toEqual(
      [...files].sort(),
    );
    for (const op of OPERATIONS) if (op.definition) expect(op.definition.code).toBe(op.code);
  });
});
