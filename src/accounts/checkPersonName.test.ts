import { describe, expect, it } from "vitest";
import { checkBirthDate, checkPersonName } from "./checkPersonName.ts";

describe("names and birth dates of a registering patient", () => {
  it("takes names of up to 100 characters in any script, and refuses longer, empty or with control characters", () => {
    expect(checkPersonName("  Zoë  ", "given")).toBe("Zoë");
    expect(checkPersonName("李".repeat(100), "family")).toBe("李".repeat(100));
    expect(() => checkPersonName("李".repeat(101), "family")).toThrow("Family name must be at most 100 characters.");
    expect(() => checkPersonName("   ", "given")).toThrow("Given name is required.");
    expect(() => checkPersonName("Ann\u0000", "given")).toThrow(/can't be part of a name/);
    expect(() => checkPersonName("Ann\u202eLee", "given")).toThrow(/can't be part of a name/);
  });

  it("takes an empty birth date or a real past day", () => {
    const today = new Date("2026-12-06T12:00:00Z");
    expect(checkBirthDate("", today)).toBeUndefined();
    expect(checkBirthDate("2000-02-29", today)).toBe("2000-02-29");
    expect(checkBirthDate("2026-12-06", today)).toBe("2026-12-06");
    for (const bad of ["1999-02-29", "2000-13-01", "20000-01-01", "1980-4-23", "1850-01-01"])
      expect(() => checkBirthDate(bad, today), bad).toThrow(/Birth date must be a date/);
    expect(() => checkBirthDate("2026-12-07", today)).toThrow(/can't be in the future/);
  });
});
