import type { Hono } from "hono";
import { html } from "hono/html";
import { csrfField } from "../forms.ts";
import type { UiDeps, UiEnv } from "../UiContext.ts";

/** GET /logout asks (a link must not sign anyone out: that would be a CSRF); POST /logout ends the session. */
export function registerLogout(app: Hono<UiEnv>, deps: UiDeps): void {
  app.get("/logout", (c) =>
    deps.page(
      c,
      "Sign out",
      c.get("user")
        ? html`<form method="post" action="/logout">${csrfField(c.get("csrf"))}<button type="submit">Sign out</button></form>`
        : html`<p>You are not signed in. <a href="/login">Sign in</a></p>`,
    ),
  );
  app.post("/logout", async (c) => {
    const user = c.get("user");
    deps.session.signOut(c);
    if (user) await deps.event(c, { type: "logout", actor: user });
    return c.redirect("/", 303);
  });
}
