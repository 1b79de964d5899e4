import type { Hono } from "hono";
import { html } from "hono/html";
import { fieldOf } from "../../accounts/fieldError.ts";
import { csrfField, field, formAlert, formErrorsOf, type FormErrors, NO_ERRORS } from "../forms.ts";
import { requireRole } from "../requireRole.ts";
import type { UiContext, UiDeps, UiEnv } from "../UiContext.ts";
import { ROLE_NAMES } from "./admin.ts";
import { checkConfirmation, newPasswordFields } from "./register.ts";

function accountPage(c: UiContext, deps: UiDeps, errors: FormErrors, notice?: string) {
  const user = deps.users.getUser(c.get("user")!.userId)!;
  return html`${notice ? html`<div class="notice" role="status">${notice}</div>` : ""}
<dl>
<dt>Username</dt><dd>${user.username}</dd>
<dt>Email</dt><dd>${user.email ?? "none"}</dd>
<dt>Role</dt><dd>${ROLE_NAMES[user.role]}</dd>
${user.fhirUser ? html`<dt>Your record</dt><dd><code>${user.fhirUser}</code></dd>` : ""}
</dl>
<h2 id="change-password">Change your password</h2>
<p>Changing it signs you out everywhere else.</p>
${formAlert(errors)}
<form class="stack" method="post" action="/account/password" novalidate aria-labelledby="change-password">
${csrfField(c.get("csrf"))}
${field({ name: "currentPassword", label: "Current password", type: "password", autocomplete: "current-password", errors })}
${newPasswordFields(errors)}
<div><button type="submit">Change password</button></div>
</form>`;
}

/** GET /account and POST /account/password: the signed-in user's account, and a password change. */
export function registerAccount(app: Hono<UiEnv>, deps: UiDeps): void {
  const everyone = requireRole(deps, ["admin", "practitioner", "patient", "auditor"]);
  app.use("/account", everyone);
  app.use("/account/*", everyone);
  app.get("/account", (c) =>
    deps.page(
      c,
      "Your account",
      accountPage(c, deps, NO_ERRORS, c.req.query("notice") === "changed" ? "Your password is changed." : undefined),
    ),
  );

  app.post("/account/password", async (c) => {
    const form = c.get("form");
    const user = c.get("user")!;
    const address = deps.clientAddress(c);
    const wait = deps.throttle.retryAfterMs(user.username, address);
    if (wait > 0) {
      c.header("Retry-After", String(Math.ceil(wait / 1000)));
      const errors = { fields: {}, form: `Too many attempts. Wait ${Math.ceil(wait / 1000)} seconds, then try again.` };
      return deps.page(c, "Your account", accountPage(c, deps, errors), 429);
    }
    try {
      checkConfirmation(form);
      await deps.users.changePassword(user.userId, form.currentPassword ?? "", form.password ?? "");
    } catch (error) {
      // A wrong current password counts as a failed sign-in: a stolen session can't guess it at speed.
      if (fieldOf(error) === "currentPassword") deps.throttle.failed(user.username, address);
      const { status, errors } = formErrorsOf(error);
      return deps.page(c, "Your account", accountPage(c, deps, errors), status);
    }
    deps.session.signIn(c, user.userId);
    await deps.event(c, { type: "password-changed", actor: user });
    return c.redirect("/account?notice=changed", 303);
  });
}
