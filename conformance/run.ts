/**
 * `npm run conformance -- --base URL [--config file.json] [--junit out.xml]`: the SMART App
 * Launch 2.2 and ONC (g)(10) authorization checks against any FHIR server. Exit code 1 when a
 * check fails, 2 when the suite could not start.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadConformanceConfig } from "./config.ts";
import { formatResult, junitXml, summaryOf } from "./report.ts";
import { runConformance } from "./runConformance.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      base: { type: "string" },
      config: { type: "string" },
      junit: { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log("usage: npm run conformance -- --base URL [--config file.json] [--junit out.xml]");
    return 0;
  }
  const config = await loadConformanceConfig(values.config, values.base);
  console.log(`SMART conformance against ${config.fhirBaseUrl}\n`);
  const results = await runConformance(config, { onResult: (r) => console.log(formatResult(r)) });
  const { pass, fail, skip } = summaryOf(results);
  console.log(`\n${results.length} checks: ${pass} passed, ${fail} failed, ${skip} skipped`);
  if (values.junit) {
    await writeFile(values.junit, junitXml(results));
    console.log(`JUnit report: ${values.junit}`);
  }
  return fail > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`conformance: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
