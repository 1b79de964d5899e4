/** One check's outcome, under the Inferno test's id. */
export interface CheckResult {
  id: string;
  title: string;
  status: "pass" | "fail" | "skip";
  /** Why it failed or was skipped. */
  message?: string;
  ms: number;
}

/** Thrown inside a check to skip it (it cannot apply here). */
export class SkipCheck extends Error {}

export function skip(reason: string): never {
  throw new SkipCheck(reason);
}

/** A failed expectation: `message` says what was expected and what came. */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Runs checks one after the other and keeps their results. */
export class Recorder {
  readonly results: CheckResult[] = [];
  readonly #onResult: (result: CheckResult) => void;

  constructor(onResult: (result: CheckResult) => void = () => {}) {
    this.#onResult = onResult;
  }

  /** Runs one check; a thrown SkipCheck skips it, any other error fails it. True when it passed. */
  async check(id: string, title: string, run: () => Promise<void> | void): Promise<boolean> {
    const started = performance.now();
    let result: CheckResult;
    try {
      await run();
      result = { id, title, status: "pass", ms: 0 };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      result = { id, title, status: error instanceof SkipCheck ? "skip" : "fail", message, ms: 0 };
    }
    result.ms = Math.round(performance.now() - started);
    this.results.push(result);
    this.#onResult(result);
    return result.status === "pass";
  }

  skip(id: string, title: string, reason: string): void {
    const result: CheckResult = { id, title, status: "skip", message: reason, ms: 0 };
    this.results.push(result);
    this.#onResult(result);
  }
}

export function summaryOf(results: readonly CheckResult[]): { pass: number; fail: number; skip: number } {
  return {
    pass: results.filter((r) => r.status === "pass").length,
    fail: results.filter((r) => r.status === "fail").length,
    skip: results.filter((r) => r.status === "skip").length,
  };
}

/** One line per check, for the terminal. */
export function formatResult(result: CheckResult): string {
  const mark = result.status === "pass" ? "PASS" : result.status === "fail" ? "FAIL" : "SKIP";
  return `${mark} ${result.id} — ${result.title}${result.message ? `\n     ${result.message}` : ""}`;
}

function xml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/g, "");
}

/** JUnit XML: one testsuite per Inferno group (the id's part before the first "-"), one testcase per check. */
export function junitXml(results: readonly CheckResult[], name = "smart-conformance"): string {
  const groups = new Map<string, CheckResult[]>();
  for (const r of results) {
    const group = r.id.split("-")[0]!;
    groups.set(group, [...(groups.get(group) ?? []), r]);
  }
  const total = summaryOf(results);
  const seconds = (list: readonly CheckResult[]) => (list.reduce((s, r) => s + r.ms, 0) / 1000).toFixed(3);
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${xml(name)}" tests="${results.length}" failures="${total.fail}" skipped="${total.skip}" time="${seconds(results)}">`,
  ];
  for (const [group, list] of groups) {
    const s = summaryOf(list);
    lines.push(
      `  <testsuite name="${xml(group)}" tests="${list.length}" failures="${s.fail}" skipped="${s.skip}" time="${seconds(list)}">`,
    );
    for (const r of list) {
      const open = `    <testcase classname="${xml(group)}" name="${xml(r.id)}" time="${(r.ms / 1000).toFixed(3)}"`;
      if (r.status === "pass") lines.push(`${open}><system-out>${xml(r.title)}</system-out></testcase>`);
      else if (r.status === "skip") lines.push(`${open}><skipped message="${xml(r.message ?? "")}"/></testcase>`);
      else
        lines.push(
          `${open}><failure message="${xml(r.message ?? "")}">${xml(r.title)}: ${xml(r.message ?? "")}</failure></testcase>`,
        );
    }
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>", "");
  return lines.join("\n");
}
