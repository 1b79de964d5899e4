import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  PHONE,
  accessibilityProblems,
  boxesAwayFromLabels,
  describeInBrowser,
  launchChromium,
  lowContrastText,
  scrollWidth,
} from "./support/browserHarness.ts";

/** The checks the page tests rely on find what they look for (else those tests could not fail). */
describeInBrowser("the page checks", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  it("report a missing lang, viewport and label, two <h1>, faint text, a box away from its label, a page wider than a phone", async () => {
    const page = await browser.newPage({ viewport: PHONE });
    await page.setContent(`<html><body>
<h1>One</h1><h1>Two</h1>
<p style="color:#aaa">faint text</p><p style="color:#fff;background:#0b57d0">fine text</p>
<input name="nameless"><label>wrapped <input name="wrapped"></label><input name="aria" aria-label="Aria">
<input type="checkbox" id="c" style="display:block;width:100%"><label for="c">tick</label>
<div style="width:600px">wide</div>
</body></html>`);
    expect(await accessibilityProblems(page)).toEqual([
      "no <html lang>",
      "2 <h1> elements, not one",
      "no viewport meta with width=device-width",
      '<input name="nameless"> has no label',
    ]);
    expect(await lowContrastText(page)).toEqual(['"faint text" has contrast 2.32:1']);
    expect(await boxesAwayFromLabels(page)).toEqual(['the checkbox "on" is not beside its label "tick"']);
    expect(await scrollWidth(page)).toBeGreaterThan(PHONE.width);
    await page.close();
  });
});
