import { describe, expect, it } from "vitest";
import { safeNext } from "./safeNext.ts";

describe("safeNext", () => {
  it("keeps a path and query on this site", () => {
    expect(safeNext("/authorize?client_id=a&scope=openid%20fhirUser")).toBe(
      "/authorize?client_id=a&scope=openid%20fhirUser",
    );
    expect(safeNext("/admin")).toBe("/admin");
  });

  it("sends anything else home: other sites, scheme-relative, backslashes, control characters, over 4096 characters", () => {
    for (const next of [
      undefined,
      "",
      "https://evil.example/",
      "//evil.example",
      "/\\evil.example",
      "\\\\evil",
      "javascript:alert(1)",
      "/a\r\nSet-Cookie: x=1",
      `/${"a".repeat(4096)}`,
    ])
      expect(safeNext(next), String(next).slice(0, 40)).toBe("/");
    expect(safeNext(`/${"a".repeat(4095)}`)).toBe(`/${"a".repeat(4095)}`);
  });
});
