import { describe, expect, it } from "vitest";
import { duplicateMemberPath, pathAtOffset } from "./jsonPathScan.ts";

const duplicate = (text: string) => duplicateMemberPath(text, JSON.parse(text));

describe("duplicateMemberPath", () => {
  it.each([
    ["at the top", '{"resourceType":"Patient","gender":"male","gender":"female"}', ["gender"]],
    ["in an array item", '{"name":[{"family":"a"},{"family":"b","given":["x"],"family":"c"}]}', ["name", 1, "family"]],
    ["with spaces and escapes", '{ "a" : { "x\\"y" : 1 , "b" : 2 ,\n "x\\"y":3 } }', ["a", 'x"y']],
    ["written with a \\u escape", '{"a":1,"\\u0061":2}', ["a"]],
    [
      "deep inside a Bundle",
      '{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","active":true}},{"resource":{"resourceType":"Patient","active":true,"active":false}}]}',
      ["entry", 1, "resource", "active"],
    ],
    ["when the later one is an object", '{"a":{"b":1},"a":{"b":1}}', ["a"]],
  ])("finds a name written twice %s", (_name, text, path) => {
    expect(duplicate(text)).toEqual(path);
  });

  it.each([
    ["plain resources", '{"resourceType":"Patient","name":[{"family":"a","given":["b"]}],"active":true}'],
    ["the same name in sibling objects", '{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}'],
    ["strings that look like members", '{"div":"\\"a\\": 1, \\"a\\": 2","note":"{\\"x\\":1,\\"x\\":2}","t":"\\\\"}'],
    ["empty objects and arrays", '{"a":{},"b":[],"c":[{}]}'],
    ["a top-level array or scalar", '[1,2,{"a":1}]'],
  ])("finds nothing in %s", (_name, text) => {
    expect(duplicate(text)).toBeUndefined();
  });

  it("copes with 100k-deep arrays (no recursion)", () => {
    const text = `${"[".repeat(100_000)}{"a":1,"a":2}${"]".repeat(100_000)}`;
    expect(duplicate(text)?.at(-1)).toBe("a");
  });
});

describe("pathAtOffset", () => {
  it("names the member whose value is at the offset", () => {
    const text = '{"resourceType":"Patient","name":[{"family":"Müller"},{"given":["A\uFFFDB"]}]}';
    expect(pathAtOffset(text, text.indexOf("\uFFFD"))).toEqual(["name", 1, "given", 0]);
    expect(pathAtOffset(text, text.indexOf("Müller"))).toEqual(["name", 0, "family"]);
  });
});
