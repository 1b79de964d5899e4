import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { extractSearchValues } from "./extractSearchValues.ts";
import type { SearchRow } from "./extractSearchValues.ts";
import { RowPacker, unpackRows } from "./packedRows.ts";

/** One resource's rows, packed on their own. */
function packRows(rows: readonly SearchRow[]) {
  const packer = new RowPacker();
  const slice = packer.add(rows);
  packer.finish();
  return slice;
}

describe("packed search rows", () => {
  it("give back every kind of row exactly, nulls and -0 included", () => {
    const rows: SearchRow[] = [
      { kind: "string", param: "name", grp: 0, value: "Ünïcode \ud83d\ude00", norm: "unicode" },
      { kind: "token", param: "code", grp: 0, system: "http://loinc.org", code: "8867-4", text: "heart rate" },
      { kind: "token", param: "code", grp: 1, system: null, code: null, text: "only text" },
      { kind: "date", param: "date", grp: 0, lo: -62135596800000, hi: 253402300799999 },
      { kind: "number", param: "probability", grp: 0, value: -0 },
      {
        kind: "quantity",
        param: "value-quantity",
        grp: 0,
        value: 1.5e-7,
        system: "http://unitsofmeasure.org",
        code: "mg",
        unit: "mg",
        normValue: 1.5e-10,
        normUnit: "g",
      },
      {
        kind: "quantity",
        param: "value-quantity",
        grp: 0,
        value: 3,
        system: null,
        code: null,
        unit: null,
        normValue: null,
        normUnit: null,
      },
      { kind: "reference", param: "subject", grp: 0, targetType: "Patient", targetId: "p1", url: null },
      {
        kind: "reference",
        param: "instantiates",
        grp: 0,
        targetType: null,
        targetId: null,
        url: "http://example.org/x",
      },
      { kind: "uri", param: "url", grp: 0, value: "" },
      {
        kind: "token-quantity",
        param: "code-value-quantity",
        grp: 2,
        tokenSystem: null,
        tokenCode: "8867-4",
        value: 60,
        system: "http://unitsofmeasure.org",
        code: "/min",
        unit: "/min",
        normValue: 1,
        normUnit: "/s",
      },
    ];
    const back = unpackRows(packRows(rows));
    expect(back).toEqual(rows);
    expect(Object.is((back[4] as { value: number }).value, -0)).toBe(true);
  });

  it("keep each resource's rows apart in a shared packing, each distinct string stored once", () => {
    const bundle = JSON.parse(
      gunzipSync(
        readFileSync(
          new URL(
            "../../../test/fixtures/synthea-bundles/8a4c9c04-1524-9f1c-d65b-9b17e4520fef.json.gz",
            import.meta.url,
          ),
        ),
      ).toString(),
    ) as { entry: { resource: { resourceType: string } }[] };
    const packer = new RowPacker();
    const expected = bundle.entry.map((e) => extractSearchValues(e.resource));
    const slices = expected.map((rows) => packer.add(rows));
    const packed = packer.finish();
    slices.forEach((slice, i) => expect(unpackRows(slice)).toEqual(expected[i]));
    expect(new Set(packed.strings).size).toBe(packed.strings.length);
    expect(slices.every((s) => s.packed === packed)).toBe(true);
  });

  it("an empty set of rows is an empty slice", () => {
    expect(unpackRows(packRows([]))).toEqual([]);
  });
});
