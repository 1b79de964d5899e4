import type { SQLInputValue } from "node:sqlite";
import { FhirLedgerError } from "../../../../errors/FhirLedgerError.ts";
import { paramFor } from "../../../../fhir/search/searchParameters.ts";
import type { IncludeSpec } from "../../../../ports/SearchRequest.ts";
import type { SqlFragment } from "./compileSearch.ts";

export interface CompileIncludeOptions {
  /** policy condition on the included resource, written against the alias given */
  where?: (alias: string) => SqlFragment;
  /** most source rows accepted in one call (default 10000) */
  maxSources?: number;
}

/**
 * SQL selecting the `rid`s that `_include` (targets of the page's references) or
 * `_revinclude` (resources referring to the page) adds for one spec. The page's rids are
 * bound as one JSON array. For `:iterate`, call again with the newly added rids.
 * @see https://hl7.org/fhir/R4/search.html#include
 */
export function compileInclude(
  kind: "include" | "revinclude",
  spec: IncludeSpec,
  rids: readonly (number | bigint)[],
  options: CompileIncludeOptions = {},
): SqlFragment {
  if (rids.length > (options.maxSources ?? 10_000)) {
    // the request is well-formed; what it asks for costs too much (issue type too-costly)
    const message = `Too many resources to include from (more than ${options.maxSources ?? 10_000}); narrow the search or drop the :iterate`;
    throw new FhirLedgerError("invalid", message, { issues: [{ type: "too-costly", diagnostics: message }] });
  }
  if (spec.param !== "*" && spec.sourceType !== "*" && paramFor(spec.sourceType, spec.param)?.type !== "reference") {
    throw new FhirLedgerError("invalid", `${spec.sourceType}:${spec.param} is not a reference parameter`);
  }
  const ridsJson = JSON.stringify(rids.map((r) => Number(r)));
  const where: string[] = [];
  const args: SQLInputValue[] = [];
  const filter = (sql: string, ...values: SQLInputValue[]) => {
    where.push(sql);
    args.push(...values);
  };
  if (kind === "include") {
    filter("x.rid IN (SELECT value FROM json_each(?))", ridsJson);
    filter("x.grp = 0");
    if (spec.sourceType !== "*") filter("x.type = ?", spec.sourceType);
    if (spec.param !== "*") filter("x.param = ?", spec.param);
    if (spec.targetType) filter("x.target_type = ?", spec.targetType);
    filter("i.deleted = 0");
    addPolicy(options, where, args);
    return {
      sql:
        "SELECT DISTINCT i.rid FROM sp_reference x JOIN resources i ON i.type = x.target_type AND i.id = x.target_id " +
        `WHERE ${where.join(" AND ")}`,
      args,
    };
  }
  if (spec.sourceType === "*" || spec.param === "*")
    throw new FhirLedgerError("invalid", "_revinclude needs a type and parameter");
  filter("t.rid IN (SELECT value FROM json_each(?))", ridsJson);
  filter("x.type = ?", spec.sourceType);
  filter("x.param = ?", spec.param);
  if (spec.targetType) filter("t.type = ?", spec.targetType);
  filter("i.deleted = 0");
  addPolicy(options, where, args);
  return {
    sql:
      "SELECT DISTINCT i.rid FROM resources t JOIN sp_reference x ON x.target_id = t.id AND x.target_type = t.type " +
      `JOIN resources i ON i.rid = x.rid WHERE ${where.join(" AND ")}`,
    args,
  };
}

function addPolicy(options: CompileIncludeOptions, where: string[], args: SQLInputValue[]): void {
  if (!options.where) return;
  const p = options.where("i");
  where.push(`(${p.sql})`);
  args.push(...p.args);
}
