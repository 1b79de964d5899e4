/** The invariants of one element that createValidator checks as it meets the element in the schema pass. */
export type LocalInvariant = "per-1" | "obs-6";

/** A dateTime as the schema's regex has it: YYYY, YYYY-MM, YYYY-MM-DD or a full time with a zone. */
const DATE_TIME = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/** A broken invariant: diagnostics (key first) and the child element to name, if not the element itself. */
export interface InvariantProblem {
  diagnostics: string;
  child?: string;
}

/**
 * What is wrong when `data`, an element of the type the invariant is declared on, breaks it;
 * undefined when it holds or the value is the schema's to reject:
 *
 * - per-1 (Period): if both are present, start SHALL be ≤ end;
 * - obs-6 (Observation): dataAbsentReason SHALL only be present if there is no value[x].
 * @see https://hl7.org/fhir/R4/datatypes.html#Period
 * @see https://hl7.org/fhir/R4/observation.html#invs
 */
export function invariantProblem(key: LocalInvariant, data: unknown): InvariantProblem | undefined {
  if (data === null || typeof data !== "object") return undefined;
  const element = data as Record<string, unknown>;
  switch (key) {
    case "per-1": {
      const { start, end } = element;
      if (typeof start !== "string" || typeof end !== "string" || !startsAfterEnd(start, end)) return undefined;
      return { diagnostics: "per-1: If present, start SHALL have a lower value than end (start is after end)" };
    }
    case "obs-6": {
      if (element.dataAbsentReason === undefined) return undefined;
      for (const name in element) {
        if (isValueChoice(name))
          return {
            diagnostics: "obs-6: dataAbsentReason SHALL only be present if Observation.value[x] is not present",
            child: "dataAbsentReason",
          };
      }
      return undefined;
    }
  }
}

/**
 * True when `start` is certainly after `end`, comparing as FHIRPath does: two full times as
 * instants; otherwise the dates at the precision both have (2020-05-02 is not after 2020-05,
 * 2021 is after 2020-12-31), so a coarser value counts as its whole range.
 */
export function startsAfterEnd(start: string, end: string): boolean {
  // The common case, cheaply (Periods are everywhere): the same shape, so text order is time order.
  if (start.length === end.length && (start.length <= 10 || sameZone(start, end)))
    return start > end && DATE_TIME.test(start) && DATE_TIME.test(end);
  if (!DATE_TIME.test(start) || !DATE_TIME.test(end)) return false;
  if (start.length > 10 && end.length > 10) {
    const a = Date.parse(toMilliseconds(start));
    const b = Date.parse(toMilliseconds(end));
    return a > b; // NaN (a leap second) compares false: accepted
  }
  const n = Math.min(start.length, end.length, 10);
  return start.slice(0, n) > end.slice(0, n);
}

/** True when two dateTimes of equal length end in the same zone ("Z" or "±hh:mm"), so their fractions have as many digits. */
function sameZone(a: string, b: string): boolean {
  const n = a.length;
  if (a.charCodeAt(n - 1) === 90) return b.charCodeAt(n - 1) === 90; // "Z"
  for (let i = n - 6; i < n; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}

/** Date.parse reads at most milliseconds; finer digits don't change the order we need. */
function toMilliseconds(value: string): string {
  return value.replace(/(\.\d{3})\d+/, "$1");
}

/** `valueQuantity` and `_valueString` are choices of value[x]; `valueSet` would not be. */
function isValueChoice(name: string): boolean {
  const offset = name.charCodeAt(0) === 95 ? 1 : 0; // "_"
  if (!name.startsWith("value", offset) || name.length <= offset + 5) return false;
  const c = name.charCodeAt(offset + 5);
  return c >= 65 && c <= 90;
}
