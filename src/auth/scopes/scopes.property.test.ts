import { describe, expect, it } from "vitest";
import { forAll, type Random } from "../../policy/testSupport/randomCases.ts";
import { formatScopes } from "./formatScopes.ts";
import { parseScopes } from "./parseScopes.ts";
import type { ResourceScope } from "./ScopeGrant.ts";

const CONTEXTS = ["patient", "user", "system"] as const;
const TYPES = ["Observation", "Patient", "Condition", "Encounter", "*"];
const UNITS = ["a", "|", ":", "/", " ", "&", "=", "%", "é", "?", "+", "#"];

function value(r: Random): string {
  return Array.from({ length: 1 + r.int(10) }, () => r.pick(UNITS)).join("");
}

function scope(r: Random): ResourceScope {
  const s = {
    context: r.pick(CONTEXTS),
    type: r.pick(TYPES),
    letters: r.subset(["c", "r", "u", "d", "s"], 1).join(""),
  };
  if (s.type === "*" || r.bool()) return s;
  const constraint = Array.from(
    { length: 1 + r.int(3) },
    () => [r.pick(["category", "code", "_id"]), value(r)] as const,
  );
  return { ...s, constraint };
}

describe("scope properties", () => {
  it("parse ∘ format is the identity on grants", async () => {
    await forAll(500, (r) => {
      const resources = Array.from({ length: r.int(8) }, () => scope(r));
      const other = r.subset(["openid", "fhirUser", "launch/patient", "offline_access"]);
      const parsed = parseScopes(formatScopes({ resources, other }));
      expect(parsed.resources).toEqual(resources);
      expect(parsed.other).toEqual(other);
      expect(parsed.malformed).toEqual([]);
    });
  });

  it("v1 and v2 spellings grant the same: .read = .rs, .write = .cud, .* = .cruds", async () => {
    const pairs = [
      ["read", "rs"],
      ["write", "cud"],
      ["*", "cruds"],
    ] as const;
    await forAll(200, (r) => {
      const [c, t, [v1, v2]] = [r.pick(CONTEXTS), r.pick(TYPES), r.pick(pairs)];
      expect(parseScopes(`${c}/${t}.${v1}`).resources).toEqual(parseScopes(`${c}/${t}.${v2}`).resources);
      expect(parseScopes(`${c}/${t}.${v1}`).resources[0]!.letters).toBe(v2);
    });
  });
});
