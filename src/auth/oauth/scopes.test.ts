import { describe, expect, it } from "vitest";
import { describeScope, grantableScopes, isSubset, parseResourceScope, splitScopes } from "./scopes.ts";

describe("SMART scopes", () => {
  it("reads v1 and v2 resource scopes, with a granular constraint", () => {
    expect(parseResourceScope("patient/Observation.read")).toEqual({
      context: "patient",
      type: "Observation",
      letters: "rs",
      query: "",
    });
    expect(parseResourceScope("user/*.cruds")).toMatchObject({ type: "*", letters: "cruds" });
    expect(parseResourceScope("patient/Observation.rs?category=laboratory")).toMatchObject({
      query: "category=laboratory",
    });
    for (const bad of ["patient/Observation.sr", "patient/observation.rs", "other/Patient.rs", "patient/Patient."]) {
      expect(parseResourceScope(bad)).toBeUndefined();
    }
  });

  it("grants only what the client may hold, and drops unknown scopes", () => {
    const allowed = ["patient/*.rs", "openid", "fhirUser", "launch/patient"];
    expect(
      grantableScopes(
        [
          "openid",
          "patient/Observation.read",
          "patient/Observation.rs?category=laboratory",
          "patient/Patient.cud",
          "bogus",
        ],
        allowed,
      ),
    ).toEqual(["openid", "patient/Observation.read", "patient/Observation.rs?category=laboratory"]);
    expect(grantableScopes(["user/Observation.rs", "offline_access"], allowed)).toEqual([]);
    expect(grantableScopes(["patient/Observation.rs"], ["patient/Observation.rs?category=vital-signs"])).toEqual([]);
  });

  it("caps how many scopes and how long", () => {
    expect(() => splitScopes(Array.from({ length: 65 }, (_, i) => `s${i}`).join(" "))).toThrow(/at most 64/);
    expect(() => splitScopes(`patient/${"A".repeat(300)}.rs`)).toThrow(/at most 256/);
    expect(splitScopes(" openid  openid fhirUser ")).toEqual(["openid", "fhirUser"]);
  });

  it("subset and plain words", () => {
    expect(isSubset(["openid"], ["openid", "fhirUser"])).toBe(true);
    expect(isSubset(["patient/*.rs"], ["patient/Observation.rs"])).toBe(false);
    expect(describeScope("patient/Observation.rs")).toBe("read, search Observation records of the patient");
  });
});
