import { describe, expect, it } from "vitest";
import { arrayItemSpans, arrayItemsText, memberValueStart, memberValueText } from "./memberText.ts";

describe("memberValueText", () => {
  const text = `{ "resourceType" : "Bundle", "note": "a \\"quoted\\" ] } [ { text", "n": -1.50e+2,
    "nested": {"entry": [1]}, "flag": true, "nil": null,
    "entry": [ {"resource": {"valueQuantity": {"value": 105.00}, "s": "x\\\\"}}, {"b": [[], {}]} ] }`;

  it("returns each member's value text as written", () => {
    expect(memberValueText(text, "resourceType")).toBe('"Bundle"');
    expect(memberValueText(text, "n")).toBe("-1.50e+2");
    expect(memberValueText(text, "flag")).toBe("true");
    expect(memberValueText(text, "nil")).toBe("null");
    expect(memberValueText(text, "nested")).toBe('{"entry": [1]}');
    const entry = memberValueText(text, "entry")!;
    expect(entry).toBe('[ {"resource": {"valueQuantity": {"value": 105.00}, "s": "x\\\\"}}, {"b": [[], {}]} ]');
    expect(JSON.parse(entry)).toEqual((JSON.parse(text) as { entry: unknown }).entry);
  });

  it("finds only top-level members, and nothing in non-objects", () => {
    expect(memberValueText('{"a": {"entry": 1}}', "entry")).toBeUndefined();
    expect(memberValueText("[1, 2]", "entry")).toBeUndefined();
    expect(memberValueText("{}", "entry")).toBeUndefined();
  });

  it("gives an array's items for splicing into another array", () => {
    expect(arrayItemsText("[ ]")).toBe("");
    expect(arrayItemsText(' [ {"a": "]"} , 2 ] ')).toBe('{"a": "]"} , 2');
    expect(JSON.parse(`[${[arrayItemsText("[1, 2.50]"), arrayItemsText("[3]")].join(",")}]`)).toEqual([1, 2.5, 3]);
  });
});

describe("arrayItemSpans", () => {
  it("finds each item of an array as written, past strings holding quotes, backslashes and brackets", () => {
    const text = `{"a": 1, "entry": [ {"s": "x\\\\", "t": "] } \\" [ {"}, [1, [2]] ,"q\\"",-1.50e+2 , null ] }`;
    const start = memberValueStart(text, "entry")!;
    const items = arrayItemSpans(text, start).map(([a, b]) => text.slice(a, b));
    const parsed = (JSON.parse(text) as { entry: unknown[] }).entry;
    expect(items.length).toBe(parsed.length);
    expect(items.map((t) => JSON.parse(t))).toEqual(parsed);
    expect(items[3]).toBe("-1.50e+2");
    expect(arrayItemSpans("[]", 0)).toEqual([]);
    expect(arrayItemSpans('{"a":1}', 0)).toEqual([]);
  });
});
