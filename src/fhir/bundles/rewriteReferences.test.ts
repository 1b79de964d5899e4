import { describe, expect, it } from "vitest";
import { parseJson, stringifyJson } from "../../json/preciseJson.ts";
import { rewriteReferences, rewriteReferencesInPlace } from "./rewriteReferences.ts";

describe("rewriteReferences", () => {
  it("maps every reference string, in nested elements and contained resources, on a copy", () => {
    const input = {
      resourceType: "Observation",
      subject: { reference: "urn:uuid:1" },
      contained: [{ resourceType: "Provenance", target: [{ reference: "urn:uuid:1" }] }],
      component: [{ valueString: "urn:uuid:1", extension: [{ url: "x", valueReference: { reference: "urn:uuid:1" } }] }],
      performer: [{ reference: "#local" }],
    };
    const out = rewriteReferences(input, (r) => (r === "urn:uuid:1" ? "Patient/p" : r));
    expect(out.subject.reference).toBe("Patient/p");
    expect(out.contained[0]!.target[0]!.reference).toBe("Patient/p");
    expect(out.component[0]!.extension[0]!.valueReference.reference).toBe("Patient/p");
    expect(out.component[0]!.valueString).toBe("urn:uuid:1");
    expect(out.performer[0]!.reference).toBe("#local");
    expect(input.subject.reference).toBe("urn:uuid:1");
  });

  it("handles deep nesting without overflowing the stack", () => {
    let deep: Record<string, unknown> = { reference: "a" };
    for (let i = 0; i < 5_000; i++) deep = { extension: [deep] };
    expect(() => rewriteReferences(deep, (r) => r.toUpperCase())).not.toThrow();
  });

  it("in place: maps the same references as the copy does, keeps decimal text, and maps idempotently", () => {
    const text = `{"resourceType":"Observation","subject":{"reference":"urn:uuid:1"},"valueQuantity":{"value":105.00},
      "contained":[{"resourceType":"Provenance","target":[{"reference":"urn:uuid:1"}]}],
      "component":[{"valueString":"urn:uuid:1","extension":[{"url":"x","valueReference":{"reference":"urn:uuid:1"}}]}],
      "performer":[{"reference":"#local"}],"__proto__":{"reference":"urn:uuid:1"}}`;
    const map = (r: string) => (r === "urn:uuid:1" ? "Patient/p" : r);
    const copied = rewriteReferences(parseJson(text), map);
    const input = parseJson(text) as Record<string, unknown>;
    const inPlace = rewriteReferencesInPlace(input, map);
    expect(inPlace).toBe(input);
    expect(stringifyJson(inPlace)).toBe(stringifyJson(copied));
    expect(stringifyJson(inPlace)).toContain('"value":105.00');
    expect(stringifyJson(inPlace)).not.toContain("urn:uuid:1\"}");
    expect(stringifyJson(rewriteReferencesInPlace(inPlace, map))).toBe(stringifyJson(copied));
    let deep: Record<string, unknown> = { reference: "a" };
    for (let i = 0; i < 5_000; i++) deep = { extension: [deep] };
    expect(() => rewriteReferencesInPlace(deep, (r) => r.toUpperCase())).not.toThrow();
  });
});
