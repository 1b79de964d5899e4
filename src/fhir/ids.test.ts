import { describe, expect, it } from "vitest";
import { loadR4Schema } from "./definitions/loadR4Schema.ts";
import { resourceTypes } from "./definitions/resourceTypes.ts";
import {
  ID_PATTERN,
  ID_SOURCE,
  INVALID_ID_MESSAGE,
  R4_ID_PATTERN,
  RESOURCE_TYPE_NAME_PATTERN,
  RESOURCE_TYPE_NAME_SOURCE,
  isFhirId,
  isResourceTypeName,
} from "./ids.ts";

const VALID_IDS = [
  "a",
  "123",
  "example",
  "f001",
  "a.b-c",
  "-",
  "...",
  ".a",
  "a.",
  "..a",
  "A".repeat(64),
  "0b4d2ac4-1a2c-4d1e-9f3a-7c1d2e3f4a5b",
];
const INVALID_IDS = [
  "",
  "A".repeat(65),
  "a_b",
  "a b",
  "a/b",
  "Patient/1",
  "a#b",
  "a:b",
  "é",
  "1\n",
  "\n1",
  "a\u0000",
  "$everything",
  "_history",
];

describe("FHIR ids", () => {
  it.each(VALID_IDS)("accepts %j", (id) => {
    expect(isFhirId(id)).toBe(true);
    expect(ID_PATTERN.test(id)).toBe(true);
  });

  it.each(INVALID_IDS)("refuses %j", (id) => {
    expect(isFhirId(id)).toBe(false);
  });

  it.each([".", ".."])("refuses %j, which the R4 rule allows: URL parsers remove it as a path segment", (id) => {
    expect(R4_ID_PATTERN.test(id)).toBe(true);
    expect(isFhirId(id)).toBe(false);
    expect(ID_PATTERN.test(id)).toBe(false);
    expect(new RegExp(`^Patient/(${ID_SOURCE})/_history/1$`).test(`Patient/${id}/_history/1`)).toBe(false);
  });

  it("refuses what is not a string", () => {
    for (const value of [undefined, null, 1, ["a"], { id: "a" }]) expect(isFhirId(value)).toBe(false);
  });

  it("agrees with the R4 JSON schema's id pattern, but for '.' and '..'", () => {
    const schemaId = new RegExp(loadR4Schema().definitions.id!.pattern as string);
    for (const id of [...VALID_IDS, ...INVALID_IDS, ".", ".."]) {
      expect(R4_ID_PATTERN.test(id), JSON.stringify(id)).toBe(schemaId.test(id));
      expect(ID_PATTERN.test(id), JSON.stringify(id)).toBe(schemaId.test(id) && id !== "." && id !== "..");
    }
  });

  it("composes into larger patterns", () => {
    const reference = new RegExp(`^(${RESOURCE_TYPE_NAME_SOURCE})/(${ID_SOURCE})$`);
    expect(reference.exec("Patient/p-1.2")?.slice(1)).toEqual(["Patient", "p-1.2"]);
    expect(reference.test("Patient/a/b")).toBe(false);
    expect(reference.test(`Patient/${"1".repeat(65)}`)).toBe(false);
  });

  it("names the rule in the message of a refusal", () => {
    expect(INVALID_ID_MESSAGE).toBe(
      "the id is not a valid FHIR id ([A-Za-z0-9-.]{1,64}; '.' and '..' are refused: URL parsers remove them as path segments)",
    );
  });
});

describe("resource type names", () => {
  it("fit every R4 resource type", () => {
    for (const type of resourceTypes()) expect(isResourceTypeName(type), type).toBe(true);
  });

  it.each(["patient", "", "Patient1", "Patient/1", "Pat-ient", "P".repeat(65), " Patient", "Patient\n"])(
    "refuses %j",
    (name) => {
      expect(isResourceTypeName(name)).toBe(false);
      expect(RESOURCE_TYPE_NAME_PATTERN.test(name)).toBe(false);
    },
  );

  it("is syntax only: a well-formed name need not be an R4 type", () => {
    expect(isResourceTypeName("Resource")).toBe(true);
    expect(resourceTypes().has("Resource")).toBe(false);
    expect(isResourceTypeName(42)).toBe(false);
  });
});
