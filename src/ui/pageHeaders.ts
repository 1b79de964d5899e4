import type { Context, Next } from "hono";
import { STYLE_HASH } from "./layout.ts";

/**
 * Headers of every page: no framing (CSP frame-ancestors and X-Frame-Options, against
 * clickjacking of the sign-in and approval forms), no script at all, the inline stylesheet
 * only by its hash, and nothing cached or leaked in a Referer. No `form-action`: browsers
 * apply it to the redirects after a POST too, and signing in goes on to /authorize, which
 * redirects to the app's own redirect_uri on another origin.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Content-Security-Policy": `default-src 'none'; style-src ${STYLE_HASH}; img-src 'self'; frame-ancestors 'none'; base-uri 'none'`,
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
});

/** Middleware that sets PAGE_HEADERS before the handler, so error pages carry them too. */
export async function pageHeaders(c: Context, next: Next): Promise<void> {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) c.header(name, value);
  await next();
}
