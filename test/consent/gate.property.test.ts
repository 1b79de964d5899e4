import fc from "fast-check";
import { describe, it } from "vitest";
import { proveGate } from "./support/proveGate.ts";
import { worldArb } from "./support/world.ts";

describe("the consent gate", () => {
  it("selects in SQL exactly what the in-memory decision allows, and that is what the oracle allows", async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, (spec) => proveGate(spec)),
      { numRuns: 12 },
    );
  });
});
