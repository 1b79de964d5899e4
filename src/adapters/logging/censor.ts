/** What replaces a value that must not be logged. */
export const REDACTED = "[redacted]";

/**
 * Names under which nothing is ever logged, compared lower-cased without separators
 * (`Authorization`, `x-api-key`, `dev_token` and `devToken` alike): credentials, key material,
 * and anything that carries clinical content (bodies, resources, entries, patients).
 */
const SENSITIVE_NAMES = new Set([
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "token",
  "bearer",
  "credentials",
  "body",
  "rawbody",
  "payload",
  "resource",
  "resources",
  "entry",
  "entries",
  "patient",
  "name",
  "content",
  "plaintext",
  "key",
  "datakey",
  "kek",
  "secret",
  "password",
  "passphrase",
  "mnemonic",
  "signature",
]);

/** Endings that mark a name sensitive too: `accessToken`, `devToken`, `clientSecret`, `privateKey`, `newKek`, `apiKey`. */
const SENSITIVE_ENDINGS = ["token", "secret", "password", "privatekey", "apikey", "kek", "cookie", "authorization"];

/** A name whose value is never logged. */
export function isSensitiveName(name: string): boolean {
  const plain = name.toLowerCase().replace(/[^a-z0-9]/g, "");
  return SENSITIVE_NAMES.has(plain) || SENSITIVE_ENDINGS.some((ending) => plain.endsWith(ending));
}

/** Bearer/Basic credentials written into a message string. */
const CREDENTIALS_IN_TEXT = /\b(Bearer|Basic)\s+[^\s,;"'}]+/gi;

/** A message with any `Bearer …` / `Basic …` credential replaced. */
export function censorText(text: string): string {
  return text.replace(CREDENTIALS_IN_TEXT, `$1 ${REDACTED}`);
}

const MAX_DEPTH = 8;
const MAX_KEYS = 100;

/**
 * A copy of `value` safe to log, at any depth: values under sensitive names are replaced,
 * FHIR resources (objects with a `resourceType`) and bytes (key material, envelopes) are
 * never copied, strings lose bearer credentials, errors keep their type, code and message
 * (no stack, no cause), cycles and depth are cut.
 */
export function censor(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return censorText(value);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return typeof value === "function" ? "[function]" : value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  seen.add(value);
  try {
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      return {
        type: value.name,
        ...(typeof code === "string" ? { code } : {}),
        message: censorText(value.message),
      };
    }
    if (Array.isArray(value)) return value.slice(0, MAX_KEYS).map((v) => censor(v, depth + 1, seen));
    if (value instanceof Date) return value.toISOString();
    if (typeof (value as { resourceType?: unknown }).resourceType === "string") return "[resource]";
    if (value instanceof Map) return censor(Object.fromEntries(value), depth + 1, seen);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return censor(toJSON.call(value), depth + 1, seen);
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `[${value.constructor?.name ?? "object"}]`; // KeyObject, sockets, streams: nothing of theirs belongs in a log
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value).slice(0, MAX_KEYS)) {
      out[k] = isSensitiveName(k) ? REDACTED : censor(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
