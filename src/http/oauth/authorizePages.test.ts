import { describe, expect, it } from "vitest";
import type { PendingAuthorization } from "../../auth/oauth/authorizeRequest.ts";
import { approvalPage, patientPickerPage } from "./authorizePages.ts";

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
});
