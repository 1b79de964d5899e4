import type { Hono } from "hono";
import { html } from "hono/html";
import { BREAK_GLASS_PURPOSES, MAX_BREAK_GLASS_MINUTES, MAX_REASON_LENGTH } from "../consentLimits.ts";
import { csrfField, field, formAlert, formErrorsOf, type Form, type FormErrors, NO_ERRORS } from "../forms.ts";
import type { ConsentPortal } from "../ports.ts";
import { requireRole } from "../requireRole.ts";
import type { UiContext, UiDeps, UiEnv } from "../UiContext.ts";
import { when } from "./consentRows.ts";

function breakGlassForm(c: UiContext, form: Form, errors: FormErrors) {
  const purpose = form.purpose ?? "ETREAT";
  const reasonError = errors.fields.reason;
  return html`<div class="urgent"><p><strong>For emergencies only.</strong> Emergency access opens the patient's whole record to you for a limited time without their consent. It is recorded with your reason, flagged in the audit trail and shown to the patient.</p></div>
${formAlert(errors)}
<form class="stack" method="post" action="/break-glass" novalidate>
${csrfField(c.get("csrf"))}
${field({ name: "patient", label: "Patient", value: form.patient, autocomplete: "off", hint: "The patient's record as Patient/<id>.", errors, maxlength: 80 })}
<div><label for="f-reason">Reason</label><span class="hint" id="f-reason-hint">Why this cannot wait for the patient's consent (at most ${MAX_REASON_LENGTH} characters).</span>
<textarea id="f-reason" name="reason" rows="4" maxlength="${MAX_REASON_LENGTH}" required aria-describedby="f-reason-hint${reasonError ? " f-reason-error" : ""}"${reasonError ? html` aria-invalid="true"` : ""}>${form.reason ?? ""}</textarea>
${reasonError ? html`<p class="field-error" id="f-reason-error">${reasonError}</p>` : ""}</div>
<div><label for="f-purpose">Purpose of use</label><select id="f-purpose" name="purpose">
${BREAK_GLASS_PURPOSES.map((p) => html`<option value="${p.code}"${p.code === purpose ? html` selected` : ""}>${p.words} (${p.code})</option>`)}
</select></div>
${field({ name: "minutes", label: "Minutes", value: form.minutes, required: false, hint: "How long; empty: the server's default. The server's maximum applies.", errors, maxlength: 4 })}
<div><button type="submit">Open emergency access</button></div>
</form>`;
}

/** The form's fields a port error names ("invalid" errors are the form's own: shown at the top). */
function reasonErrors(form: Form): FormErrors | undefined {
  const reason = (form.reason ?? "").trim();
  if (reason === "") return { fields: { reason: "Give the reason for emergency access." } };
  if (reason.length > MAX_REASON_LENGTH)
    return { fields: { reason: `The reason is at most ${MAX_REASON_LENGTH} characters.` } };
  const minutes = (form.minutes ?? "").trim();
  if (
    minutes !== "" &&
    (!/^[0-9]{1,4}$/.test(minutes) || Number(minutes) < 1 || Number(minutes) > MAX_BREAK_GLASS_MINUTES)
  )
    return { fields: { minutes: `Minutes must be a whole number from 1 to ${MAX_BREAK_GLASS_MINUTES}.` } };
  return undefined;
}

/** GET /break-glass: the emergency-access form; POST calls $break-glass as the practitioner. */
export function registerBreakGlass(app: Hono<UiEnv>, deps: UiDeps, portal: ConsentPortal): void {
  app.use("/break-glass", requireRole(deps, ["practitioner"]));

  app.get("/break-glass", (c) =>
    deps.page(
      c,
      "Emergency access",
      breakGlassForm(c, { patient: (c.req.query("patient") ?? "").slice(0, 80) }, NO_ERRORS),
    ),
  );

  app.post("/break-glass", async (c) => {
    const form = c.get("form");
    const early = reasonErrors(form);
    if (early) return deps.page(c, "Emergency access", breakGlassForm(c, form, early), 400);
    const minutes = (form.minutes ?? "").trim();
    let granted: { consentId: string; end?: string };
    try {
      granted = await portal.breakGlass(c.get("user")!, {
        patient: form.patient ?? "",
        reason: form.reason ?? "",
        purpose: form.purpose ?? "ETREAT",
        ...(minutes === "" ? {} : { minutes: Number(minutes) }),
      });
    } catch (error) {
      const { status, errors } = formErrorsOf(error);
      return deps.page(c, "Emergency access", breakGlassForm(c, form, errors), status);
    }
    const id = (form.patient ?? "").trim().replace(/^Patient\//, "");
    return deps.page(
      c,
      "Emergency access",
      html`<div class="notice" role="status"><p>Emergency access to Patient/${id} is open${granted.end ? html` until ${when(granted.end)}` : ""}. It is recorded and the patient is told.</p></div>
<p><a href="/patients/${encodeURIComponent(id)}">Open the records of Patient/${id}</a></p>`,
    );
  });
}
