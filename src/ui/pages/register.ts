import type { Hono } from "hono";
import { html } from "hono/html";
import { checkBirthDate, checkPersonName } from "../../accounts/checkPersonName.ts";
import { fieldError } from "../../accounts/fieldError.ts";
import { csrfField, field, formAlert, formErrorsOf, type Form, type FormErrors, NO_ERRORS } from "../forms.ts";
import type { UiContext, UiDeps, UiEnv } from "../UiContext.ts";

export const PASSWORD_HINT =
  "At least 12 characters. A phrase of a few unrelated words is strong and easy to remember.";

function registerForm(c: UiContext, form: Form, errors: FormErrors) {
  return html`<p>Create your patient account and your health record on this server.</p>
${formAlert(errors)}
<form class="stack" method="post" action="/register" novalidate>
${csrfField(c.get("csrf"))}
${field({ name: "given", label: "Given name", value: form.given, autocomplete: "given-name", errors, maxlength: 100 })}
${field({ name: "family", label: "Family name", value: form.family, autocomplete: "family-name", errors, maxlength: 100 })}
${field({ name: "birthDate", label: "Birth date", type: "date", value: form.birthDate, autocomplete: "bday", required: false, errors })}
${field({ name: "username", label: "Username", value: form.username, autocomplete: "username", hint: "3 to 64 letters, digits, dots, dashes or underscores.", errors, maxlength: 64 })}
${field({ name: "email", label: "Email", type: "email", value: form.email, autocomplete: "email", errors, maxlength: 254 })}
${newPasswordFields(errors)}
<div><button type="submit">Register</button></div>
</form>
<p>Already have a record here? <a href="/activate">Activate your account</a> with the code your practitioner gave you.</p>`;
}

/** The new password and its confirmation, as registration and activation ask for them. */
export function newPasswordFields(errors: FormErrors) {
  return html`${field({ name: "password", label: "Password", type: "password", autocomplete: "new-password", hint: PASSWORD_HINT, errors })}
${field({ name: "confirm", label: "Password again", type: "password", autocomplete: "new-password", errors })}`;
}

/** The two password fields must agree before anything else is checked about the password. */
export function checkConfirmation(form: Form): void {
  if ((form.password ?? "") !== (form.confirm ?? ""))
    throw fieldError("password", "The two passwords are not the same.");
}

/**
 * GET and POST /register: a patient creates their account and their Patient resource. Every
 * field is checked before the Patient is created, so a refused form leaves no record behind.
 */
export function registerRegistration(app: Hono<UiEnv>, deps: UiDeps): void {
  app.get("/register", (c) => deps.page(c, "Register", registerForm(c, {}, NO_ERRORS)));

  app.post("/register", async (c) => {
    const form = c.get("form");
    const address = deps.clientAddress(c);
    const wait = deps.registrations.retryAfterMs(address);
    if (wait > 0) {
      c.header("Retry-After", String(Math.ceil(wait / 1000)));
      const errors = { fields: {}, form: "Too many registrations from your network. Try again later." };
      return deps.page(c, "Register", registerForm(c, form, errors), 429);
    }
    try {
      const given = checkPersonName(form.given ?? "", "given");
      const family = checkPersonName(form.family ?? "", "family");
      const birthDate = checkBirthDate(form.birthDate ?? "");
      checkConfirmation(form);
      const account = {
        username: form.username ?? "",
        email: form.email ?? "",
        password: form.password ?? "",
        role: "patient" as const,
      };
      deps.users.checkNewUser(account);
      const email = account.email.trim().toLowerCase();
      const patientId = await deps.patients.createPatient({
        given,
        family,
        email,
        ...(birthDate ? { birthDate } : {}),
      });
      deps.registrations.fail(address);
      const user = await deps.users.createUser({ ...account, fhirUser: `Patient/${patientId}` });
      deps.session.signIn(c, user.id);
      await deps.event(c, { type: "registered", userId: user.id, entity: user.fhirUser! });
      return c.redirect("/?welcome=1", 303);
    } catch (error) {
      const { status, errors } = formErrorsOf(error);
      return deps.page(c, "Register", registerForm(c, form, errors), status);
    }
  });
}
