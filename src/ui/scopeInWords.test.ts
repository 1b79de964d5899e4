import { describe, expect, it } from "vitest";
import { scopeInWords } from "./scopeInWords.ts";

describe("scopeInWords", () => {
  it("says what v1 and v2 resource scopes let an app do, and whose records", () => {
    expect(scopeInWords("patient/Observation.read")).toBe(
      "Read and search Observation records of the selected patient",
    );
    expect(scopeInWords("patient/Observation.rs")).toBe("Read and search Observation records of the selected patient");
    expect(scopeInWords("user/*.cruds")).toBe("Create, read, update, delete and search all records that you can see");
    expect(scopeInWords("system/Patient.write")).toBe("Create, update and delete Patient records on the whole server");
    expect(scopeInWords("patient/Condition.r")).toBe("Read Condition records of the selected patient");
    expect(scopeInWords("patient/Observation.rs?category=laboratory")).toBe(
      "Read and search Observation records of the selected patient, only where category=laboratory",
    );
  });

  it("explains identity and launch scopes, and shows anything else as it is", () => {
    expect(scopeInWords("openid")).toBe("Know who you are");
    expect(scopeInWords("offline_access")).toMatch(/until you disconnect/);
    expect(scopeInWords("launch/patient")).toBe("Know which patient is selected");
    for (const odd of ["patient/Observation.", "patient/Observation.sr", "admin/x.read", "toString", "constructor"])
      expect(scopeInWords(odd)).toBe(odd);
  });
});
