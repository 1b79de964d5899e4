import type { TokenQuantityRow } from "../../../../../fhir/search/types/index.ts";
import { QUANTITY_COLUMNS } from "./quantity.ts";
import type { RowWriter, SqlSearchType } from "./SqlSearchType.ts";

const writer: RowWriter<TokenQuantityRow> = {
  kind: "token-quantity",
  table: "sp_token_quantity",
  seqPerParam: true,
  run: (s, rid, type, seq, r) =>
    s.run(
      rid,
      type,
      r.param,
      seq,
      r.grp,
      r.tokenSystem,
      r.tokenCode,
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
    columns: `token_system TEXT, token_code TEXT NOT NULL, ${QUANTITY_COLUMNS}`,
    // A token-equality + quantity-range match (code-value-quantity=loinc|8867-4$gt100) is one range
    // of the first index; with a UCUM unit, one range of the second.
    indexes: `
CREATE INDEX IF NOT EXISTS sp_token_quantity_value ON sp_token_quantity(type, param, token_code, token_system, value);
CREATE INDEX IF NOT EXISTS sp_token_quantity_norm ON sp_token_quantity(type, param, token_code, token_system, norm_unit, norm_value) WHERE norm_unit IS NOT NULL;`,
  },
  ddl: PAIR_TRIGGERS,
  writers: [writer],
  selectivity: () => 2,
};
