import type { Hono } from "hono";
import { html } from "hono/html";
import { fieldOf } from "../../accounts/fieldError.ts";
import { csrfField, field, formAlert, formErrorsOf, type Form, type FormErrors, NO_ERRORS } from "../forms.ts";
import type { UiContext, UiDeps, UiEnv } from "../UiContext.ts";
import { checkConfirmation, newPasswordFields } from "./register.ts";

function activateForm(c: UiContext, form: Form, errors: FormErrors) {
  return html`<p>Your practitioner or the administrator gave you an activation code for your existing health record. Enter it and choose how you will sign in.</p>
${formAlert(errors)}
<form class="stack" method="post" action="/activate" novalidate>
${csrfField(c.get("csrf"))}
${field({ name: "code", label: "Activation code", value: form.code, autocomplete: "one-time-code", hint: "12 letters and digits, such as ABCD-EFGH-JKLM.", errors, maxlength: 64 })}
${field({ name: "username", label: "Username", value: form.username, autocomplete: "username", hint: "3 to 64 letters, digits, dots, dashes or underscores.", errors, maxlength: 64 })}
${field({ name: "email", label: "Email", type: "email", value: form.email, autocomplete: "email", errors, maxlength: 254 })}
${newPasswordFields(errors)}
<div><button type="submit">Activate</button></div>
</form>`;
}

/** GET and POST /activate: a patient links an account to their existing Patient with a single-use code. */
export function registerActivation(app: Hono<UiEnv>, deps: UiDeps): void {
  app.get("/activate", (c) => deps.page(c, "Activate your account", activateForm(c, {}, NO_ERRORS)));

  app.post("/activate", async (c) => {
    const form = c.get("form");
    const address = deps.clientAddress(c);
    const wait = deps.throttle.retryAfterMs(undefined, address);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      c.header("Retry-After", String(seconds));
      const errors = { fields: {}, form: `Too many attempts. Wait ${seconds} seconds, then try again.` };
      return deps.page(c, "Activate your account", activateForm(c, form, errors), 429);
    }
    try {
      checkConfirmation(form);
      const user = await deps.users.redeemActivationCode(form.code ?? "", {
        username: form.username ?? "",
        email: form.email ?? "",
        password: form.password ?? "",
      });
      deps.session.signIn(c, user.id);
      await deps.event(c, { type: "activated", userId: user.id, entity: user.fhirUser! });
      return c.redirect("/?welcome=1", 303);
    } catch (error) {
      // A wrong code counts against the address, as a wrong password does: codes can't be guessed at speed.
      if (fieldOf(error) === "code") deps.throttle.failed(undefined, address);
      const { status, errors } = formErrorsOf(error);
      return deps.page(c, "Activate your account", activateForm(c, form, errors), status);
    }
  });
}
