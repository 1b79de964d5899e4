/**
 * Validation micro-benchmark: parses Synthea transaction bundles the way a request body is
 * parsed (parseJson), then validates every entry resource as a write does, and prints the
 * cost per resource of each step; parseJsonBody is what a request body goes through (bytes
 * decoded as strict UTF-8, parseJson, the duplicate-name check). Warm: every type is compiled and the data validated once
 * before timing. Runs in the fixtures' folder by default; a folder of more bundles (e.g. the
 * 122-file synthea-blaze set) gives steadier figures.
 *
 *   node bench/validate.bench.ts [folder] [--limit 20] [--rounds 5]
 */
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { createValidator } from "../src/fhir/validation/createValidator.ts";
import { parseJsonBody } from "../src/json/parseJsonBody.ts";
import { parseJson } from "../src/json/preciseJson.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { limit: { type: "string", default: "20" }, rounds: { type: "string", default: "5" } },
});
const source = resolve(positionals[0] ?? new URL("../test/fixtures/synthea-bundles", import.meta.url).pathname);
const files = (await readdir(source))
  .filter((f) => f.endsWith(".json.gz"))
  .sort()
  .slice(0, Number(values.limit));
const bodies = await Promise.all(files.map(async (f) => new Uint8Array(gunzipSync(await readFile(join(source, f))))));
const texts = bodies.map((b) => new TextDecoder().decode(b));
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);

type Entry = { resource: Record<string, unknown> };
const resources = texts.flatMap((t) => (parseJson(t) as { entry: Entry[] }).entry.map((e) => e.resource));
const validator = createValidator();
validator.warmUp(new Set(resources.map((r) => r.resourceType as string)));
let invalid = 0;
for (const r of resources) {
  try {
    validator.validate(r);
  } catch {
    invalid += 1;
  }
}

const rounds = Number(values.rounds);
const best = { parse: Infinity, body: Infinity, validate: Infinity };
for (let round = 0; round < rounds; round++) {
  let t0 = performance.now();
  for (const t of texts) parseJson(t);
  best.parse = Math.min(best.parse, performance.now() - t0);
  t0 = performance.now();
  for (const b of bodies) parseJsonBody(b);
  best.body = Math.min(best.body, performance.now() - t0);
  t0 = performance.now();
  for (const r of resources) {
    try {
      validator.validate(r);
    } catch {
      // counted above
    }
  }
  best.validate = Math.min(best.validate, performance.now() - t0);
}
const us = (ms: number) => ((ms * 1000) / resources.length).toFixed(1);
console.log(
  `${files.length} bundles, ${(bytes / 1e6).toFixed(1)} MB, ${resources.length} resources (${invalid} invalid), best of ${rounds} rounds:`,
);
console.log(
  `  parseJson  ${best.parse.toFixed(1)} ms  (${us(best.parse)} µs/resource, ${(bytes / 1e6 / (best.parse / 1000)).toFixed(0)} MB/s)`,
);
console.log(
  `  parseJsonBody (UTF-8 check, parseJson, duplicate names)  ${best.body.toFixed(1)} ms  (${us(best.body)} µs/resource)`,
);
console.log(
  `  validate   ${best.validate.toFixed(1)} ms  (${us(best.validate)} µs/resource, ${Math.round(resources.length / (best.validate / 1000))} resources/s)`,
);
