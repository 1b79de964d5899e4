import fc from "fast-check";
import { describe, it } from "vitest";
import { consentGuard } from "./support/consentGuard.ts";
import { proveVersions } from "./support/proveVersions.ts";
import { versionArb, worldArb } from "./support/world.ts";

describe("consent on history", () => {
  it("decides every version on its own content: a hidden version is never shown, a shown current one always is", async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.array(versionArb, { minLength: 1, maxLength: 5 }), (spec, changes) =>
        proveVersions(spec, changes, consentGuard),
      ),
      { numRuns: 8 },
    );
  });
});
