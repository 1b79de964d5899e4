/** Most issues about ignored parameters one response repeats back; the rest are counted in one more issue. */
export const MAX_ECHOED_WARNINGS = 20;
/** Longest parameter name repeated back in an issue. */
export const MAX_ECHOED_NAME = 64;

/**
 * The issues about ignored (or, under strict handling, refused) parameters that a response
 * repeats back: the first MAX_ECHOED_WARNINGS, then one saying how many more there were. A
 * client sending millions of unknown parameters otherwise got them all echoed (a 274 MB
 * OperationOutcome for 2.5 M of them).
 */
export function echoedWarnings<T, I>(items: readonly T[], issue: (item: T) => I, more: (count: number) => I): I[] {
  const shown = items.slice(0, MAX_ECHOED_WARNINGS).map(issue);
  const rest = items.length - shown.length;
  return rest > 0 ? [...shown, more(rest)] : shown;
}

/** "… and N more" as the diagnostics of the issue that ends a capped list. */
export function moreIgnored(count: number, what = "parameters"): string {
  return `and ${count} more ${what} (only the first ${MAX_ECHOED_WARNINGS} are listed)`;
}

/** A parameter name as repeated back in an issue: at most MAX_ECHOED_NAME characters. */
export function echoedName(name: string): string {
  return name.length > MAX_ECHOED_NAME ? `${name.slice(0, MAX_ECHOED_NAME)}…` : name;
}
