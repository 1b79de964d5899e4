/**
 * Search correctness at scale: loads every transaction bundle of a Synthea folder into the
 * SQLite index (the real SqliteIndex with its search indexer, no HTTP or encryption), generates
 * queries over every parameter type, modifier and prefix, OR and AND, chains and _has from the
 * values in the data, and checks that each result set equals the one computed by evaluating the
 * SearchParameters' FHIRPath expressions with the `fhirpath` package (testSupport/oracle.ts).
 * Exit code 1 when any query differs.
 *
 *   node bench/searchOracle.bench.ts [../shared/data/synthea-blaze] [--per-param 4] [--limit N] [--show 10] [--page N]
 *
 * --per-param: sampled values per parameter; --limit: load only the first N files (information
 * bundles first); --show: mismatching queries printed in full; --page N: fetch results N at a
 * time through the keyset cursor (default: all in one page).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import type { StatementSync } from "node:sqlite";
import { SqliteIndex } from "../src/adapters/index/sqlite/SqliteIndex.ts";
import { compileSearch } from "../src/adapters/index/sqlite/search/compileSearch.ts";
import { sqliteSearchIndexer } from "../src/adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import type { FixtureResource } from "../src/adapters/index/sqlite/search/testSupport/fixtures.ts";
import { generateCombinedQueries } from "../src/adapters/index/sqlite/search/testSupport/generateCombinedQueries.ts";
import { generateQueries, withDriver } from "../src/adapters/index/sqlite/search/testSupport/generateQueries.ts";
import { Oracle } from "../src/adapters/index/sqlite/search/testSupport/oracle.ts";
import { referenceMapper } from "../src/fhir/bundles/entrySteps.ts";
import { rewriteReferences } from "../src/fhir/bundles/rewriteReferences.ts";
import { findMatches } from "../src/fhir/conditional/findMatches.ts";
import { cachedConditionalResolver } from "../src/fhir/conditional/resolveConditionalReference.ts";
import { compartmentOf, withMeta } from "../src/fhir/resource/meta.ts";
import { parseSearchRequest } from "../src/fhir/search/parseSearchRequest.ts";
import { paramsFor, searchableTypes } from "../src/fhir/search/searchParameters.ts";
import type { SearchFilter, SearchRequest } from "../src/ports/SearchRequest.ts";
import type { Resource } from "../src/fhir/types/r4.ts";
import type { VersionWrite } from "../src/ports/VersionStore.ts";

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "per-param": { type: "string", default: "4" },
    limit: { type: "string" },
    show: { type: "string", default: "10" },
    page: { type: "string" },
  },
});
const source = resolve(positionals[0] ?? "../shared/data/synthea-blaze");
const perParam = Number(opts["per-param"]);
const show = Number(opts.show);
/** The clock both sides use for the `ap` prefix. */
const NOW = Date.now();
/**
 * Page size. By default one page holds every match (deep keyset paging re-runs an unselective
 * query once per page, which would make the run take far longer without testing search
 * semantics); --page 1000 (the server's largest page) follows the cursor the way clients do.
 */
const PAGE = opts.page ? Number(opts.page) : 1_000_000;
/** Distinct lastUpdated instants, one second apart, so _lastUpdated queries select something. */
const FIRST_UPDATE = Date.UTC(2026, 0, 1);

const started = performance.now();
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

// ---- 1. Load: information bundles first, references resolved as the transaction processor does.

interface Entry {
  fullUrl?: string;
  resource: FixtureResource;
  request?: { method?: string; url?: string; ifNoneExist?: string };
}

const files = readdirSync(source)
  .filter((f) => f.endsWith(".json.gz"))
  .sort((a, b) => Number(!/information/i.test(a)) - Number(!/information/i.test(b)) || a.localeCompare(b));
const selected = opts.limit ? files.slice(0, Number(opts.limit)) : files;

const index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer });
const resources: FixtureResource[] = [];
const inData: Record<string, number> = {};
let reused = 0;
let placeholders = 0;
let conditional = 0;
const loadStart = performance.now();
for (const file of selected) {
  const bundle = JSON.parse(gunzipSync(readFileSync(join(source, file))).toString("utf8")) as {
    type: string;
    entry: Entry[];
  };
  // Identities first (runEntries step 1): a conditional create (ifNoneExist) that matches an
  // existing resource, or an earlier entry with the same criteria, creates nothing and its
  // fullUrl names the match. New resources keep the id they have in the file (the server would
  // assign fresh ones; keeping them lets a mismatch be traced back to the data).
  const identities = new Map<string, string>();
  const creates = new Map<string, string>();
  const planned: { type: string; id: string; resource: FixtureResource }[] = [];
  for (const entry of bundle.entry) {
    const type = entry.resource.resourceType;
    inData[type] = (inData[type] ?? 0) + 1;
    if (entry.request?.method !== "POST")
      throw new Error(`${file}: only POST entries are expected, found ${entry.request?.method}`);
    let key: string | undefined;
    const criteria = entry.request.ifNoneExist;
    if (criteria !== undefined) {
      key = creates.get(`${type}?${criteria}`);
      if (key === undefined) {
        const matches = await findMatches(index, type, criteria);
        if (matches.length > 1) throw new Error(`${file}: ifNoneExist ${criteria} matches several resources`);
        if (matches[0]) key = `${type}/${matches[0].id}`;
      }
    }
    if (key !== undefined) reused++;
    else {
      const id = entry.resource.id ?? globalThis.crypto.randomUUID();
      key = `${type}/${id}`;
      if (criteria !== undefined) creates.set(`${type}?${criteria}`, key);
      planned.push({ type, id, resource: entry.resource });
    }
    if (entry.fullUrl !== undefined) identities.set(entry.fullUrl, key);
  }
  // Then references (step 2): urn:uuid fullUrls to Type/id, `Type?criteria` through the index.
  // (The information bundles are batches whose entries refer to nothing, so one commit per
  // bundle is the same as the batch's commit per entry.)
  const resolveConditional = cachedConditionalResolver(index);
  const counting = Object.assign(
    (reference: string) => {
      conditional++;
      return resolveConditional(reference);
    },
    { prefetch: resolveConditional.prefetch },
  );
  const mapToTarget = referenceMapper(identities, counting);
  const mapReference = (reference: string) => {
    if (identities.has(reference)) placeholders++;
    return mapToTarget(reference);
  };
  for (const { resource } of planned) await resolveConditional.prefetch(resource);
  const writes: VersionWrite[] = planned.map(({ type, id, resource }) => {
    const lastUpdated = new Date(FIRST_UPDATE + resources.length * 1000).toISOString();
    const stored = withMeta({ ...rewriteReferences(resource, mapReference), id } as Resource, {
      versionId: "1",
      lastUpdated,
    }) as unknown as FixtureResource;
    resources.push(stored);
    return {
      type,
      id,
      versionId: 1,
      lastUpdated,
      deleted: false,
      cid: "bench",
      contentHash: "",
      keyId: null,
      compartment: compartmentOf(stored as unknown as Resource),
      leafHash: new Uint8Array(32),
      expectedPreviousVersion: 0,
      resource: stored as unknown as Record<string, unknown>,
    };
  });
  await index.commitMany(writes);
}
index.db.exec("PRAGMA optimize");
const loadTime = seconds(loadStart);

const keyOfRid = new Map<number, string>();
const indexed: Record<string, number> = {};
for (const row of index.db.prepare("SELECT rid, type, id FROM resources WHERE deleted = 0").all() as {
  rid: number;
  type: string;
  id: string;
}[]) {
  keyOfRid.set(Number(row.rid), `${row.type}/${row.id}`);
  indexed[row.type] = (indexed[row.type] ?? 0) + 1;
}

console.log(`search oracle bench: ${source}; Node ${process.version}`);
console.log(`${selected.length} bundles, ${resources.length} resources indexed in ${loadTime}`);
console.log(
  `references rewritten: ${placeholders} fullUrl (urn:uuid) and ${conditional} conditional (Type?identifier=…); ${reused} conditional creates matched an existing resource\n`,
);
console.log("resources per type      in data  indexed");
for (const [type, n] of Object.entries(inData).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
  console.log(`  ${type.padEnd(24)}${String(n).padStart(7)}${String(indexed[type] ?? 0).padStart(9)}`);
}

// ---- 2. The oracle: every parameter's FHIRPath evaluated once per resource, then cached.

const oracle = new Oracle(resources, NOW);
const evalStart = performance.now();
let evaluations = 0;
const valuesByKind = new Map<string, number>();
const addKind = (kind: string, n: number) => valuesByKind.set(kind, (valuesByKind.get(kind) ?? 0) + n);
for (const r of resources) {
  for (const def of paramsFor(r.resourceType).values()) {
    if (!def.expression || def.type === "special") continue;
    evaluations++;
    if (def.type === "composite") {
      addKind(
        "composite",
        oracle.compositeSamples(r, def.code).filter((groups) => groups.every((g) => g.length > 0)).length,
      );
      continue;
    }
    const nodes = oracle.values(r, def.code);
    addKind(def.type, nodes.length);
    if (def.type === "reference")
      addKind(
        "reference:identifier",
        nodes.filter((n) => (n.data as { identifier?: unknown } | null)?.identifier).length,
      );
  }
}
const evalTime = seconds(evalStart);
console.log(
  `\nFHIRPath: ${evaluations} parameter expressions evaluated (one per resource and parameter) in ${evalTime}`,
);
console.log(`values found: ${[...valuesByKind].map(([k, n]) => `${k} ${n}`).join(", ")}`);

// ---- 3. Queries.

const genStart = performance.now();
const single = generateQueries(resources, oracle, perParam);
const combined = generateCombinedQueries(resources, oracle, perParam);
const driven = withDriver(resources, single, 99);
const seen = new Set<string>();
const queries: [string, string][] = [];
for (const [type, query] of [...single, ...driven, ...combined]) {
  if (seen.has(`${type}?${query}`)) continue;
  seen.add(`${type}?${query}`);
  queries.push([type, query]);
}
const genTime = seconds(genStart);
console.log(
  `\n${queries.length} distinct queries generated in ${genTime} (${single.length} single-parameter, ${driven.length} with an _id driver, ${combined.length} combined; --per-param ${perParam})`,
);

/** Coverage categories a parsed request falls in. */
function categories(request: SearchRequest): Set<string> {
  const out = new Set<string>();
  if (request.filters.length > 1) out.add("AND");
  const visit = (f: SearchFilter): void => {
    switch (f.kind) {
      case "chain":
        out.add(f.next.kind === "chain" ? "chain (2 hops)" : "chain");
        if (f.explicitType) out.add("chain :[type]");
        visit(f.next);
        return;
      case "has":
        out.add(f.next.kind === "has" ? "_has (nested)" : "_has");
        visit(f.next);
        return;
      case "param": {
        if (f.values.length > 1) out.add("OR");
        if (f.code === "_id" || f.code === "_lastUpdated") {
          out.add(f.modifier ? `${f.code}:${f.modifier}` : f.code);
          return;
        }
        const mod = f.targetType ? ":[type]" : f.modifier ? `:${f.modifier}` : "";
        out.add(`${f.paramType}${mod}`);
        if (
          (f.paramType === "date" || f.paramType === "number" || f.paramType === "quantity") &&
          f.modifier !== "missing"
        ) {
          for (const v of f.values) out.add(`${f.paramType} ${v.prefix ?? "eq"}`);
        }
      }
    }
  };
  for (const f of request.filters) visit(f);
  // a token and a quantity AND-ed (the compiler may answer them with a composite)
  const plain = (t: string) =>
    request.filters.some((f) => f.kind === "param" && f.paramType === t && f.modifier === undefined);
  if (plain("token") && plain("quantity")) out.add("token & quantity");
  return out;
}

const PARAM_TYPES = ["string", "token", "reference", "date", "number", "quantity", "uri", "composite"];
const REQUIRED = [
  "string",
  "string:exact",
  "string:contains",
  "string:missing",
  "token",
  "token:not",
  "token:text",
  "token:missing",
  "reference",
  "reference:[type]",
  "reference:identifier",
  "reference:missing",
  "date",
  "date:missing",
  ...["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"].map((p) => `date ${p}`),
  "number",
  "number:missing",
  ...["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"].map((p) => `number ${p}`),
  "quantity",
  "quantity:missing",
  ...["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"].map((p) => `quantity ${p}`),
  "uri",
  "uri:above",
  "uri:below",
  "uri:missing",
  "composite",
  "token & quantity",
  "OR",
  "AND",
  "chain",
  "chain :[type]",
  "chain (2 hops)",
  "_has",
  "_has (nested)",
  "_id",
  "_lastUpdated",
];

// ---- 4. Run every query on both sides.

const statements = new Map<string, StatementSync>();
const prepare = (sql: string) => {
  let s = statements.get(sql);
  if (!s) statements.set(sql, (s = index.db.prepare(sql)));
  return s;
};

/** All matches, page by page as a client follows next links (same compile as searchPage, clock pinned), and the count. */
function serverSearch(request: SearchRequest): { ids: string[]; total: number; pages: number } {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  let total = -1;
  for (;;) {
    const compiled = compileSearch(
      { ...request, count: PAGE, ...(cursor === undefined ? {} : { cursor }) },
      { now: NOW, maxCount: PAGE },
    );
    if (total < 0) total = Number((prepare(compiled.countSql).get(...compiled.countArgs) as { total: number }).total);
    const rows = prepare(compiled.sql).all(...compiled.args) as Record<string, unknown>[];
    const page = rows.slice(0, compiled.limit);
    for (const row of page) ids.push(keyOfRid.get(Number(row.rid)) ?? `?rid=${String(row.rid)}`);
    pages++;
    if (rows.length <= compiled.limit || page.length === 0) break;
    cursor = compiled.nextCursor(page.at(-1)!);
  }
  return { ids, total, pages };
}

interface Stat {
  queries: number;
  nonEmpty: number;
  mismatches: number;
  sqlMs: number;
  oracleMs: number;
}
const stats = new Map<string, Stat>();
const mismatches: { type: string; query: string; detail: string }[] = [];
let sqlMs = 0;
let oracleMs = 0;
let nonEmpty = 0;
let pagesTotal = 0;
const slowest: { ms: number; label: string }[] = [];
const runStart = performance.now();
let lastProgress = runStart;
for (const [i, [type, query]] of queries.entries()) {
  let request: SearchRequest;
  let cats = new Set<string>(["(unparsed)"]);
  let detail: string | undefined;
  let hasResults = false;
  let ms = 0;
  let oms = 0;
  try {
    request = parseSearchRequest(type, new URLSearchParams(query));
    cats = categories(request);
    if (request.unknown.length > 0) throw new Error(`parameters not understood: ${JSON.stringify(request.unknown)}`);
    let t = performance.now();
    const server = serverSearch(request);
    ms = performance.now() - t;
    sqlMs += ms;
    pagesTotal += server.pages;
    slowest.push({ ms, label: `${type}?${decodeURIComponent(query)}` });
    if (slowest.length > 50) slowest.sort((a, b) => b.ms - a.ms).splice(10);
    t = performance.now();
    const expected = oracle.search(request);
    oms = performance.now() - t;
    oracleMs += oms;
    hasResults = expected.length > 0;
    if (server.ids.join("\n") !== expected.join("\n") || server.total !== expected.length) {
      const got = new Set(server.ids);
      const want = new Set(expected);
      const onlyServer = server.ids.filter((id) => !want.has(id));
      const onlyOracle = expected.filter((id) => !got.has(id));
      detail =
        `server ${server.ids.length} (count ${server.total}), oracle ${expected.length}` +
        (onlyServer.length > 0
          ? `; only on the server (${onlyServer.length}): ${onlyServer.slice(0, 5).join(" ")}`
          : "") +
        (onlyOracle.length > 0
          ? `; only in the oracle (${onlyOracle.length}): ${onlyOracle.slice(0, 5).join(" ")}`
          : "") +
        (onlyServer.length === 0 && onlyOracle.length === 0 ? "; same set, different order or count" : "");
    }
  } catch (error) {
    detail = `error: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (hasResults) nonEmpty++;
  for (const c of cats) {
    let s = stats.get(c);
    if (!s) stats.set(c, (s = { queries: 0, nonEmpty: 0, mismatches: 0, sqlMs: 0, oracleMs: 0 }));
    s.queries++;
    s.sqlMs += ms;
    s.oracleMs += oms;
    if (hasResults) s.nonEmpty++;
    if (detail) s.mismatches++;
  }
  if (detail) mismatches.push({ type, query, detail });
  if (performance.now() - lastProgress > 15_000) {
    lastProgress = performance.now();
    process.stderr.write(
      `  … ${i + 1}/${queries.length} queries, ${mismatches.length} mismatches, ${seconds(runStart)}\n`,
    );
  }
}
const runTime = seconds(runStart);

// ---- 5. Report.

console.log("\ncategory                 queries  with results  mismatches   SQL s  oracle s");
const order = [...REQUIRED, ...[...stats.keys()].filter((k) => !REQUIRED.includes(k)).sort()];
/** Categories without queries, by parameter type when the data has no value of that type at all. */
const noData = new Map<string, string[]>();
for (const c of order) {
  const s = stats.get(c);
  if (!s) {
    const kind = c.split(/[ :]/)[0]!;
    const found = c === "reference:identifier" ? valuesByKind.get(c) : valuesByKind.get(kind);
    if (PARAM_TYPES.includes(kind) && (found ?? 0) === 0) noData.set(kind, [...(noData.get(kind) ?? []), c]);
    else console.log(`  ${c.padEnd(22)}${"0".padStart(8)}  NOT COVERED by the generator`);
    continue;
  }
  const secs = (n: number) => (n / 1000).toFixed(1).padStart(8);
  console.log(
    `  ${c.padEnd(22)}${String(s.queries).padStart(8)}${String(s.nonEmpty).padStart(14)}${String(s.mismatches).padStart(12)}${secs(s.sqlMs)}${secs(s.oracleMs)}`,
  );
}
for (const [kind, cats] of noData) {
  const withKind = searchableTypes().filter((t) =>
    [...paramsFor(t).values()].some((d) => d.type === kind && d.expression),
  );
  console.log(
    `  ${cats.join(", ")}: 0 queries, no usable data: no resource in this data set has a value for a ${kind} parameter` +
      (withKind.length <= 6 ? ` (R4 has ${kind} parameters only on ${withKind.join(", ")})` : ""),
  );
}
console.log(
  `\n${queries.length} queries, ${nonEmpty} with results, ${pagesTotal} result pages of up to ${PAGE} fetched; ${mismatches.length} mismatches`,
);
for (const m of mismatches.slice(0, show))
  console.log(`  MISMATCH ${m.type}?${decodeURIComponent(m.query)}\n    ${m.detail}`);
if (mismatches.length > show) console.log(`  … and ${mismatches.length - show} more`);

slowest.sort((a, b) => b.ms - a.ms);
const cpu = process.cpuUsage();
console.log(
  `\ntiming: load ${loadTime}, FHIRPath ${evalTime}, generation ${genTime}, queries ${runTime} (SQL ${(sqlMs / 1000).toFixed(1)} s, oracle ${(oracleMs / 1000).toFixed(1)} s)`,
);
console.log(
  `total ${seconds(started)} wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU (wall exceeds CPU when other processes share the cores); peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
);
console.log(
  `slowest SQL: ${slowest
    .slice(0, 3)
    .map((s) => `${s.ms.toFixed(0)} ms ${s.label.slice(0, 120)}`)
    .join("\n             ")}`,
);
index.close();
process.exitCode = mismatches.length > 0 ? 1 : 0;
