import type { PreparedSearchRows } from "../../ports/VersionStore.ts";
import { ROW_CODECS, type RowCodec, type SearchRow } from "./types/index.ts";

/**
 * Search rows of many resources in two flat columns: every distinct string once, and one
 * Float64Array holding, per row, its kind, parameter and group followed by its kind's fields
 * (strings as their index in `strings`, -1 for null; numbers as themselves, NaN for null).
 *
 * This is how rows travel from the preparation worker to the index. As objects, a Blaze
 * import's 1.4 million rows cost the main thread ~500 MB of structured-clone copies (an object
 * and its own copy of "token", "code", "http://loinc.org"... per row), all alive until the
 * commit; packed, the numbers are transferred and only the distinct strings are copied.
 */
export interface PackedRows {
  strings: string[];
  numbers: Float64Array;
}

/** One resource's rows: [start, end) of a PackedRows' numbers. */
export interface RowSlice {
  packed: PackedRows;
  start: number;
  end: number;
}

/** Per kind of row: its packed kind (its position in ROW_CODECS) and its codec. */
const KINDS = Object.fromEntries(ROW_CODECS.map((codec, code) => [codec.kind, { code, codec }])) as Record<
  SearchRow["kind"],
  { code: number; codec: RowCodec }
>;

/** Packs the rows of several resources into one PackedRows; `add` returns each one's slice. */
export class RowPacker {
  readonly #packed: PackedRows = { strings: [], numbers: new Float64Array(0) };
  readonly #indexes = new Map<string, number>();
  #numbers: number[] = [];

  /** The index of a string in `strings` (added when new), -1 for null. */
  readonly #str = (value: string | null): number => {
    if (value === null) return -1;
    let i = this.#indexes.get(value);
    if (i === undefined) {
      i = this.#packed.strings.push(value) - 1;
      this.#indexes.set(value, i);
    }
    return i;
  };

  add(rows: readonly SearchRow[]): RowSlice {
    const n = this.#numbers;
    const str = this.#str;
    const start = n.length;
    for (const r of rows) {
      const { code, codec } = KINDS[r.kind];
      n.push(code, str(r.param), r.grp);
      codec.pack(r, n, str);
    }
    return { packed: this.#packed, start, end: n.length };
  }

  /** Completes the PackedRows every slice handed out refers to. */
  finish(): PackedRows {
    this.#packed.numbers = Float64Array.from(this.#numbers);
    this.#numbers = [];
    return this.#packed;
  }
}

/** The rows of a slice as objects again: the index unpacks one resource's as it writes them, so they die young. */
export function unpackRows({ packed: { strings, numbers }, start, end }: RowSlice): SearchRow[] {
  const rows: SearchRow[] = [];
  const str = (i: number) => (numbers[i]! < 0 ? null : strings[numbers[i]!]!);
  let i = start;
  while (i < end) {
    const kind = numbers[i]!;
    const param = strings[numbers[i + 1]!]!;
    const grp = numbers[i + 2]!;
    i += 3;
    const codec = ROW_CODECS[kind];
    if (codec === undefined) throw new Error(`packed search rows: unknown kind ${kind} at ${i - 3}`);
    rows.push(codec.unpack(numbers, i, str, param, grp));
    i += codec.width;
  }
  return rows;
}

/** A slice as the opaque rows a VersionWrite carries to the index. */
export function asPreparedSearchRows(slice: RowSlice): PreparedSearchRows {
  return slice as unknown as PreparedSearchRows;
}

/** Back from the opaque form: what `asPreparedSearchRows` was given. */
export function fromPreparedSearchRows(rows: PreparedSearchRows): RowSlice {
  return rows as unknown as RowSlice;
}
