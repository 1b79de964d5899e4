import { describe, expect, it } from "vitest";
import { parseJson, stringifyJson } from "../../json/preciseJson.ts";
import { rewriteReferences, rewriteReferencesInPlace } from "./rewriteReferences.ts";

describe("rewriteReferences", () => {
  it("maps every reference string, in nested elements and contained resources, on a copy", () => {
    const input = {
      resourceType: "Observation",
      subject: { reference: "urn:uuid:1" },
      contained: [{ resourceType: "Provenance", target: [{ reference: "urn:uuid:1" }] }],
      component: [
        { valueString: "urn:uuid:1", extension: [{ url: "x", valueReference: { reference: "urn:uuid:1" } }] },
      ],
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
    expect(stringifyJson(inPlace)).not.toContain('urn:uuid:1"}');
    expect(stringifyJson(rewriteReferencesInPlace(inPlace, map))).toBe(stringifyJson(copied));
    let deep: Record<string, unknown> = { reference: "a" };
    for (let i = 0; i < 5_000; i++) deep = { extension: [deep] };
    expect(() => rewriteReferencesInPlace(deep, (r) => r.toUpperCase())).not.toThrow();
  });

  it("with links: replaces a fullUrl in uri-typed elements (also in arrays, extensions, contained) and narrative href/src, not in string elements", () => {
    const links = new Map([
      ["urn:uuid:a", "Patient/1"],
      ["http://other.example/fhir/Binary/b", "Binary/2"],
    ]);
    const input = {
      resourceType: "CarePlan",
      text: {
        status: "generated",
        div: '<div xmlns="http://www.w3.org/1999/xhtml"><a href="urn:uuid:a">a</a> <img src = "http://other.example/fhir/Binary/b"/> <a href="urn:uuid:zz">z</a> urn:uuid:a</div>',
      },
      instantiatesUri: ["urn:uuid:a", "urn:uuid:other"],
      identifier: [{ system: "urn:uuid:a", value: "urn:uuid:a" }],
      description: "urn:uuid:a",
      note: [{ text: "urn:uuid:a" }],
      subject: { reference: "urn:uuid:a" },
      extension: [
        {
          url: "x",
          extension: [
            { url: "y", valueUri: "urn:uuid:a" },
            { url: "z", valueString: "urn:uuid:a" },
            { url: "w", valueUrl: "http://other.example/fhir/Binary/b" },
          ],
        },
      ],
      contained: [
        {
          resourceType: "DocumentReference",
          id: "d",
          content: [{ attachment: { url: "http://other.example/fhir/Binary/b", title: "urn:uuid:a" } }],
        },
      ],
      activity: [{ detail: { instantiatesCanonical: ["urn:uuid:a"] } }],
    };
    const out = rewriteReferencesInPlace(structuredClone(input), (r) => links.get(r) ?? r, links);
    expect(out.text.div).toBe(
      '<div xmlns="http://www.w3.org/1999/xhtml"><a href="Patient/1">a</a> <img src = "Binary/2"/> <a href="urn:uuid:zz">z</a> urn:uuid:a</div>',
    );
    expect(out.instantiatesUri).toEqual(["Patient/1", "urn:uuid:other"]);
    expect(out.identifier).toEqual([{ system: "Patient/1", value: "urn:uuid:a" }]);
    expect([out.description, out.note[0]!.text]).toEqual(["urn:uuid:a", "urn:uuid:a"]);
    expect(out.subject.reference).toBe("Patient/1");
    expect(out.extension[0]!.extension).toEqual([
      { url: "y", valueUri: "Patient/1" },
      { url: "z", valueString: "urn:uuid:a" },
      { url: "w", valueUrl: "Binary/2" },
    ]);
    expect(out.contained[0]!.content[0]!.attachment).toEqual({ url: "Binary/2", title: "urn:uuid:a" });
    expect(out.activity[0]!.detail.instantiatesCanonical).toEqual(["Patient/1"]);
    // the copy maps alike and leaves its input alone
    expect(rewriteReferences(input, (r) => links.get(r) ?? r, links)).toEqual(out);
    expect(input.instantiatesUri[0]).toBe("urn:uuid:a");
  });

  it("with links: a deeply nested link is typed without overflowing the stack", () => {
    let deep: Record<string, unknown> = { url: "u", valueUri: "urn:uuid:a" };
    for (let i = 0; i < 5_000; i++) deep = { url: "u", extension: [deep] };
    const resource = { resourceType: "Basic", extension: [deep] };
    expect(() => rewriteReferencesInPlace(resource, (r) => r, new Map([["urn:uuid:a", "Patient/1"]]))).not.toThrow();
    let leaf = resource.extension[0]!;
    while (Array.isArray(leaf.extension)) leaf = leaf.extension[0] as Record<string, unknown>;
    expect(leaf.valueUri).toBe("Patient/1");
  });
});
