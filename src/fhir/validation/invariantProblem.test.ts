import { describe, expect, it } from "vitest";
import { invariantProblem, startsAfterEnd } from "./invariantProblem.ts";

describe("startsAfterEnd (per-1)", () => {
  it.each([
    ["2020-02-01", "2020-01-31"],
    ["2021", "2020-12-31"],
    ["2020-05-02T10:00:00Z", "2020-05-01"],
    ["2020-05-01T10:00:00Z", "2020-05-01T09:59:59Z"],
    ["2020-05-01T10:00:00.5Z", "2020-05-01T10:00:00Z"],
    ["2020-05-01T10:00:00+01:00", "2020-05-01T08:59:59Z"], // 09:00Z is after 08:59:59Z
  ])("%s is after %s", (start, end) => {
    expect(startsAfterEnd(start, end)).toBe(true);
  });

  it.each([
    ["2020-01-01", "2020-01-01"],
    ["2020-05-02", "2020-05"], // May 2nd lies within May: not certainly after
    ["2020-05", "2020-05-01"],
    ["2020-05-01T23:00:00Z", "2020-05-01"],
    ["2020-05-01T10:00:00+02:00", "2020-05-01T09:00:00Z"], // 08:00Z ≤ 09:00Z although the text sorts after
    ["2020-05-01T10:00:00Z", "2020-05-01T10:00:00Z"],
    ["not a date", "2020"], // the schema's pattern reports it
  ])("%s is not after %s", (start, end) => {
    expect(startsAfterEnd(start, end)).toBe(false);
  });
});

describe("invariantProblem", () => {
  it("per-1 names the key and holds when start or end is missing", () => {
    expect(invariantProblem("per-1", { start: "2020-02", end: "2020-01" })?.diagnostics).toMatch(/^per-1: /);
    expect(invariantProblem("per-1", { start: "2020-02" })).toBeUndefined();
    expect(invariantProblem("per-1", { end: "2020-01", _start: { extension: [] } })).toBeUndefined();
  });

  it("obs-6: dataAbsentReason only without value[x], named as the element at fault", () => {
    expect(invariantProblem("obs-6", { dataAbsentReason: { text: "x" }, valueQuantity: { value: 1 } })).toEqual({
      diagnostics: expect.stringMatching(/^obs-6: /),
      child: "dataAbsentReason",
    });
    expect(invariantProblem("obs-6", { dataAbsentReason: { text: "x" }, _valueString: { extension: [] } })?.child).toBe(
      "dataAbsentReason",
    );
    expect(invariantProblem("obs-6", { dataAbsentReason: { text: "x" }, component: [] })).toBeUndefined();
    expect(invariantProblem("obs-6", { valueString: "x" })).toBeUndefined();
  });
});
