import { describe, expect, it } from "vitest";
import type { VersionRow } from "../ports/VersionStore.ts";
import type { StoredVersion } from "../records/RecordRepository.ts";
import { loadWithin, ResponseBudget } from "./responseBudget.ts";

const row = (id: string): VersionRow => ({
  type: "Basic",
  id,
  versionId: 1,
  lastUpdated: "2026-01-01T00:00:00.000Z",
  deleted: false,
  cid: "c",
  contentHash: "h",
  keyId: null,
  compartment: null,
  leafSeq: 1,
});
const stored = (size: number) => (r: VersionRow) =>
  Promise.resolve({ row: r, resource: null, bytes: new Uint8Array(size) } as StoredVersion);

describe("ResponseBudget", () => {
  it("takes resources up to the byte and resource limits, the first whatever its size", () => {
    const bytes = new ResponseBudget({ maxBytes: 100, maxResources: 10 });
    expect(bytes.take(150)).toBe(true); // the first always fits
    expect(bytes.take(1)).toBe(false);
    expect(bytes.spent).toBe(true);

    const exact = new ResponseBudget({ maxBytes: 100, maxResources: 10 });
    expect([exact.take(50), exact.take(50), exact.take(1)]).toEqual([true, true, false]);

    const count = new ResponseBudget({ maxBytes: 1000, maxResources: 2 });
    expect([count.take(1), count.resourcesLeft, count.take(1), count.take(1)]).toEqual([true, 1, true, false]);
    expect(count.resourcesLeft).toBe(0);
  });

  it("takes nothing once one resource was refused, even a smaller one", () => {
    const budget = new ResponseBudget({ maxBytes: 100, maxResources: 10 });
    budget.take(60);
    expect(budget.take(50)).toBe(false);
    expect(budget.take(1)).toBe(false);
    expect(budget.refusal()).toMatchObject({ code: "invalid", issues: [{ type: "too-costly" }] });
  });

  it("loads rows in order while they fit, and says whether all did", async () => {
    const rows = Array.from({ length: 20 }, (_, i) => row(`b${i}`));
    const within = await loadWithin(rows, new ResponseBudget({ maxBytes: 200, maxResources: 100 }), stored(10));
    expect(within).toMatchObject({ complete: true });
    expect(within.loaded.map((s) => s.row.id)).toEqual(rows.map((r) => r.id));
    const cut = await loadWithin(rows, new ResponseBudget({ maxBytes: 95, maxResources: 100 }), stored(10));
    expect(cut.complete).toBe(false);
    expect(cut.loaded.map((s) => s.row.id)).toEqual(rows.slice(0, 9).map((r) => r.id));
  });
});
