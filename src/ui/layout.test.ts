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

  // The approval page's scope boxes were full-width blocks centred above their words on a
  // phone (found by test/browser/pages.test.ts).
  it("keeps checkboxes and radio buttons small and beside their label", async () => {
    const page = String(await layout("T", "<p>x</p>"));
    expect(page).toMatch(/input\[type=checkbox\],input\[type=radio\]\{display:inline-block;width:1\.25rem/);
    expect(page).toMatch(/input\[type=checkbox\]\+label,input\[type=radio\]\+label\{display:inline\}/);
  });
});
