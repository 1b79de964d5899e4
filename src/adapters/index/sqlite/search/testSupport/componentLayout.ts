import type { SearchRow } from "../../../../../fhir/search/extractSearchValues.ts";

/**
 * `rows` as the layout before sp_token_quantity stored them: each token×quantity composite
 * as component rows (`<code>$0` tokens, `<code>$1` quantities) tied by grp, for migration tests.
 */
export function componentLayoutRows(rows: readonly SearchRow[]): SearchRow[] {
  const out: SearchRow[] = [];
  let group: { key: string; tokens: SearchRow[]; quantities: SearchRow[]; seen: Set<string> } | undefined;
  const flush = () => {
    if (group) out.push(...group.tokens, ...group.quantities);
    group = undefined;
  };
  for (const r of rows) {
    if (r.kind !== "token-quantity") {
      flush();
      out.push(r);
      continue;
    }
    const key = `${r.param}\u0000${r.grp}`;
    if (group?.key !== key) {
      flush();
      group = { key, tokens: [], quantities: [], seen: new Set() };
    }
    const token = `t\u0000${r.tokenSystem}\u0000${r.tokenCode}`;
    if (!group.seen.has(token)) {
      group.seen.add(token);
      group.tokens.push({
        kind: "token",
        param: `${r.param}$0`,
        grp: r.grp,
        system: r.tokenSystem,
        code: r.tokenCode,
        text: null,
      });
    }
    const quantity = `q\u0000${r.value}\u0000${r.system}\u0000${r.code}\u0000${r.unit}`;
    if (!group.seen.has(quantity)) {
      group.seen.add(quantity);
      group.quantities.push({
        kind: "quantity",
        param: `${r.param}$1`,
        grp: r.grp,
        value: r.value,
        system: r.system,
        code: r.code,
        unit: r.unit,
        normValue: r.normValue,
        normUnit: r.normUnit,
      });
    }
  }
  flush();
  return out;
}
