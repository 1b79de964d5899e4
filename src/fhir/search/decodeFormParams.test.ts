import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { decodeFormParams } from "./decodeFormParams.ts";

describe("decodeFormParams", () => {
  it("decodes like URLSearchParams when the text is well formed", () => {
    for (const text of ["family=m%C3%BCller&given=a+b", "a=%2B%26%3D&a=2&flag", "", "x=%25&&y="]) {
      expect([...decodeFormParams(text, "URL")]).toEqual([...new URLSearchParams(text)]);
    }
  });

  it.each(["family=%ZZ", "family=abc%4", "fam%ily=x", "family=%E0%A4%A", "family=%FF", "a=1&b=%C3", "family=Smith%"])(
    "refuses %s with a 400 that names no value",
    (text) => {
      let error: unknown;
      try {
        decodeFormParams(text, "body");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FhirLedgerError);
      expect((error as FhirLedgerError).code).toBe("invalid");
      expect((error as FhirLedgerError).message).toMatch(/^malformed percent-encoding in the body/);
      expect((error as FhirLedgerError).message).not.toMatch(/ZZ|abc|%4|%E0|%FF|%C3|Smith|fam%ily/);
    },
  );
});
