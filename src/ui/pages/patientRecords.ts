import type { Hono } from "hono";
import { html } from "hono/html";
import type { ConsentPortal } from "../ports.ts";
import { requireRole } from "../requireRole.ts";
import type { UiDeps, UiEnv } from "../UiContext.ts";
import { when } from "./consentRows.ts";

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * GET /patients/:id: a practitioner reads a patient's records through the engine, as itself.
 * Not granted (or no such patient: the two answer alike, so the page cannot tell which patients
 * exist) is a 403 page that offers to request access, or emergency access.
 */
export function registerPatientRecords(app: Hono<UiEnv>, deps: UiDeps, portal: ConsentPortal): void {
  app.use("/patients/*", requireRole(deps, ["practitioner"]));

  app.get("/patients/:id", async (c) => {
    const id = c.req.param("id");
    if (!ID.test(id))
      return deps.page(
        c,
        "Not found",
        html`<p>That is not a patient record id. <a href="/request-access">Request access</a></p>`,
        404,
      );
    const records = await portal.recordsOf(c.get("user")!, id);
    const reference = `Patient/${id}`;
    if (records === undefined)
      return deps.page(
        c,
        "Access not granted",
        html`<div class="alert" role="alert"><p>You do not have access to the records of ${reference}: the patient has not granted it (or there is no such record).</p></div>
<p><a href="/request-access?patient=${encodeURIComponent(reference)}#new-request">Request access to ${reference}</a></p>
<p>In an emergency only: <a href="/break-glass?patient=${encodeURIComponent(reference)}">emergency access (break-glass)</a>. It is recorded and shown to the patient.</p>`,
        403,
      );
    return deps.page(
      c,
      `Records of ${records.name}`,
      html`<p>${reference}. Every access is recorded in the patient's access log.</p>
${
  records.resources.length === 0
    ? html`<p>No records you may see besides the patient's own details.</p>`
    : html`<div class="table-wrap"><table>
<caption class="visually-hidden">Records of ${records.name}</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">What</th><th scope="col">Date</th><th scope="col">Record</th></tr></thead>
<tbody>${records.resources.map((r) => html`<tr><td>${r.type}</td><td>${r.label}</td><td>${when(r.date)}</td><td><code>${r.reference}</code></td></tr>`)}</tbody></table></div>`
}
${records.truncated ? html`<p class="hint">Only the first ${records.resources.length} records are listed.</p>` : ""}`,
    );
  });
}
