import type { ImportSummary } from "./ImportTracker.ts";

/** Prints what a run did to stdout: counts, resources by type, failed files and the first errors. */
export function printImportSummary(summary: ImportSummary, seconds: number): void {
  const types = Object.entries(summary.byType)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `  ${t.padEnd(28)} ${n}\n`)
    .join("");
  const failedFiles = [...summary.failedFiles]
    .slice(0, 50)
    .map(([file, why]) => `  ${file}: ${why}`)
    .join("\n");
  process.stdout.write(
    `imported ${summary.entries} resources from ${summary.doneFiles} files in ${seconds.toFixed(1)} s ` +
      `(${Math.round(summary.entries / Math.max(seconds, 1e-6))}/s); ${summary.skippedFiles} files already done; ` +
      `${summary.failedFiles.size} files failed, ${summary.failedEntries} entries failed\n${types}` +
      (failedFiles ? `failed files (not marked done: run the import again to retry them):\n${failedFiles}\n` : "") +
      (summary.errors.length ? `errors:\n  ${summary.errors.slice(0, 20).join("\n  ")}\n` : ""),
  );
}
