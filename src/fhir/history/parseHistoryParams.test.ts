import { describe, expect, it } from "vitest";
import { formatHistoryParams, parseHistoryParams } from "./parseHistoryParams.ts";

const parse = (q: string, allowTypes = true) => parseHistoryParams(new URLSearchParams(q), { allowTypes });

describe("parseHistoryParams", () => {
  it("normalises _since and _at to ISO instants at their precision", () => {
    expect(parse("_since=2024-01-31T12:00:00%2B01:00").since!.iso).toBe("2024-01-31T11:00:00.000Z");
    // An unencoded + decodes to a space; it is still read as the offset.
    expect(parse("_since=2024-01-31T12:00:00+01:00").since!.iso).toBe("2024-01-31T11:00:00.000Z");
    expect(parse("_at=2024").at).toEqual({
      text: "2024",
      from: "2024-01-01T00:00:00.000Z",
      to: "2024-12-31T23:59:59.999Z",
    });
    expect(parse("_at=2024-02-29T10:00:00Z").at!.to).toBe("2024-02-29T10:00:00.999Z");
  });

  it("defaults _count to 50, caps it at 1000 and takes 0 (no entries) as search does", () => {
    expect(parse("").count).toBe(50);
    expect(parse("_count=7").count).toBe(7);
    expect(parse("_count=0").count).toBe(0);
    expect(parse("_count=100000").count).toBe(1000);
  });

  it("refuses malformed values, naming the parameter", () => {
    for (const q of [
      "_since=soon",
      "_at=2024-13",
      "_count=1.5",
      "_count=-3",
      "_cursor=a%20b",
      "_type=Nope",
      "_since=2020&_since=2021",
    ]) {
      expect(() => parse(q), q).toThrow();
    }
    expect(() => parse("_type=Patient", false)).toThrow(/system-level/);
  });

  it("formats the parameters back for links, replacing the cursor", () => {
    const p = parse("_since=2024-01-01&_type=Patient,Observation&_count=5&_cursor=abc&foo=bar");
    expect(p.ignored).toEqual(["foo"]);
    expect(formatHistoryParams(p, "next")).toBe("_since=2024-01-01&_type=Patient%2CObservation&_count=5&_cursor=next");
  });
});
