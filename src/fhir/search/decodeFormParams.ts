import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";

/**
 * Decodes `application/x-www-form-urlencoded` text (a URL's query or a POST `_search` body)
 * strictly: a `%` not followed by two hex digits, or escapes that are not UTF-8, are a 400.
 * URLSearchParams would keep `%ZZ` as it is and turn bad bytes into U+FFFD, so a search for
 * something the client never meant would quietly find nothing.
 * @see https://url.spec.whatwg.org/#application/x-www-form-urlencoded
 */
export function decodeFormParams(text: string, where: "URL" | "body" | "conditional criteria"): URLSearchParams {
  if (!text.includes("%")) return new URLSearchParams(text);
  const params = new URLSearchParams();
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = decode(eq === -1 ? pair : pair.slice(0, eq), where, undefined);
    params.append(name, eq === -1 ? "" : decode(pair.slice(eq + 1), where, name));
  }
  return params;
}

function decode(text: string, where: string, name: string | undefined): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    // Named by the parameter, never by its value: a value may be a patient's name.
    const what = name === undefined ? "a parameter name" : `the value of ${name.slice(0, 64)}`;
    const message = `malformed percent-encoding in the ${where}: ${what} (% must be followed by two hex digits, and the bytes must be UTF-8)`;
    throw new FhirLedgerError("invalid", message, {
      issues: [
        { type: "invalid", diagnostics: message, ...(name === undefined ? {} : { expression: [name.slice(0, 64)] }) },
      ],
    });
  }
}
