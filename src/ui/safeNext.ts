const MAX_NEXT = 4096;

/**
 * Where to send the browser after signing in: `next` when it is a path on this site (starts
 * with one "/", no scheme, host, backslash or control character), "/" otherwise, so a
 * crafted sign-in link can't send a user on to another site (open redirect).
 */
export function safeNext(next: string | undefined): string {
  if (typeof next !== "string" || next.length === 0 || next.length > MAX_NEXT) return "/";
  if (!next.startsWith("/") || next.startsWith("//") || /[\\\u0000-\u001f\u007f]/.test(next)) return "/";
  try {
    const url = new URL(next, "http://same.invalid");
    if (url.origin !== "http://same.invalid") return "/";
    return `${url.pathname}${url.search}`;
  } catch {
    return "/";
  }
}
