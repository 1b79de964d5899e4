import { classifyImportFile } from "./classifyImportFile.ts";
import type { Unit } from "./importTypes.ts";
import { isPackable } from "./isPackable.ts";

/** Packs stay well under the server's default body limit (32 MiB; it was 8 MiB). */
const PACK_MAX_BYTES = 6 * 1024 * 1024;

/**
 * The files as units of work, in order: consecutive plain transaction bundles are packed
 * (up to `packEntries` entries and PACK_MAX_BYTES; 1 packs nothing). One generator forms the
 * packs for every worker, so the packs, and with them their idempotency keys, depend only on
 * the files and the progress file, never on timing: a resumed run sends the same packs again.
 */
export async function* importUnits(
  list: readonly string[],
  done: Readonly<Record<string, string>>,
  packEntries: number,
): AsyncGenerator<Unit> {
  let next = 0;
  let held: Unit | undefined; // loaded as a candidate that did not fit the pack: its own turn next
  const take = async (): Promise<Unit | undefined> => {
    if (held) {
      const unit = held;
      held = undefined;
      return unit;
    }
    return next < list.length ? classifyImportFile(list[next++]!, done) : undefined;
  };
  for (let unit = await take(); unit !== undefined; unit = await take()) {
    if (packEntries <= 1 || unit.kind !== "bundle" || !isPackable(unit.items[0]!.bundle)) {
      yield unit;
      continue;
    }
    const items = [...unit.items];
    let entries = items[0]!.bundle.entry!.length;
    let bytes = items[0]!.text.length;
    while (entries < packEntries && bytes < PACK_MAX_BYTES) {
      const candidate = await take();
      if (candidate === undefined) break;
      const item = candidate.kind === "bundle" ? candidate.items[0]! : undefined;
      if (
        !item ||
        !isPackable(item.bundle) ||
        entries + item.bundle.entry!.length > packEntries ||
        bytes + item.text.length > PACK_MAX_BYTES
      ) {
        held = candidate;
        break;
      }
      items.push(item);
      entries += item.bundle.entry!.length;
      bytes += item.text.length;
    }
    yield { kind: "bundle", items };
  }
}
