import type { Hono } from "hono";
import { html } from "hono/html";
import { csrfField, field, formAlert, type FormErrors, NO_ERRORS } from "../forms.ts";
import { safeNext } from "../safeNext.ts";
import type { UiContext, UiDeps, UiEnv } from "../UiContext.ts";

/** One answer for an unknown user, a wrong password and a disabled account. */
export const LOGIN_FAILED = "The username or password is not correct.";

function loginForm(c: UiContext, next: string, login: string, errors: FormErrors) {
  return html`${formAlert(errors)}
<form class="stack" method="post" action="/login">
${csrfField(c.get("csrf"))}
<input type="hidden" name="next" value="${next}">
${field({ name: "username", label: "Username or email", value: login, autocomplete: "username", errors, maxlength: 256 })}
${field({ name: "password", label: "Password", type: "password", autocomplete: "current-password", errors })}
<div><button type="submit">Sign in</button></div>
</form>
<p>No account yet? <a href="/register">Register as a patient</a>, or <a href="/activate">activate your account</a> with a code.</p>`;
}

/** GET and POST /login, rate-limited per account and per address; sends the user on to `next` when it is a path here. */
export function registerLogin(app: Hono<UiEnv>, deps: UiDeps): void {
  app.get("/login", (c) => deps.page(c, "Sign in", loginForm(c, safeNext(c.req.query("next")), "", NO_ERRORS)));

  app.post("/login", async (c) => {
    const form = c.get("form");
    const login = (form.username ?? "").slice(0, 256);
    const next = safeNext(form.next);
    const address = deps.clientAddress(c);
    const wait = deps.throttle.retryAfterMs(login, address);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      c.header("Retry-After", String(seconds));
      const errors = { fields: {}, form: `Too many attempts. Wait ${seconds} seconds, then try again.` };
      return deps.page(c, "Sign in", loginForm(c, next, login, errors), 429);
    }
    const user = await deps.users.authenticate(login, form.password ?? "");
    if (!user) {
      deps.throttle.failed(login, address);
      await deps.event(c, { type: "login-failed", login });
      return deps.page(c, "Sign in", loginForm(c, next, login, { fields: {}, form: LOGIN_FAILED }), 401);
    }
    deps.throttle.succeeded(login);
    deps.session.signIn(c, user.id);
    await deps.event(c, { type: "login", userId: user.id });
    return c.redirect(next, 303);
  });
}
