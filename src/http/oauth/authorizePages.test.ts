import { describe, expect, it } from "vitest";
import type { PendingAuthorization } from "../../auth/oauth/authorizeRequest.ts";
import { approvalPage, approvalTitle, errorPage, patientPickerPage, patientPickerTitle } from "./authorizePages.ts";

const request: PendingAuthorization = {
  clientId: "c",
  clientName: `"><script>alert(1)</script>`,
  redirectUri: "https://a.example/cb",
  state: "s",
  codeChallenge: "x",
  scopes: ["openid", "patient/Observation.rs?category=laboratory"],
  context: { patient: "p1" },
  needsPatient: false,
};

describe("authorize pages", () => {
  it("escape the app's name and the patient's, and label every scope box", async () => {
    const page = String(await approvalPage(request, "req", "tok", { id: "p1", name: "<img src=x>" }));
    expect(page).not.toContain("<script>");
    expect(page).not.toContain("<img");
    expect(page).toContain("&lt;img src=x&gt;");
    expect(page).toContain(
      '<label for="scope-1">read, search Observation records of the patient (only where category=laboratory)',
    );
    expect(page).toContain('name="csrf" value="tok"');
  });

  it("the picker escapes the search text it shows back", async () => {
    const page = String(await patientPickerPage(request, "req", "tok", `"><b>`, []));
    expect(page).toContain('value="&quot;&gt;&lt;b&gt;"');
    expect(page).toContain("No patient found.");
  });

  // The layout (RenderPage) makes the title the page's <h1>; a body with its own gave the
  // approval page two, which a screen reader's outline and the browser tests caught.
  it("bodies hold no <h1>; the titles name the app, for the layout's one heading", async () => {
    const bodies = [
      await approvalPage(request, "req", "tok", { id: "p1", name: "A" }),
      await patientPickerPage(request, "req", "tok", "", []),
      await errorPage("no"),
    ];
    for (const body of bodies) expect(String(body)).not.toMatch(/<h1\b/i);
    expect(approvalTitle(request)).toBe(`Allow ${request.clientName} to use your records?`);
    expect(patientPickerTitle(request)).toBe(`Choose the patient for ${request.clientName}`);
  });
});
