import type { Context } from "hono";
import { OAuthError } from "../../auth/oauth/OAuthError.ts";

/** Parameters of an OAuth request at most; each value at most MAX_VALUE characters. */
export const MAX_PARAMS = 32;
export const MAX_VALUE = 8192;

/** Form or query parameters, refusing repeats (RFC 6749 §3.1, §3.2), too many, or too long. */
export function toParams(search: URLSearchParams): Record<string, string> {
  const params: Record<string, string> = Object.create(null);
  let count = 0;
  for (const [name, value] of search) {
    if (++count > MAX_PARAMS) throw new OAuthError("invalid_request", `at most ${MAX_PARAMS} parameters`);
    if (name in params) throw new OAuthError("invalid_request", `${name.slice(0, 64)} is given more than once`);
    if (value.length > MAX_VALUE) throw new OAuthError("invalid_request", `${name.slice(0, 64)} is too long`);
    params[name] = value;
  }
  return params;
}

/** An application/x-www-form-urlencoded body (the size was capped by bodyLimit before). */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded")
    throw new OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded");
  return toParams(new URLSearchParams(await c.req.text()));
}

/** The query of the request, with the same checks. */
export function readQuery(c: Context): Record<string, string> {
  const url = c.req.url;
  const q = url.indexOf("?");
  return toParams(new URLSearchParams(q === -1 ? "" : url.slice(q + 1)));
}
