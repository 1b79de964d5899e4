import type { SQLInputValue } from "node:sqlite";
import { parseComponentValue } from "../../../../../fhir/search/parseComponentValue.ts";
import { searchParameterByUrl, type SearchParamDef } from "../../../../../fhir/search/searchParameters.ts";
import { splitUnescaped } from "../../../../../fhir/search/searchValueSyntax.ts";
import type { ParamFilter, SearchParamType, SearchValue } from "../../../../../ports/SearchRequest.ts";
import { isTokenQuantityComposite } from "../../../../../fhir/search/tokenQuantityComposites.ts";
import type { TokenQuantityRow } from "../../../../../fhir/search/types/index.ts";
import type { SqlFragment } from "../compileSearch.ts";
import { countTerms, type Ctx, type Form, invalid, nextAlias, rowsCondition } from "../conditionParts.ts";
import { quantityAlternatives, tokenCondition } from "../rowConditions.ts";
import { QUANTITY_COLUMNS } from "./quantity.ts";
import type { ParamSite, RowWriter, SqlSearchType } from "./SqlSearchType.ts";
import { sealOrNull } from "../searchKey.ts";

const writer: RowWriter<TokenQuantityRow> = {
  kind: "token-quantity",
  table: "sp_token_quantity",
  seqPerParam: true,
  run: (s, rid, type, seq, r, key) =>
    s.run(
      rid,
      type,
      r.param,
      seq,
      r.grp,
      sealOrNull(key, r.tokenSystem),
      key.seal(r.tokenCode),
      r.value,
      r.system,
      r.code,
      r.unit,
      r.normValue,
      r.normUnit,
    ),
};

/**
 * sp_token_quantity holds rows of live resources of the row's own type only, enforced by the
 * database rather than left to the writers: rows of a resource that is deleted, erased or
 * retyped go with it, and a row for anything else is refused. A count of matching pairs is
 * then a count of matching resources, which compileSearch reads from the index alone.
 * (The other tables rely on the writers, and every search joins `resources` for them.)
 */
const PAIR_TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS sp_token_quantity_live BEFORE INSERT ON sp_token_quantity
WHEN NOT EXISTS (SELECT 1 FROM resources WHERE rid = NEW.rid AND type = NEW.type AND deleted = 0)
BEGIN SELECT RAISE(ABORT, 'sp_token_quantity: resource is not live'); END;
CREATE TRIGGER IF NOT EXISTS sp_token_quantity_fixed BEFORE UPDATE OF rid, type ON sp_token_quantity
BEGIN SELECT RAISE(ABORT, 'sp_token_quantity: rows do not move'); END;
CREATE TRIGGER IF NOT EXISTS resources_gone_pairs AFTER UPDATE OF rid, type, deleted ON resources
WHEN NEW.deleted <> 0 OR NEW.type IS NOT OLD.type OR NEW.rid <> OLD.rid
BEGIN DELETE FROM sp_token_quantity WHERE rid = OLD.rid; END;
CREATE TRIGGER IF NOT EXISTS resources_removed_pairs AFTER DELETE ON resources
BEGIN DELETE FROM sp_token_quantity WHERE rid = OLD.rid; END;
`;

/**
 * composite: components are rows of their own types' tables (`<code>$<index>`, tied by grp),
 * except token×quantity composites, one sp_token_quantity row per pair (see filterConditions).
 */
export const compositeSql: SqlSearchType = {
  table: {
    name: "sp_token_quantity",
    columns: `token_system BLOB, token_code BLOB NOT NULL, ${QUANTITY_COLUMNS}`,
    // A token-equality + quantity-range match (code-value-quantity=loinc|8867-4$gt100) is one range
    // of the first index; with a UCUM unit, one range of the second.
    indexes: `
CREATE INDEX IF NOT EXISTS sp_token_quantity_value ON sp_token_quantity(type, param, token_code, token_system, value);
CREATE INDEX IF NOT EXISTS sp_token_quantity_norm ON sp_token_quantity(type, param, token_code, token_system, norm_unit, norm_value) WHERE norm_unit IS NOT NULL;`,
  },
  ddl: PAIR_TRIGGERS,
  writers: [writer],
  paramCondition(f, def, site) {
    if (typeof site.scope !== "string") throw invalid("composite parameters need a single type");
    if (isTokenQuantityComposite(def))
      return pairCondition(
        { kind: "pair", def, values: parsePairs(def, f, site.ctx) },
        site.type,
        site.a,
        site.ctx,
        site.form,
      );
    return compositeCondition(def, f, site);
  },
  selectivity: () => 2,
};

/** A token×quantity composite condition with its values parsed: OR-ed [token, quantity] alternatives. */
export interface PairFilter {
  kind: "pair";
  def: SearchParamDef;
  values: [SearchValue, SearchValue][];
}

export function parsePairs(def: SearchParamDef, f: ParamFilter, ctx: Ctx): [SearchValue, SearchValue][] {
  if (f.values.length === 0) throw invalid(`No value for ${f.code}`);
  if (f.values.length > ctx.maxOrValues) throw invalid(`More than ${ctx.maxOrValues} values for one parameter`);
  return f.values.map((v) => {
    const pieces = splitUnescaped(v.value, "$");
    if (pieces.length !== 2) throw invalid(`${f.code} needs ${def.component.length} values separated by $`);
    return [parseComponentValue("token", pieces[0]!), parseComponentValue("quantity", pieces[1]!)];
  });
}

/** A token×quantity composite: rows of sp_token_quantity whose token and quantity both match one alternative. */
export function pairCondition(f: PairFilter, type: string, a: string, ctx: Ctx, form: Form): SqlFragment {
  countTerms(ctx, f.values.length);
  const x = nextAlias(ctx, "p");
  return rowsCondition(form, false, a, "sp_token_quantity", x, type, f.def.code, pairRowCondition(f, x, ctx));
}

/**
 * (token AND quantity) per alternative, a UCUM quantity's two alternatives included: each
 * branch of the OR is one range of an index on (token_code, token_system, …).
 */
function pairRowCondition(f: PairFilter, x: string, _ctx: Ctx): SqlFragment {
  const parts = f.values.flatMap(([t, q]) => {
    const tc = tokenCondition(`${x}.token_system`, `${x}.token_code`, t);
    return quantityAlternatives(x, q).map((qc) => ({
      sql: `(${tc.sql} AND ${qc.sql})`,
      args: [...tc.args, ...qc.args],
    }));
  });
  return { sql: parts.map((p) => p.sql).join(" OR "), args: parts.flatMap((p) => p.args) };
}

/**
 * The count of a search whose one condition is a token×quantity pair, from the pair index
 * alone: sp_token_quantity holds rows of live resources of the row's type only (enforced by
 * triggers, see searchSchema), so `resources r WHERE r.type = ? AND r.deleted = 0` would keep
 * every rid found. Not with a policy condition, which is on `r`.
 */
export function pairCount(f: PairFilter, type: string, ctx: Ctx): SqlFragment {
  const x = nextAlias(ctx, "p");
  const c = pairRowCondition(f, x, ctx);
  return {
    sql: `SELECT count(DISTINCT ${x}.rid) AS total FROM sp_token_quantity ${x} WHERE ${x}.type = ? AND ${x}.param = ? AND (${c.sql})`,
    args: [type, f.def.code, ...c.args],
  };
}

function compositeCondition(
  def: SearchParamDef,
  f: ParamFilter,
  { type, a, ctx, tableOf, rowCondition }: ParamSite,
): SqlFragment {
  const components = def.component.map((c) => searchParameterByUrl(c.definition)?.type as SearchParamType | undefined);
  if (components.length === 0 || components.some((t) => !t || t === "composite" || t === "special")) {
    throw invalid(`${f.code} is not supported`);
  }
  const alternatives: SqlFragment[] = f.values.map((v) => {
    const pieces = splitUnescaped(v.value, "$");
    if (pieces.length !== components.length)
      throw invalid(`${f.code} needs ${components.length} values separated by $`);
    const aliases = components.map(() => nextAlias(ctx, "c"));
    const from: string[] = [];
    const conds: string[] = [];
    const args: SQLInputValue[] = [];
    const joinArgs: SQLInputValue[] = [];
    components.forEach((t, i) => {
      const table = tableOf(t!);
      const x = aliases[i]!;
      if (i === 0) from.push(`${table} ${x}`);
      else {
        from.push(
          `JOIN ${table} ${x} ON ${x}.rid = ${aliases[0]}.rid AND ${x}.grp = ${aliases[0]}.grp AND ${x}.param = ?`,
        );
        joinArgs.push(`${f.code}$${i}`);
      }
      const c = rowCondition(t!, x, parseComponentValue(t!, pieces[i]!));
      conds.push(c.sql);
      args.push(...c.args);
    });
    const c0 = aliases[0]!;
    return {
      sql: `${a}.rid IN (SELECT ${c0}.rid FROM ${from.join(" ")} WHERE ${c0}.type = ? AND ${c0}.param = ? AND ${conds.join(" AND ")})`,
      args: [...joinArgs, type, `${f.code}$0`, ...args],
    };
  });
  return { sql: `(${alternatives.map((p) => p.sql).join(" OR ")})`, args: alternatives.flatMap((p) => p.args) };
}
