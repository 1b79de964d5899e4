import { redactUrl } from "./redactUrl.ts";

/** A URL with a scheme, up to the first character that cannot be part of one in running text. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>()[\]{},]+/gi;

/**
 * A message (an error from a JSON-RPC or IPFS client, say) with every URL in it cut to scheme,
 * host and port (see redactUrl), and the whole kept to `maxLength` characters.
 */
export function redactUrlsIn(text: string, maxLength = 1000): string {
  const redacted = text.replace(URL_IN_TEXT, (match) => {
    // A full stop or comma after a URL ends the sentence, not the URL.
    const url = match.replace(/[.,;:!?]+$/, "");
    return redactUrl(url) + match.slice(url.length);
  });
  return redacted.length > maxLength ? `${redacted.slice(0, maxLength)}…` : redacted;
}
