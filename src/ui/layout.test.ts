import { describe, expect, it } from "vitest";
import { layout } from "./layout.ts";

describe("layout", () => {
  // On a phone the admin and connected-apps tables' hidden button text ("Disable root1") sat
  // outside their scrolling wrapper and made the whole page scroll sideways (found in Chromium
  // at 375 px by test/browser/pages.test.ts).
  it("positions the table wrapper, so absolutely placed text in a table scrolls with the table", async () => {
    const page = String(await layout("T", "<p>x</p>"));
    expect(page).toMatch(/\.table-wrap\{[^}]*overflow-x:auto/);
    expect(page).toMatch(/\.table-wrap\{[^}]*position:relative/);
  });
});
