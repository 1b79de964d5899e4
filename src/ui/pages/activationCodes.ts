import type { Hono } from "hono";
import { html } from "hono/html";
import { csrfField, field, formAlert, formErrorsOf, type Form, type FormErrors, NO_ERRORS } from "../forms.ts";
import { requireRole } from "../requireRole.ts";
import type { UiContext, UiDeps, UiEnv } from "../UiContext.ts";

function codeForm(c: UiContext, form: Form, errors: FormErrors) {
  return html`<p>A patient who already has a record here (created by the practice, or imported) links an account to it with a single-use code. Give the code to the patient in person or through a channel you trust; it works once, for 7 days.</p>
${formAlert(errors)}
<form class="stack" method="post" action="/activation-codes" novalidate>
${csrfField(c.get("csrf"))}
${field({ name: "patient", label: "Patient", value: form.patient, autocomplete: "off", hint: "The patient's record as Patient/<id>.", errors, maxlength: 80 })}
<div><button type="submit">Issue a code</button></div>
</form>`;
}

/** GET and POST /activation-codes: practitioners and administrators issue a patient's activation code. */
export function registerActivationCodes(app: Hono<UiEnv>, deps: UiDeps): void {
  app.use("/activation-codes", requireRole(deps, ["admin", "practitioner"]));
  app.get("/activation-codes", (c) => deps.page(c, "Activation codes", codeForm(c, {}, NO_ERRORS)));

  app.post("/activation-codes", async (c) => {
    const form = c.get("form");
    try {
      const { code, expiresAt } = deps.users.issueActivationCode({
        patient: form.patient ?? "",
        issuedBy: c.get("user")!.userId,
      });
      await deps.event(c, { type: "activation-code-issued", actor: c.get("user")!, entity: form.patient!.trim() });
      const until = new Date(expiresAt).toISOString().slice(0, 16).replace("T", " ");
      return deps.page(
        c,
        "Activation codes",
        html`<div class="notice" role="status"><p>Activation code for ${form.patient?.trim()}, shown this once:</p>
<p class="secret code">${code}</p><p>It works once, until ${until} UTC, at <code>/activate</code>.</p></div>
${codeForm(c, {}, NO_ERRORS)}`,
      );
    } catch (error) {
      const { status, errors } = formErrorsOf(error);
      return deps.page(c, "Activation codes", codeForm(c, form, errors), status);
    }
  });
}
