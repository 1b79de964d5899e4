import { describe, expect, it } from "vitest";
import { entryPatch } from "./entryPatch.ts";

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");

describe("entryPatch", () => {
  it("takes a Parameters resource as a FHIRPath Patch, unchanged", () => {
    const parameters = {
      resourceType: "Parameters",
      parameter: [
        {
          name: "operation",
          part: [
            { name: "type", valueCode: "delete" },
            { name: "path", valueString: "Patient.birthDate" },
          ],
        },
      ],
    };
    const { patch, format } = entryPatch(parameters);
    expect(format).toBe("fhirpath-patch");
    expect(patch).toBe(parameters);
  });

  it("decodes a Binary's base64 data as a JSON Patch", () => {
    const ops = [{ op: "replace", path: "/active", value: false }];
    expect(
      entryPatch({
        resourceType: "Binary",
        contentType: "application/json-patch+json; charset=utf-8",
        data: base64(ops),
      }),
    ).toEqual({ patch: ops, format: "json-patch" });
  });

  it("refuses other Binary content types (415), missing or undecodable data (400) and other resources (400)", () => {
    expect(() =>
      entryPatch({
        resourceType: "Binary",
        contentType: "application/fhir+json",
        data: base64({ resourceType: "Parameters" }),
      }),
    ).toThrow(expect.objectContaining({ code: "unsupported-media-type" }));
    expect(() => entryPatch({ resourceType: "Binary", contentType: "application/json-patch+json" })).toThrow(
      expect.objectContaining({ code: "bad-request" }),
    );
    expect(() =>
      entryPatch({
        resourceType: "Binary",
        contentType: "application/json-patch+json",
        data: Buffer.from("[{").toString("base64"),
      }),
    ).toThrow(expect.objectContaining({ code: "bad-request" }));
    expect(() => entryPatch({ resourceType: "Patient" })).toThrow(expect.objectContaining({ code: "invalid" }));
  });
});
