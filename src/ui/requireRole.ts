import type { Next } from "hono";
import { html } from "hono/html";
import type { UserRole } from "../accounts/User.ts";
import type { UiContext, UiDeps } from "./UiContext.ts";

/**
 * Middleware that lets through signed-in users of `roles` only: anyone else signs in first
 * (sent back here after), and a user of another role gets a 403 page.
 */
export function requireRole(deps: UiDeps, roles: readonly UserRole[]) {
  return async function checkRole(c: UiContext, next: Next) {
    const user = c.get("user");
    if (!user) {
      const url = new URL(c.req.url);
      const back = c.req.method === "GET" ? `${url.pathname}${url.search}` : url.pathname;
      return c.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
    }
    if (!roles.includes(user.role))
      return deps.page(
        c,
        "Not allowed",
        html`<p>Your account can't use this page.</p><p><a href="/">Home</a></p>`,
        403,
      );
    await next();
  };
}
