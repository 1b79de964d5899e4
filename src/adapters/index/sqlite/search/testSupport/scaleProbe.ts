/**
 * Manual probe (not a test): loads N Synthea bundles from ../shared/data into an in-memory
 * index and prints load time and typical search timings, with query plans when a second
 * argument is given.  Run: node src/adapters/index/sqlite/search/testSupport/scaleProbe.ts 60 plan
 */
import { readdirSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { DatabaseSync } from "node:sqlite";
import { extractSearchValues } from "../../../../../fhir/search/extractSearchValues.ts";
import { parseSearchRequest } from "../../../../../fhir/search/parseSearchRequest.ts";
import { compileSearch } from "../compileSearch.ts";
import { SEARCH_SCHEMA } from "../searchSchema.ts";
import { writeSearchRows } from "../writeSearchRows.ts";
import { RESOURCES_DDL } from "./testDb.ts";
import { registerSearchFunctions, SearchKey } from "../searchKey.ts";
import { TEST_SEARCH_KEY } from "./testSearchKey.ts";
const dir = "/work/shared/data/synthea-blaze/";
const files = readdirSync(dir)
  .filter((f) => !f.startsWith("0-"))
  .slice(0, Number(process.argv[2] ?? 40));
const db = new DatabaseSync(":memory:");
registerSearchFunctions(db, new SearchKey(TEST_SEARCH_KEY));
db.exec(RESOURCES_DDL);
db.exec(SEARCH_SCHEMA);
const ins = db.prepare("INSERT INTO resources (type, id, version, last_updated) VALUES (?, ?, 1, ?) RETURNING rid");
let n = 0,
  extractMs = 0,
  writeMs = 0;
const t0 = performance.now();
db.exec("BEGIN");
for (const f of files) {
  const text = gunzipSync(readFileSync(dir + f)).toString();
  const map = new Map<string, string>();
  const b = JSON.parse(text);
  for (const e of b.entry) map.set(e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`);
  const fixed = JSON.parse(
    text.replace(/"urn:uuid:[0-9a-f-]+"/g, (m) => JSON.stringify(map.get(m.slice(1, -1)) ?? m.slice(1, -1))),
  );
  for (const e of fixed.entry) {
    const r = e.resource;
    const { rid } = ins.get(r.resourceType, r.id, "2026-01-01T00:00:00.000Z") as { rid: number };
    let s = performance.now();
    const rows = extractSearchValues(r);
    extractMs += performance.now() - s;
    s = performance.now();
    writeSearchRows(db, rid, r.resourceType, rows, { fresh: true });
    writeMs += performance.now() - s;
    n++;
  }
}
db.exec("COMMIT");
console.log(
  `${n} resources in ${(performance.now() - t0).toFixed(0)} ms; extract ${extractMs.toFixed(0)} ms, write ${writeMs.toFixed(0)} ms`,
);
db.exec("ANALYZE");
const pid = (db.prepare("SELECT id FROM resources WHERE type='Patient' LIMIT 1 OFFSET 3").get() as { id: string }).id;
for (const [t, q] of [
  ["Observation", `patient=Patient/${pid}&code=http://loinc.org|8302-2`],
  ["Observation", `patient=${pid}&date=ge2015&date=lt2020`],
  ["Observation", `code=http://loinc.org|8302-2&value-quantity=gt180`],
  ["Observation", `code=8302-2&_sort=-date&_count=10`],
  ["Observation", `subject:Patient.family=a&code=8302-2`],
  ["Patient", `_has:Observation:patient:code=8302-2&gender=female`],
  ["Observation", `component-code-value-quantity=http://loinc.org|8480-6$gt140`],
  ["Condition", `code:text=diab`],
  ["Patient", `name=mar&_total=accurate`],
]) {
  const c = compileSearch(parseSearchRequest(t!, new URLSearchParams(q)));
  const stmt = db.prepare(c.sql);
  let s = performance.now();
  let rows: unknown[] = [];
  for (let i = 0; i < 20; i++) rows = stmt.all(...c.args);
  const ms = (performance.now() - s) / 20;
  s = performance.now();
  const total = db.prepare(c.countSql).get(...c.countArgs) as { total: number };
  const cms = performance.now() - s;
  console.log(`${t}?${q}: ${rows.length} rows ${ms.toFixed(2)} ms; total ${total.total} in ${cms.toFixed(2)} ms`);
  if (process.argv[3])
    console.log(
      (db.prepare("EXPLAIN QUERY PLAN " + c.sql).all(...c.args) as { detail: string }[])
        .map((r) => "   " + r.detail)
        .join("\n"),
    );
}
