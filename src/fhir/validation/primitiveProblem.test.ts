import { describe, expect, it } from "vitest";
import { primitiveProblem } from "./primitiveProblem.ts";
import type { CheckedPrimitive } from "./primitiveProblem.ts";

const valid = (type: CheckedPrimitive, value: unknown, text?: string) =>
  expect(primitiveProblem(type, value, text), `${type} ${String(text ?? value)}`).toBeUndefined();
const invalid = (type: CheckedPrimitive, value: unknown, text?: string) =>
  expect(primitiveProblem(type, value, text), `${type} ${String(text ?? value)}`).toBeTypeOf("string");

describe("primitiveProblem", () => {
  it("integer: whole, 32-bit signed, written without fraction or exponent", () => {
    for (const v of [0, -0, 1, -1, 2147483647, -2147483648]) valid("integer", v);
    for (const v of [1.5, -0.1, 2147483648, -2147483649, 1e20, Infinity, NaN]) invalid("integer", v);
    invalid("integer", 1, "1.0");
    invalid("integer", 100, "1e2");
    valid("integer", 0, "-0");
  });

  it("positiveInt ≥ 1 and unsignedInt ≥ 0, both ≤ 2147483647", () => {
    for (const v of [1, 2147483647]) valid("positiveInt", v);
    for (const v of [0, -1, 2147483648, 1.5]) invalid("positiveInt", v);
    for (const v of [0, 1, 2147483647]) valid("unsignedInt", v);
    for (const v of [-1, 2147483648, 0.5]) invalid("unsignedInt", v);
  });

  it("decimal: a finite double that is not a non-zero text rounded to 0", () => {
    for (const v of [0, -0, 1.5, 1e300, -1.7976931348623157e308, 5e-324]) valid("decimal", v);
    valid("decimal", 0, "0.000");
    valid("decimal", 0, "0e5");
    valid("decimal", 105, "105.00");
    invalid("decimal", Infinity, "1e400");
    invalid("decimal", -Infinity, "-1e400");
    invalid("decimal", 0, "1e-400");
    invalid("decimal", 0, "-0.0001e-400");
  });

  it("date, dateTime, instant: the day exists in its month, leap years included", () => {
    for (const v of ["2024-02-29", "2000-02-29", "2023-01-31", "2023-04-30", "2023", "2023-02"]) valid("date", v);
    for (const v of ["2023-02-29", "1900-02-29", "2023-02-30", "2023-04-31", "2023-06-31", "2023-09-31", "2023-11-31"])
      invalid("date", v);
    valid("dateTime", "2024-02-29T23:59:59.999+14:00");
    invalid("dateTime", "2023-02-30T10:00:00Z");
    valid("instant", "2023-12-31T00:00:00Z");
    invalid("instant", "2023-02-29T00:00:00Z");
    // Malformed text and days above 31 are the schema regex's to report, once.
    valid("date", "2023-13-45");
    valid("date", "not a date");
  });

  it("xhtml: not empty and no control characters but tab, LF and CR", () => {
    invalid("xhtml", "");
    invalid("xhtml", "<div>a\u0000</div>");
    invalid("xhtml", "<div>\u001f</div>");
    valid("xhtml", "<div>\ta\r\nb</div>");
  });

  it("nonEmpty: '' is not a value", () => {
    invalid("nonEmpty", "");
    valid("nonEmpty", "x");
  });

  it("leaves values of the wrong JSON type to the schema's type check", () => {
    valid("integer", "1.5");
    valid("decimal", "x");
    valid("date", 20230230);
  });
});
