import { describe, expect, it } from "vitest";
import { refuseDotSegments } from "./dotSegments.ts";

describe("refuseDotSegments", () => {
  it.each([
    "/Patient/..",
    "/Patient/.",
    "/Patient/%2E%2E",
    "/Patient/%2e%2e?_format=json",
    "/Patient/.%2E/_history",
    "/Patient/%2E./$verify",
    "/Patient/%2e",
    "/Patient/p1/../metadata",
    "/./metadata",
  ])("refuses %s with a 400 naming the dot segment", (target) => {
    expect(() => refuseDotSegments(target)).toThrow(
      expect.objectContaining({ code: "bad-request", message: expect.stringMatching(/dot segment/) }),
    );
  });

  it.each([
    "/",
    "/Patient/...",
    "/Patient/a.b",
    "/Patient/.a/_history",
    "/Patient?name=..",
    "/Patient?_id=%2E%2E",
    "/Patient/%2E%2E%2E",
  ])("lets %s through", (target) => {
    expect(() => refuseDotSegments(target)).not.toThrow();
  });
});
