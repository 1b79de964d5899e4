import type { Hono } from "hono";
import { html } from "hono/html";
import { MAX_CLASSES, REQUESTABLE_CLASSES } from "../consentLimits.ts";
import { csrfField, field, formAlert, formErrorsOf, type Form, type FormErrors, NO_ERRORS } from "../forms.ts";
import type { ConsentPortal, ConsentSummary } from "../ports.ts";
import { requireRole } from "../requireRole.ts";
import type { UiContext, UiDeps, UiEnv } from "../UiContext.ts";
import { STATUS_WORDS, breakGlassFlag, periodWords } from "./consentRows.ts";

const patientIdOf = (reference: string) => reference.replace(/^Patient\//, "");

function requestForm(c: UiContext, form: Form, errors: FormErrors) {
  return html`<h2 id="new-request">Ask a patient for access</h2>
<p>The patient sees your request on their consents page and approves or rejects it. Until they approve, you cannot see their records.</p>
${formAlert(errors)}
<form class="stack" method="post" action="/request-access" novalidate aria-labelledby="new-request">
${csrfField(c.get("csrf"))}
${field({ name: "patient", label: "Patient", value: form.patient, autocomplete: "off", hint: "The patient's record as Patient/<id> (the patient can tell you), or pick one found below.", errors, maxlength: 80 })}
<fieldset><legend>Which records <span class="hint">(none ticked: all of them)</span></legend>
${REQUESTABLE_CLASSES.map(
  (k) =>
    html`<div><input type="checkbox" id="f-class-${k.type}" name="class_${k.type}" value="on"${form[`class_${k.type}`] ? html` checked` : ""}><label for="f-class-${k.type}">${k.words}</label></div>`,
)}
</fieldset>
${field({ name: "start", label: "From", type: "date", value: form.start, required: false, errors })}
${field({ name: "end", label: "Until", type: "date", value: form.end, required: false, hint: "Empty: until the patient revokes it.", errors })}
<div><button type="submit">Request access</button></div>
</form>`;
}

async function pickerSection(portal: ConsentPortal, c: UiContext) {
  const q = (c.req.query("q") ?? "").slice(0, 100);
  const found = q.trim() === "" ? [] : await portal.findPatients(c.get("user")!, q);
  return html`<h2 id="find">Find a patient</h2>
<form class="stack" method="get" action="/request-access" role="search" aria-labelledby="find">
<div><label for="f-q">Name</label><input id="f-q" name="q" value="${q}" maxlength="100"></div>
<div><button class="secondary" type="submit">Find</button></div>
</form>
${
  q.trim() === ""
    ? ""
    : found.length === 0
      ? html`<p>No patient you may see matches. A patient who has not given you access yet is not listed: ask them for their record's id.</p>`
      : html`<ul>${found.map((p) => html`<li>${p.name} <a href="/request-access?patient=Patient/${encodeURIComponent(p.id)}#new-request">Request access<span class="visually-hidden"> to ${p.name}'s records</span></a></li>`)}</ul>`
}`;
}

function requestsTable(requests: ConsentSummary[]) {
  if (requests.length === 0) return html`<p>You have not asked for access yet.</p>`;
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">Your access requests</caption>
<thead><tr><th scope="col">Patient</th><th scope="col">Which records</th><th scope="col">When</th><th scope="col">Status</th><th scope="col">Records</th></tr></thead>
<tbody>${requests.map(
    (
      s,
    ) => html`<tr${s.breakGlass ? html` class="urgent"` : ""}><td>${s.patient}${breakGlassFlag(s)}</td><td>${s.classes.length === 0 ? "All" : s.classes.join(", ")}</td><td>${periodWords(s)}</td><td>${STATUS_WORDS[s.status] ?? s.status}</td>
<td>${s.status === "active" ? html`<a href="/patients/${encodeURIComponent(patientIdOf(s.patient))}">Open<span class="visually-hidden"> ${s.patient}</span></a>` : ""}</td></tr>`,
  )}</tbody></table></div>`;
}

async function requestPage(
  deps: UiDeps,
  portal: ConsentPortal,
  c: UiContext,
  form: Form,
  errors: FormErrors,
  status = 200,
) {
  const notice =
    c.req.query("notice") === "sent"
      ? html`<div class="notice" role="status">Your request is sent. The patient decides; its status is below.</div>`
      : "";
  const now = Date.now();
  const requests = (await portal.requestsOf(c.get("user")!)).map((s) =>
    s.status === "active" && s.end !== undefined && Date.parse(s.end) < now ? { ...s, status: "expired" } : s,
  );
  return deps.page(
    c,
    "Request access",
    html`${notice}${requestForm(c, form, errors)}${await pickerSection(portal, c)}<h2>Your requests</h2>${requestsTable(requests)}`,
    status,
  );
}

/** GET /request-access: ask a patient for access, find patients, and the practitioner's requests; POST sends one. */
export function registerRequestAccess(app: Hono<UiEnv>, deps: UiDeps, portal: ConsentPortal): void {
  app.use("/request-access", requireRole(deps, ["practitioner"]));

  app.get("/request-access", (c) =>
    requestPage(deps, portal, c, { patient: (c.req.query("patient") ?? "").slice(0, 80) }, NO_ERRORS),
  );

  app.post("/request-access", async (c) => {
    const form = c.get("form");
    const classes = REQUESTABLE_CLASSES.map((k) => k.type).filter((t) => form[`class_${t}`] !== undefined);
    try {
      await portal.requestAccess(c.get("user")!, {
        patient: form.patient ?? "",
        classes: classes.slice(0, MAX_CLASSES),
        ...(form.start ? { start: form.start } : {}),
        ...(form.end ? { end: form.end } : {}),
      });
    } catch (error) {
      const { status, errors } = formErrorsOf(error);
      return requestPage(deps, portal, c, form, errors, status);
    }
    return c.redirect("/request-access?notice=sent", 303);
  });
}
