import { describe, expect, it } from "vitest";
import { paramFor, paramsFor, type SearchParamDef } from "./searchParameters.ts";
import { compositeForPair, equivalentComposite, isTokenQuantityComposite } from "./tokenQuantityComposites.ts";

const observation = (code: string) => paramFor("Observation", code)!;
const codeValueQuantity = observation("code-value-quantity");
/** `code-value-quantity` with some of its definition changed. */
const variant = (change: Partial<SearchParamDef>, components?: [string, string]): SearchParamDef => ({
  ...codeValueQuantity,
  ...change,
  component: components
    ? codeValueQuantity.component.map((c, i) => ({ ...c, expression: components[i]! }))
    : codeValueQuantity.component,
});

describe("isTokenQuantityComposite", () => {
  it("knows composites of a token then a quantity from their component definitions", () => {
    for (const code of ["code-value-quantity", "combo-code-value-quantity", "component-code-value-quantity"])
      expect(isTokenQuantityComposite(observation(code)), code).toBe(true);
    expect(isTokenQuantityComposite(paramFor("PlanDefinition", "context-type-quantity")!)).toBe(true);
    for (const code of ["code-value-concept", "code-value-date", "code-value-string", "value-quantity", "code"])
      expect(isTokenQuantityComposite(observation(code)), code).toBe(false);
  });
});

describe("compositeForPair", () => {
  it("rewrites Observation code + value-quantity to code-value-quantity, proven from the definitions", () => {
    // value-quantity is (Observation.value as Quantity) | (Observation.value as SampledData); the
    // component is value.as(Quantity): a SampledData value has no `value`, so it never yields a row
    expect(observation("value-quantity").expression).toBe(
      "(Observation.value as Quantity) | (Observation.value as SampledData)",
    );
    expect(compositeForPair("Observation", "code", "value-quantity")?.code).toBe("code-value-quantity");
  });

  it("finds nothing for pairs without a composite on the resource itself", () => {
    expect(compositeForPair("Observation", "component-code", "component-value-quantity")).toBeUndefined(); // focus: each component
    expect(compositeForPair("Observation", "combo-code", "combo-value-quantity")).toBeUndefined(); // focus: the resource and each component
    expect(compositeForPair("Observation", "category", "value-quantity")).toBeUndefined();
    expect(compositeForPair("Observation", "code", "component-value-quantity")).toBeUndefined();
    expect(compositeForPair("Observation", "value-quantity", "code")).toBeUndefined();
    expect(compositeForPair("Observation", "no-such-param", "value-quantity")).toBeUndefined();
    expect(compositeForPair("PlanDefinition", "context-type", "context-quantity")).toBeUndefined(); // focus: useContext
    // no other type has such a pair in R4
    for (const type of ["Condition", "DiagnosticReport", "MedicationRequest", "Procedure"]) {
      for (const t of paramsFor(type).values()) {
        if (t.type !== "token") continue;
        for (const q of paramsFor(type).values())
          if (q.type === "quantity") expect(compositeForPair(type, t.code, q.code)).toBeUndefined();
      }
    }
  });

  it("refuses component expressions that select other values than the parameters", () => {
    const code = observation("code");
    const value = observation("value-quantity");
    const check = (c: SearchParamDef, token = code, quantity = value) =>
      equivalentComposite("Observation", token, quantity, [c])?.code;
    expect(check(codeValueQuantity)).toBe("code-value-quantity");
    expect(check(variant({}, ["code", "value.as(Range)"]))).toBeUndefined();
    expect(check(variant({}, ["code", "component.value.as(Quantity)"]))).toBeUndefined();
    expect(check(variant({}, ["code", "value.as(Quantity) | component.value.as(Quantity)"]))).toBeUndefined();
    expect(check(variant({}, ["code.coding", "value.as(Quantity)"]))).toBeUndefined();
    expect(check(variant({}, ["code.where(coding.exists())", "value.as(Quantity)"]))).toBeUndefined();
    expect(check(variant({ expression: "Observation | Observation.component" }))).toBeUndefined();
    expect(check(variant({ expression: "Observation.component" }))).toBeUndefined();
    // a parameter part that can yield rows the component lacks
    expect(
      check(codeValueQuantity, code, {
        ...value,
        expression: "(Observation.value as Quantity) | (Observation.component.value as Quantity)",
      }),
    ).toBeUndefined();
    expect(
      check(codeValueQuantity, code, {
        ...value,
        expression: "(Observation.value as Quantity) | (Observation.value as Money)",
      }),
    ).toBeUndefined();
    expect(
      check(codeValueQuantity, code, {
        ...value,
        expression: "(Observation.value as Quantity) | (Observation.value as Unknown)",
      }),
    ).toBeUndefined();
    expect(
      check(codeValueQuantity, { ...code, expression: "Observation.code | Observation.component.code" }),
    ).toBeUndefined();
    // and one that can't: a Range has no value of its own either
    expect(
      check(codeValueQuantity, code, {
        ...value,
        expression: "(Observation.value as Quantity) | (Observation.value as Range)",
      }),
    ).toBe("code-value-quantity");
    // components must be these very parameters
    expect(check(codeValueQuantity, { ...code, url: "http://example.org/other-code" })).toBeUndefined();
  });
});
