import { describe, expect, it } from "vitest";
import { formatScopes } from "./formatScopes.ts";
import { parseScopes } from "./parseScopes.ts";

describe("parseScopes", () => {
  it("reads v1 permissions as their v2 letters", () => {
    const g = parseScopes("patient/Observation.read user/Patient.write system/*.*");
    expect(g.resources).toEqual([
      { context: "patient", type: "Observation", letters: "rs" },
      { context: "user", type: "Patient", letters: "cud" },
      { context: "system", type: "*", letters: "cruds" },
    ]);
    expect(g.malformed).toEqual([]);
  });

  it("reads v2 letters and granular constraints, several per type", () => {
    const g = parseScopes(
      "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory " +
        "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs&status=final",
    );
    expect(g.resources).toEqual([
      {
        context: "patient",
        type: "Observation",
        letters: "rs",
        constraint: [["category", "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"]],
      },
      {
        context: "patient",
        type: "Observation",
        letters: "rs",
        constraint: [
          ["category", "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"],
          ["status", "final"],
        ],
      },
    ]);
  });

  it("recognises the non-resource scopes and lists the rest as malformed", () => {
    const g = parseScopes(
      "openid fhirUser profile launch launch/patient launch/encounter offline_access online_access " +
        "patient/Observation.sr patient/Observation.x patient/Nonsense.rs admin/Patient.rs patient/*.rs?code=1 " +
        "patient/Observation.read?code=1 patient/Observation.rs?=x patient/Observation.rs?code= foo",
    );
    expect(g.other).toEqual([
      "openid",
      "fhirUser",
      "profile",
      "launch",
      "launch/patient",
      "launch/encounter",
      "offline_access",
      "online_access",
    ]);
    expect(g.resources).toEqual([]);
    expect(g.malformed).toEqual([
      "patient/Observation.sr",
      "patient/Observation.x",
      "patient/Nonsense.rs",
      "admin/Patient.rs",
      "patient/*.rs?code=1",
      "patient/Observation.read?code=1",
      "patient/Observation.rs?=x",
      "patient/Observation.rs?code=",
      "foo",
    ]);
  });

  it("memoises: the same string gives the same frozen grant", () => {
    const a = parseScopes("user/Patient.rs openid");
    expect(parseScopes("user/Patient.rs openid")).toBe(a);
    expect(Object.isFrozen(a.resources[0])).toBe(true);
  });

  it("caps the string at 4096 characters", () => {
    const long = `openid ${"x".repeat(4090)}`;
    expect(long.length).toBe(4097);
    expect(() => parseScopes(long)).toThrow(/at most 4096 characters/);
    expect(parseScopes(long.slice(0, 4096)).malformed).toHaveLength(1);
  });

  it("caps the string at 100 scopes", () => {
    const many = Array.from({ length: 101 }, () => "openid").join(" ");
    expect(() => parseScopes(many)).toThrow(/at most 100 scopes/);
    expect(parseScopes(Array.from({ length: 100 }, () => "openid").join(" ")).other).toHaveLength(100);
  });

  it("caps a constraint at 10 parameters", () => {
    const params = (n: number) => Array.from({ length: n }, (_, i) => `code=${i}`).join("&");
    expect(() => parseScopes(`patient/Observation.rs?${params(11)}`)).toThrow(/at most 10 parameters/);
    expect(parseScopes(`patient/Observation.rs?${params(10)}`).resources[0]!.constraint).toHaveLength(10);
  });

  it("formats back to v2 form", () => {
    const g = parseScopes("patient/Observation.read user/Patient.rs?identifier=a%20b|c openid bogus");
    expect(formatScopes(g)).toBe("patient/Observation.rs user/Patient.rs?identifier=a%20b|c openid");
  });
});
