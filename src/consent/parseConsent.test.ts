import { describe, expect, it } from "vitest";
import { CONSENT_CAPS, parseConsent } from "./parseConsent.ts";

const nested = (depth: number): Record<string, unknown> => {
  let p: Record<string, unknown> = { type: "deny" };
  for (let i = 1; i < depth; i++) p = { type: "permit", provision: [p] };
  return p;
};

describe("parseConsent caps", () => {
  it("takes provisions nested up to the depth cap, and refuses one deeper", () => {
    expect(parseConsent({ provision: nested(CONSENT_CAPS.maxDepth) }).ok).toBe(true);
    expect(parseConsent({ provision: nested(CONSENT_CAPS.maxDepth + 1) })).toEqual({
      ok: false,
      reason: "Consent provisions nest more than 8 deep",
    });
  });
  it("takes up to 64 provisions in all, and 64 entries per element", () => {
    const children = (n: number) => Array.from({ length: n }, () => ({ type: "deny" }));
    expect(parseConsent({ provision: { provision: children(63) } }).ok).toBe(true);
    expect(parseConsent({ provision: { provision: children(64) } }).ok).toBe(false);
    const classes = (n: number) => Array.from({ length: n }, () => ({ code: "Observation" }));
    expect(parseConsent({ provision: { class: classes(64) } }).ok).toBe(true);
    expect(parseConsent({ provision: { class: classes(65) } }).ok).toBe(false);
  });
  it("inherits the parent's type, flags elements it does not evaluate, reads period edges at their precision", () => {
    const parsed = parseConsent({
      provision: {
        type: "deny",
        period: { start: "2026", end: "2026-02" },
        provision: [{ dataPeriod: { start: "2020" } }],
      },
    });
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.root.children[0]!.type).toBe("deny");
    expect(parsed.root.children[0]!.unknown).toBe(true);
    expect(parsed.root.unknown).toBe(false);
    expect(parsed.root.period).toEqual({ start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 2, 1) - 1 });
  });
});
