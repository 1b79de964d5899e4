/**
 * The part of an RPC URL that is safe to print: scheme, host and port. Credentials, paths and
 * query strings are dropped because hosted endpoints carry API keys there.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const hidden = u.username || u.password || (u.pathname !== "/" && u.pathname !== "") || u.search;
    return `${u.protocol}//${u.host}${hidden ? "/…" : ""}`;
  } catch {
    return "(unparseable URL)";
  }
}
