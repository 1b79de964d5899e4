import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { applyFhirPathPatch } from "./applyFhirPathPatch.ts";

type Part = Record<string, unknown>;
const operation = (type: string, ...parts: Part[]) => ({
  name: "operation",
  part: [{ name: "type", valueCode: type }, ...parts],
});
const path = (expression: string): Part => ({ name: "path", valueString: expression });
const name = (element: string): Part => ({ name: "name", valueString: element });
const index = (n: number): Part => ({ name: "index", valueInteger: n });
const value = (v: Part): Part => ({ name: "value", ...v });
const patch = (...ops: unknown[]) => ({ resourceType: "Parameters", parameter: ops });
const apply = (resource: unknown, ...ops: unknown[]) =>
  applyFhirPathPatch(resource, patch(...ops)) as Record<string, unknown>;

/** The error's code and its issues' expressions, or "no error". */
function failure(fn: () => unknown): { code: string; expression?: string[]; diagnostics?: string } | "no error" {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof FhirLedgerError)) throw error;
    return { code: error.code, expression: error.issues[0]?.expression, diagnostics: error.issues[0]?.diagnostics };
  }
  return "no error";
}

const patient = () => ({
  resourceType: "Patient",
  id: "p",
  birthDate: "1920-01-01",
  _birthDate: { extension: [{ url: "http://example.org/precision", valueCode: "year" }] },
  deceasedBoolean: false,
  name: [{ family: "Chalmers", given: ["Peter", "James"], _given: [null, { id: "g2" }] }],
  identifier: [
    { system: "http://example.org/a", value: "1" },
    { system: "http://example.org/b", value: "2" },
  ],
});

describe("applyFhirPathPatch: the examples of the specification", () => {
  it("add: a named element to the element the path selects", () => {
    const out = apply(
      { resourceType: "Patient", id: "p" },
      operation("add", path("Patient"), name("birthDate"), value({ valueDate: "1930-01-01" })),
    );
    expect(out).toEqual({ resourceType: "Patient", id: "p", birthDate: "1930-01-01" });
  });

  it("add: an anonymous element built from parts", () => {
    const out = apply(
      { resourceType: "Patient", id: "p" },
      operation(
        "add",
        path("Patient"),
        name("contact"),
        value({ part: [{ name: "name", valueHumanName: { text: "a name" } }] }),
      ),
    );
    expect(out.contact).toEqual([{ name: { text: "a name" } }]);
  });

  it("insert: into a list at an index", () => {
    const out = apply(
      patient(),
      operation(
        "insert",
        path("Patient.identifier"),
        index(0),
        value({ valueIdentifier: { system: "http://example.org", value: "value 3" } }),
      ),
    );
    expect(out.identifier).toEqual([{ system: "http://example.org", value: "value 3" }, ...patient().identifier]);
  });

  it("delete: the element, with its extensions", () => {
    const out = apply(patient(), operation("delete", path("Patient.birthDate")));
    expect(out).not.toHaveProperty("birthDate");
    expect(out).not.toHaveProperty("_birthDate");
  });

  it("replace: the element's value (and with it the element's extensions)", () => {
    const out = apply(patient(), operation("replace", path("Patient.birthDate"), value({ valueDate: "1930-01-01" })));
    expect(out.birthDate).toBe("1930-01-01");
    expect(out).not.toHaveProperty("_birthDate");
  });

  it("move: within a list, from source to destination", () => {
    const out = apply(
      patient(),
      operation(
        "move",
        path("Patient.identifier"),
        { name: "source", valueInteger: 1 },
        { name: "destination", valueInteger: 0 },
      ),
    );
    expect(out.identifier).toEqual([patient().identifier[1], patient().identifier[0]]);
  });
});

describe("applyFhirPathPatch: each operation in more detail", () => {
  it("applies operations in order to a copy, leaving the input untouched", () => {
    const input = patient();
    const out = apply(
      input,
      operation("replace", path("Patient.name.family"), value({ valueString: "Windsor" })),
      operation("add", path("Patient.name[0]"), name("given"), value({ valueString: "Charles" })),
      operation("delete", path("Patient.name.given[0]")),
      operation("add", path("Patient"), name("gender"), value({ valueCode: "male" })),
    );
    expect(out.name).toEqual([{ family: "Windsor", given: ["James", "Charles"], _given: [{ id: "g2" }, null] }]);
    expect(out.gender).toBe("male");
    expect(input).toEqual(patient());
  });

  it("lets later operations select what earlier ones wrote", () => {
    const out = apply(
      patient(),
      operation(
        "add",
        path("Patient"),
        name("contact"),
        value({ part: [{ name: "name", valueHumanName: { text: "first" } }] }),
      ),
      operation("replace", path("Patient.contact.name.text"), value({ valueString: "second" })),
      operation(
        "add",
        path("Patient.name.given[0]"),
        name("extension"),
        value({ valueExtension: { url: "http://example.org/x", valueBoolean: true } }),
      ),
      operation("replace", path("Patient.name.given[0].extension.value"), value({ valueBoolean: false })),
    );
    expect(out.contact).toEqual([{ name: { text: "second" } }]);
    expect((out.name as { _given: unknown[] }[])[0]!._given[0]).toEqual({
      extension: [{ url: "http://example.org/x", valueBoolean: false }],
    });
  });

  it("add appends to a list (created when absent) and refuses a second value for a single element", () => {
    const out = apply(
      patient(),
      operation("add", path("Patient"), name("telecom"), value({ valueContactPoint: { system: "phone", value: "1" } })),
      operation(
        "add",
        path("Patient"),
        name("telecom"),
        value({ valueContactPoint: { system: "email", value: "a@b" } }),
      ),
    );
    expect(out.telecom).toEqual([
      { system: "phone", value: "1" },
      { system: "email", value: "a@b" },
    ]);
    expect(
      failure(() =>
        apply(patient(), operation("add", path("Patient"), name("birthDate"), value({ valueDate: "1930" }))),
      ),
    ).toMatchObject({ code: "unprocessable" });
  });

  it("add to a choice element takes the type from value[x], and counts any variant as a value", () => {
    const out = apply(
      { resourceType: "Patient", id: "p" },
      operation("add", path("Patient"), name("deceased"), value({ valueDateTime: "2020-01-01" })),
    );
    expect(out).toEqual({ resourceType: "Patient", id: "p", deceasedDateTime: "2020-01-01" });
    expect(
      failure(() =>
        apply(patient(), operation("add", path("Patient"), name("deceased"), value({ valueDateTime: "2020-01-01" }))),
      ),
    ).toMatchObject({ code: "unprocessable" });
    expect(
      failure(() =>
        apply(
          patient(),
          operation("add", path("Patient"), name("deceasedDateTime"), value({ valueDateTime: "2020-01-01" })),
        ),
      ),
    ).toMatchObject({ code: "unprocessable" });
    expect(
      failure(() =>
        apply(
          { resourceType: "Patient", id: "p" },
          operation("add", path("Patient"), name("deceased"), value({ valueString: "yes" })),
        ),
      ),
    ).toMatchObject({ code: "unprocessable" });
  });

  it("add puts an extension on a primitive into its _element, keeping lists of them aligned", () => {
    const out = apply(
      patient(),
      operation(
        "add",
        path("Patient.name.given[0]"),
        name("extension"),
        value({ valueExtension: { url: "http://example.org/x", valueBoolean: true } }),
      ),
    );
    expect(out.name).toEqual([
      {
        family: "Chalmers",
        given: ["Peter", "James"],
        _given: [{ extension: [{ url: "http://example.org/x", valueBoolean: true }] }, { id: "g2" }],
      },
    ]);
    const birth = apply(
      patient(),
      operation("add", path("Patient.birthDate"), name("id"), value({ valueString: "b1" })),
    );
    expect(birth._birthDate).toEqual({ extension: patient()._birthDate.extension, id: "b1" });
  });

  it("add builds nested anonymous elements, repeating parts becoming lists", () => {
    const out = apply(
      { resourceType: "Observation", id: "o", status: "final", code: { text: "bp" } },
      operation(
        "add",
        path("Observation"),
        name("component"),
        value({
          part: [
            { name: "code", valueCodeableConcept: { text: "systolic" } },
            { name: "value", valueQuantity: { value: 120, unit: "mmHg" } },
            { name: "interpretation", valueCodeableConcept: { text: "high" } },
            { name: "interpretation", valueCodeableConcept: { text: "checked" } },
            { name: "referenceRange", part: [{ name: "text", valueString: "normal" }] },
          ],
        }),
      ),
    );
    expect(out.component).toEqual([
      {
        code: { text: "systolic" },
        valueQuantity: { value: 120, unit: "mmHg" },
        interpretation: [{ text: "high" }, { text: "checked" }],
        referenceRange: [{ text: "normal" }],
      },
    ]);
  });

  it("add puts a resource into contained; paths reach into contained resources", () => {
    const org = { resourceType: "Organization", id: "o1", name: "Old" };
    const out = apply(patient(), operation("add", path("Patient"), name("contained"), value({ resource: org })));
    expect(out.contained).toEqual([org]);
    const renamed = apply(
      out,
      operation("replace", path("Patient.contained.ofType(Organization).name"), value({ valueString: "New" })),
    );
    expect(renamed.contained).toEqual([{ ...org, name: "New" }]);
  });

  it("insert creates an absent list at index 0 and keeps a primitive list's _element aligned", () => {
    const out = apply(
      patient(),
      operation("insert", path("Patient.telecom"), index(0), value({ valueContactPoint: { value: "1" } })),
    );
    expect(out.telecom).toEqual([{ value: "1" }]);
    const given = apply(
      patient(),
      operation(
        "insert",
        path("Patient.name[0].given"),
        index(1),
        value({ valueString: "Middle", _valueString: { id: "m" } }),
      ),
    );
    expect(given.name).toEqual([
      { family: "Chalmers", given: ["Peter", "Middle", "James"], _given: [null, { id: "m" }, { id: "g2" }] },
    ]);
  });

  it("delete of what is not there is no error and changes nothing", () => {
    expect(
      apply(
        patient(),
        operation("delete", path("Patient.multipleBirth")),
        operation("delete", path("Patient.identifier.where(system='none')")),
      ),
    ).toEqual(patient());
  });

  it("delete removes one list entry, then empty lists and elements left behind", () => {
    const out = apply(patient(), operation("delete", path("Patient.identifier.where(system='http://example.org/a')")));
    expect(out.identifier).toEqual([patient().identifier[1]]);
    const emptied = apply(
      { resourceType: "Patient", id: "p", name: [{ family: "Only" }], active: true },
      operation("delete", path("Patient.name.family")),
    );
    expect(emptied).toEqual({ resourceType: "Patient", id: "p", active: true });
    const noExtension = apply(patient(), operation("delete", path("Patient.birthDate.extension")));
    expect(noExtension.birthDate).toBe("1920-01-01");
    expect(noExtension).not.toHaveProperty("_birthDate");
    const given = apply(patient(), operation("delete", path("Patient.name.given[1]")));
    expect(given.name).toEqual([{ family: "Chalmers", given: ["Peter"] }]);
  });

  it("replace of a choice element may change its type", () => {
    const out = apply(
      patient(),
      operation("replace", path("Patient.deceased"), value({ valueDateTime: "2020-02-02" })),
    );
    expect(out).not.toHaveProperty("deceasedBoolean");
    expect(out.deceasedDateTime).toBe("2020-02-02");
    expect(
      failure(() => apply(patient(), operation("replace", path("Patient.deceased"), value({ valueString: "no" })))),
    ).toMatchObject({ code: "unprocessable" });
  });

  it("replace reaches an element through where() and first()", () => {
    const out = apply(
      patient(),
      operation(
        "replace",
        path("Patient.identifier.where(system = 'http://example.org/b').value"),
        value({ valueString: "22" }),
      ),
      operation("replace", path("Patient.name.given.first()"), value({ valueString: "Pete" })),
    );
    expect(out.identifier).toEqual([patient().identifier[0], { system: "http://example.org/b", value: "22" }]);
    expect((out.name as { given: string[] }[])[0]!.given).toEqual(["Pete", "James"]);
  });
});

describe("applyFhirPathPatch: a patch that does not fit the resource is a 422", () => {
  const cases: [string, unknown][] = [
    ["replace matching nothing", operation("replace", path("Patient.gender"), value({ valueCode: "male" }))],
    [
      "replace matching several",
      operation("replace", path("Patient.identifier"), value({ valueIdentifier: { value: "x" } })),
    ],
    [
      "replace with a value of another type",
      operation("replace", path("Patient.birthDate"), value({ valueHumanName: { text: "x" } })),
    ],
    ["replace the resource itself", operation("replace", path("Patient"), value({ valueString: "x" }))],
    ["delete matching several", operation("delete", path("Patient.identifier"))],
    ["delete the resource itself", operation("delete", path("Patient"))],
    [
      "add where the path matches nothing",
      operation("add", path("Patient.contact"), name("gender"), value({ valueCode: "male" })),
    ],
    [
      "add where the path matches several",
      operation("add", path("Patient.identifier"), name("use"), value({ valueCode: "official" })),
    ],
    [
      "add an element the type does not have",
      operation("add", path("Patient"), name("colour"), value({ valueString: "blue" })),
    ],
    [
      "add parts where a primitive goes",
      operation("add", path("Patient"), name("gender"), value({ part: [{ name: "text", valueString: "x" }] })),
    ],
    [
      "add a data type to a backbone element",
      operation("add", path("Patient"), name("contact"), value({ valueHumanName: { text: "x" } })),
    ],
    [
      "add a resource where a data type goes",
      operation(
        "add",
        path("Patient"),
        name("managingOrganization"),
        value({ resource: { resourceType: "Organization" } }),
      ),
    ],
    [
      "add a part twice to a single element",
      operation(
        "add",
        path("Patient"),
        name("contact"),
        value({
          part: [
            { name: "gender", valueCode: "male" },
            { name: "gender", valueCode: "female" },
          ],
        }),
      ),
    ],
    [
      "insert beyond the end of the list",
      operation("insert", path("Patient.identifier"), index(3), value({ valueIdentifier: { value: "x" } })),
    ],
    [
      "insert into an element that is not a list",
      operation("insert", path("Patient.birthDate"), index(0), value({ valueDate: "1930" })),
    ],
    [
      "insert under an owner matching several",
      operation("insert", path("Patient.identifier.extension"), index(0), value({ valueExtension: { url: "u" } })),
    ],
    [
      "insert under an owner matching nothing",
      operation("insert", path("Patient.contact.telecom"), index(0), value({ valueContactPoint: { value: "1" } })),
    ],
    [
      "move from beyond the end",
      operation(
        "move",
        path("Patient.identifier"),
        { name: "source", valueInteger: 2 },
        { name: "destination", valueInteger: 0 },
      ),
    ],
    [
      "move within an absent list",
      operation(
        "move",
        path("Patient.telecom"),
        { name: "source", valueInteger: 0 },
        { name: "destination", valueInteger: 0 },
      ),
    ],
  ];
  for (const [title, op] of cases) {
    it(title, () => {
      const result = failure(() => apply(patient(), op));
      expect(result).toMatchObject({ code: "unprocessable" });
      expect((result as { expression: string[] }).expression[0]).toMatch(/^Parameters\.parameter\[0\]/);
    });
  }

  it("applies all or nothing, naming the operation that failed", () => {
    const input = patient();
    const result = failure(() =>
      apply(
        input,
        operation("delete", path("Patient.birthDate")),
        operation("replace", path("Patient.gender"), value({ valueCode: "male" })),
      ),
    );
    expect(result).toMatchObject({ code: "unprocessable", expression: ["Parameters.parameter[1]"] });
    expect(input).toEqual(patient());
  });
});

describe("applyFhirPathPatch: a malformed patch or an unsupported path is a 400", () => {
  const cases: [string, unknown, string][] = [
    ["not a Parameters resource", { resourceType: "Patient" }, "Parameters"],
    ["parameter not an array", { resourceType: "Parameters", parameter: {} }, "Parameters.parameter"],
    ["a parameter not named operation", patch({ name: "op", part: [] }), "Parameters.parameter[0].name"],
    ["an operation without parts", patch({ name: "operation" }), "Parameters.parameter[0].part"],
    ["an unknown type", patch(operation("copy", path("Patient"))), "Parameters.parameter[0].part[0]"],
    [
      "a type that is not a valueCode",
      patch({ name: "operation", part: [{ name: "type", valueString: "delete" }, path("Patient.birthDate")] }),
      "Parameters.parameter[0].part[0]",
    ],
    ["no path", patch(operation("delete")), "Parameters.parameter[0].part"],
    ["an empty path", patch(operation("delete", path(" "))), "Parameters.parameter[0].part[1]"],
    [
      "a part the type does not take",
      patch(operation("delete", path("Patient.birthDate"), name("birthDate"))),
      "Parameters.parameter[0].part[2]",
    ],
    [
      "an unknown part",
      patch(operation("delete", path("Patient.birthDate"), { name: "when", valueString: "now" })),
      "Parameters.parameter[0].part[2]",
    ],
    [
      "a part given twice",
      patch(operation("delete", path("Patient.birthDate"), path("Patient.gender"))),
      "Parameters.parameter[0].part[2]",
    ],
    ["add without a value", patch(operation("add", path("Patient"), name("gender"))), "Parameters.parameter[0].part"],
    [
      "add with a bad name",
      patch(operation("add", path("Patient"), name("__proto__"), value({ valueCode: "x" }))),
      "Parameters.parameter[0].part[2]",
    ],
    [
      "insert with a negative index",
      patch(operation("insert", path("Patient.identifier"), index(-1), value({ valueIdentifier: {} }))),
      "Parameters.parameter[0].part[2]",
    ],
    [
      "insert with a fractional index",
      patch(operation("insert", path("Patient.identifier"), index(0.5), value({ valueIdentifier: {} }))),
      "Parameters.parameter[0].part[2]",
    ],
    [
      "a value with two value[x]",
      patch(operation("replace", path("Patient.gender"), value({ valueCode: "male", valueString: "male" }))),
      "Parameters.parameter[0].part[2]",
    ],
    [
      "a value of no FHIR type",
      patch(operation("replace", path("Patient.gender"), value({ valueBanana: "male" }))),
      "Parameters.parameter[0].part[2]",
    ],
    [
      "a resource type as value[x]",
      patch(operation("replace", path("Patient.gender"), value({ valuePatient: {} }))),
      "Parameters.parameter[0].part[2]",
    ],
    [
      "a value with no content",
      patch(operation("replace", path("Patient.gender"), value({}))),
      "Parameters.parameter[0].part[2]",
    ],
    [
      "a nested part without a name",
      patch(operation("add", path("Patient"), name("contact"), value({ part: [{ valueString: "x" }] }))),
      "Parameters.parameter[0].part[3].part[0]",
    ],
    [
      "FHIRPath with a syntax error",
      patch(operation("delete", path("Patient.name.where("))),
      "Parameters.parameter[0]",
    ],
    [
      "resolve() in a path",
      patch(operation("delete", path("Patient.managingOrganization.resolve().name"))),
      "Parameters.parameter[0]",
    ],
    [
      "a regular expression in a path",
      patch(operation("delete", path("Patient.name.where(family.matches('(a+)+$'))"))),
      "Parameters.parameter[0]",
    ],
    ["a %variable in a path", patch(operation("delete", path("%resource.birthDate"))), "Parameters.parameter[0]"],
    [
      "a path selecting a computed value",
      patch(operation("replace", path("Patient.name.family + 'x'"), value({ valueString: "y" }))),
      "Parameters.parameter[0]",
    ],
    [
      "an insert path not ending in a list name",
      patch(operation("insert", path("Patient.identifier.first()"), index(0), value({ valueIdentifier: {} }))),
      "Parameters.parameter[0]",
    ],
  ];
  for (const [title, body, expression] of cases) {
    it(title, () => {
      expect(failure(() => applyFhirPathPatch(patient(), body))).toMatchObject({
        code: "invalid",
        expression: [expression],
      });
    });
  }

  it("a path that breaks fhirpath.js's parser (Patient..name) is refused as invalid FHIRPath, without the parser's internals", () => {
    for (const expression of ["Patient..name", "Patient.(name)", "Patient.name..given"]) {
      const result = failure(() => applyFhirPathPatch(patient(), patch(operation("delete", path(expression)))));
      expect(result, expression).toMatchObject({ code: "invalid", expression: ["Parameters.parameter[0]"] });
      expect((result as { diagnostics: string }).diagnostics).toBe("the path is not valid FHIRPath (syntax error)");
    }
    // the parser's own messages still say where the error is
    expect(
      failure(() => applyFhirPathPatch(patient(), patch(operation("delete", path("Patient.name."))))),
    ).toMatchObject({ diagnostics: expect.stringMatching(/^the path is not valid FHIRPath \(line: 1; column: 13/) });
  });

  it("checks every operation before applying any: a bad path in the last one wins over a misfit in the first", () => {
    const result = failure(() =>
      apply(
        patient(),
        operation("replace", path("Patient.gender"), value({ valueCode: "male" })),
        operation("delete", path("Patient.name.resolve()")),
      ),
    );
    expect(result).toMatchObject({ code: "invalid", expression: ["Parameters.parameter[1]"] });
  });

  it("an empty Parameters is an empty patch", () => {
    expect(applyFhirPathPatch(patient(), { resourceType: "Parameters" })).toEqual(patient());
  });

  it("caps the number of operations, their cost on a large resource, and the nesting of parts", () => {
    const many = Array.from({ length: 1001 }, () => operation("delete", path("Patient.gender")));
    expect(failure(() => apply(patient(), ...many))).toMatchObject({ code: "too-large" });
    // 10,001 objects allow 149 path steps: 37 operations of 4 steps, or one union of 80 steps (not two)
    const large = {
      resourceType: "Patient",
      id: "p",
      identifier: Array.from({ length: 10_000 }, (_, i) => ({ value: String(i) })),
    };
    const deletes = Array.from({ length: 38 }, (_, i) =>
      operation("delete", path(`Patient.identifier.where(value = '${i}')`)),
    );
    expect(failure(() => apply(large, ...deletes))).toMatchObject({
      code: "too-large",
      expression: ["Parameters.parameter"],
    });
    expect((apply(large, ...deletes.slice(0, 5)).identifier as unknown[]).length).toBe(10_000 - 5);
    const union = operation(
      "delete",
      path(Array.from({ length: 20 }, () => "Patient.identifier.where(value = 'none')").join(" | ")),
    );
    expect(failure(() => apply(large, union, union))).toMatchObject({ code: "too-large" });
    let nested: Part = { name: "text", valueString: "x" };
    for (let i = 0; i < 20; i++) nested = { name: "extension", part: [nested] };
    expect(
      failure(() => apply(patient(), operation("add", path("Patient"), name("contact"), value({ part: [nested] })))),
    ).toMatchObject({ code: "invalid" });
  });
});
