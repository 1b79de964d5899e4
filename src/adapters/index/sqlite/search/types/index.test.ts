import { describe, expect, it } from "vitest";
import { ROW_CODECS, SEARCH_TYPES } from "../../../../../fhir/search/types/index.ts";
import { SEARCH_SCHEMA } from "../searchSchema.ts";
import { SQL_SEARCH_TYPES } from "./index.ts";

describe("search-parameter type registries", () => {
  it("give every type both halves, and every kind of row a writer into a table of the schema", () => {
    expect(Object.keys(SQL_SEARCH_TYPES)).toEqual(Object.keys(SEARCH_TYPES));
    const writers = Object.values(SQL_SEARCH_TYPES).flatMap((t) => t.writers);
    expect(writers.map((w) => w.kind).sort()).toEqual(ROW_CODECS.map((c) => c.kind).sort());
    for (const w of writers) expect(SEARCH_SCHEMA).toContain(`CREATE TABLE IF NOT EXISTS ${w.table} (`);
  });

  it("let every searchable value type be matched and every sortable one be sorted", () => {
    for (const [type, engine] of Object.entries(SEARCH_TYPES)) {
      const sql = SQL_SEARCH_TYPES[type as keyof typeof SEARCH_TYPES];
      if (engine.searchable) expect(sql.rowCondition ?? sql.paramCondition, type).toBeDefined();
      if (engine.sortable) expect(sql.sortColumn, type).toBeDefined();
    }
  });
});
