import { describe, expect, it } from "vitest";
import { canonicalJson } from "../crypto/canonicalJson.ts";
import { copyNumberTexts, parseJson, stringifyJson } from "./preciseJson.ts";

describe("parseJson / stringifyJson: numbers keep the text they were written with", () => {
  it("round-trips decimals whose precision JSON.parse would drop, at any depth and in arrays", () => {
    const text =
      '{"resourceType":"Observation","valueQuantity":{"value":105.00,"unit":"mg"},"component":[{"valueQuantity":{"value":1.50}}],"x":[1.0,2,3e2,-0.0],"y":0.10000000000000000001,"z":12345678901234567890}';
    const value = parseJson(text) as { valueQuantity: { value: number } };
    expect(value.valueQuantity.value).toBe(105); // a plain number for validation and search
    expect(stringifyJson(value)).toBe(text);
    expect(canonicalJson(value)).toBe(
      '{"component":[{"valueQuantity":{"value":1.50}}],"resourceType":"Observation","valueQuantity":{"unit":"mg","value":105.00},"x":[1.0,2,3e2,-0.0],"y":0.10000000000000000001,"z":12345678901234567890}',
    );
  });

  it("writes a number changed after parsing the usual way", () => {
    const value = parseJson('{"a":{"v":1.50},"b":2.50}') as { a: { v: number }; b: number };
    value.a.v = 3;
    expect(stringifyJson(value)).toBe('{"a":{"v":3},"b":2.50}');
  });

  it("is plain JSON.parse when no number could lose text (dates, times and canonical numbers)", () => {
    const text =
      '{"effectiveDateTime":"2015-01-01T00:00:00.000Z","time":"10:30:00","note":"a: 1.50, b","n":[1,2.5,-3]}';
    expect(stringifyJson(parseJson(text))).toBe(text);
    expect(canonicalJson(parseJson('{"n":1.5}'))).toBe('{"n":1.5}');
  });

  it("carries the texts into a shallow copy that keeps the members, and into the resources of a Bundle", () => {
    const parsed = parseJson('{"resourceType":"Basic","n":7.0,"code":{"v":0.50}}') as Record<string, unknown>;
    const copy = { ...parsed, id: "x" };
    copyNumberTexts(parsed, copy);
    expect(canonicalJson(copy)).toBe('{"code":{"v":0.50},"id":"x","n":7.0,"resourceType":"Basic"}');
    expect(stringifyJson({ resourceType: "Bundle", entry: [{ resource: copy }] })).toContain('"n":7.0');
  });
});

describe("parseJson's shortcut", () => {
  it("keeps 16+ digit numbers that a double cannot hold, and full-precision doubles as they are", () => {
    const text =
      '{"lon":-70.74053599999998,"big":9007199254740993,"p":[0.10000000000000001],"ok":0.005477761773323051}';
    expect(stringifyJson(parseJson(text))).toBe(text);
  });
});

describe("parseJson of a Bundle: only the entries holding such numbers are parsed with the reviver", () => {
  const entry = (resource: string) =>
    `{"fullUrl":"urn:uuid:x","resource":${resource},"request":{"method":"POST","url":"Basic"}}`;
  const tricky = '{"resourceType":"Basic","text":{"div":"<div>\\"[{ ] } \\\\\\" 1.0, 2e5 ]</div>"},"n":[1,2]}';
  const minus = '{"resourceType":"Basic","v":-0.0}';
  const first = entry('{"resourceType":"Basic","v":9.90}');
  const last = entry('{"resourceType":"Basic","v":2.50}');
  /** [what, text, the text stringifyJson must give back (the text itself when omitted)] */
  const cases: [string, string, string?][] = [
    [
      "a few entries with decimals among plain ones",
      `{"resourceType":"Bundle","type":"batch","entry":[${entry('{"resourceType":"Basic","v":1.50}')},${entry(tricky)},${entry('{"resourceType":"Basic","q":{"value":105.00,"e":1e2}}')}]}`,
    ],
    [
      "strings that look like brackets, quotes and decimals, and spaces",
      `{"resourceType":"Bundle","entry":[ ${entry(tricky)} , ${entry(minus)} ]}`,
      `{"resourceType":"Bundle","entry":[${entry(tricky)},${entry(minus)}]}`,
    ],
    ["a decimal outside the entries", `{"resourceType":"Bundle","total":1.0,"entry":[${last}]}`],
    ["a bare number among the entries", `{"resourceType":"Bundle","entry":[1.50,${last}]}`],
    [
      "entry written twice (the last one counts)",
      `{"resourceType":"Bundle","entry":[${first}],"entry":[${last}]}`,
      `{"resourceType":"Bundle","entry":[${last}]}`,
    ],
    [
      "a Bundle inside an entry",
      `{"resourceType":"Bundle","entry":[${entry(`{"resourceType":"Bundle","entry":[${entry('{"resourceType":"Basic","v":3.30}')}]}`)}]}`,
    ],
    ["an empty entry list and a long number", '{"resourceType":"Bundle","entry":[],"big":9007199254740993}'],
  ];
  it.each(cases)("keeps every number's text with %s", (_, text, expected) => {
    const parsed = parseJson(text);
    expect(parsed).toEqual(JSON.parse(text));
    expect(stringifyJson(parsed)).toBe(expected ?? text);
  });

  it("keeps the texts of entry resources for the Bundle's processing", () => {
    const bundle = parseJson(cases[0]![1]) as { entry: { resource: object }[] };
    expect(canonicalJson(bundle.entry[0]!.resource)).toBe('{"resourceType":"Basic","v":1.50}');
    expect(canonicalJson(bundle.entry[2]!.resource)).toBe('{"q":{"e":1e2,"value":105.00},"resourceType":"Basic"}');
  });
});
