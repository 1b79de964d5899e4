/** The R4 primitive types whose values need a check the published JSON schema doesn't make. */
export type CheckedPrimitive =
  | "integer"
  | "positiveInt"
  | "unsignedInt"
  | "decimal"
  | "date"
  | "dateTime"
  | "instant"
  | "nonEmpty"
  | "xhtml";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** datatypes.html's integer regex; only consulted for a number whose text JSON.stringify would change. */
const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Why `value` is not a valid R4 `type`, or undefined. `text` is the number's source text when
 * parseJson kept it (it does for every number JSON.stringify writes differently: 1.0, 1e2,
 * 1e400). Values of the wrong JSON type pass: the schema's `type` keyword reports them.
 *
 * - integer, positiveInt, unsignedInt: whole numbers written without fraction or exponent,
 *   within 32 bits (the schema's regex is ignored by JSON Schema for numbers, so 1.5 passed);
 * - decimal: a finite double (1e400 parses to Infinity: stored as written, it can't be searched
 *   or compared), and not a non-zero text that underflows to 0 (1e-400 would search as 0);
 *   every JSON number already matches R4's decimal regex, which is JSON's number grammar;
 * - date, dateTime, instant: a day that exists in its month (the regex allows 2023-02-30);
 * - nonEmpty (uri, url, canonical, base64Binary): not "" (json.html: strings SHALL not be empty);
 * - xhtml: not "", and no control characters but tab, LF and CR (datatypes.html#string: the
 *   patterns of the other string types say so once patchR4Schema has fixed them; xhtml has none).
 * @see https://hl7.org/fhir/R4/datatypes.html#primitive
 * @see https://hl7.org/fhir/R4/json.html#primitive
 */
export function primitiveProblem(type: CheckedPrimitive, value: unknown, text?: string): string | undefined {
  switch (type) {
    case "integer":
    case "positiveInt":
    case "unsignedInt": {
      if (typeof value !== "number") return undefined;
      const min = type === "integer" ? INT32_MIN : type === "positiveInt" ? 1 : 0;
      if (!Number.isInteger(value) || (text !== undefined && !INTEGER_TEXT.test(text)))
        return `${type} must be a whole number, written without fraction or exponent`;
      if (value < min || value > INT32_MAX) return `${type} must be between ${min} and ${INT32_MAX}`;
      return undefined;
    }
    case "decimal":
      if (typeof value !== "number") return undefined;
      if (!Number.isFinite(value)) return "decimal is too large (beyond the range of a 64-bit double)";
      if (value === 0 && text !== undefined && /[1-9]/.test(text.split(/[eE]/)[0]!))
        return "decimal is too small (rounds to 0 as a 64-bit double)";
      return undefined;
    case "date":
    case "dateTime":
    case "instant":
      return typeof value === "string" && !isCalendarDate(value) ? `${type} must be a real calendar date` : undefined;
    case "nonEmpty":
      return value === "" ? "Value must not be empty" : undefined;
    case "xhtml":
      if (value === "") return "Value must not be empty";
      return typeof value === "string" && CONTROL_CHARACTER.test(value)
        ? "Strings must not contain control characters (below U+0020) other than tab, LF and CR"
        : undefined;
  }
}

/**
 * False for a full date (YYYY-MM-DD...) whose day doesn't exist in its month; true otherwise:
 * partial dates and malformed text are the regex's to judge, and so is a day above 31.
 */
function isCalendarDate(value: string): boolean {
  if (value.length < 10 || value.charCodeAt(4) !== 0x2d || value.charCodeAt(7) !== 0x2d) return true;
  const day = Number(value.slice(8, 10));
  if (!(day > 28 && day <= 31)) return true;
  const month = Number(value.slice(5, 7));
  if (!(month >= 1 && month <= 12)) return true;
  if (month !== 2) return day <= DAYS_IN_MONTH[month - 1]!;
  const year = Number(value.slice(0, 4));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (leap ? 29 : 28);
}
