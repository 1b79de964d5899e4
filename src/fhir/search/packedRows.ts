import type { QuantityRow, SearchRow } from "./extractSearchValues.ts";

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

type QuantityFields = Omit<QuantityRow, "kind" | "param" | "grp">;
const QUANTITY_FIELDS = 6;

const KIND_CODE = {
  string: 0,
  token: 1,
  date: 2,
  number: 3,
  quantity: 4,
  reference: 5,
  uri: 6,
  "token-quantity": 7,
} as const satisfies Record<SearchRow["kind"], number>;

/** Packs the rows of several resources into one PackedRows; `add` returns each one's slice. */
export class RowPacker {
  readonly #packed: PackedRows = { strings: [], numbers: new Float64Array(0) };
  readonly #indexes = new Map<string, number>();
  #numbers: number[] = [];

  add(rows: readonly SearchRow[]): RowSlice {
    const n = this.#numbers;
    const start = n.length;
    for (const r of rows) {
      n.push(KIND_CODE[r.kind], this.#string(r.param), r.grp);
      switch (r.kind) {
        case "string":
          n.push(this.#string(r.value), this.#string(r.norm));
          break;
        case "token":
          n.push(this.#string(r.system), this.#string(r.code), this.#string(r.text));
          break;
        case "date":
          n.push(r.lo, r.hi);
          break;
        case "number":
          n.push(r.value);
          break;
        case "quantity":
          this.#quantity(r);
          break;
        case "reference":
          n.push(this.#string(r.targetType), this.#string(r.targetId), this.#string(r.url));
          break;
        case "uri":
          n.push(this.#string(r.value));
          break;
        case "token-quantity":
          n.push(this.#string(r.tokenSystem), this.#string(r.tokenCode));
          this.#quantity(r);
          break;
      }
    }
    return { packed: this.#packed, start, end: n.length };
  }

  /** Completes the PackedRows every slice handed out refers to. */
  finish(): PackedRows {
    this.#packed.numbers = Float64Array.from(this.#numbers);
    this.#numbers = [];
    return this.#packed;
  }

  /** The quantity fields, shared by quantity and token×quantity rows (QUANTITY_FIELDS numbers). */
  #quantity(r: QuantityFields): void {
    this.#numbers.push(
      r.value,
      this.#string(r.system),
      this.#string(r.code),
      this.#string(r.unit),
      r.normValue ?? Number.NaN,
      this.#string(r.normUnit),
    );
  }

  #string(value: string | null): number {
    if (value === null) return -1;
    let i = this.#indexes.get(value);
    if (i === undefined) {
      i = this.#packed.strings.push(value) - 1;
      this.#indexes.set(value, i);
    }
    return i;
  }
}

/** The rows of a slice as objects again: the index unpacks one resource's as it writes them, so they die young. */
export function unpackRows({ packed: { strings, numbers }, start, end }: RowSlice): SearchRow[] {
  const rows: SearchRow[] = [];
  const str = (i: number) => (numbers[i]! < 0 ? null : strings[numbers[i]!]!);
  const quantity = (i: number): QuantityFields => ({
    value: numbers[i]!,
    system: str(i + 1),
    code: str(i + 2),
    unit: str(i + 3),
    normValue: Number.isNaN(numbers[i + 4]!) ? null : numbers[i + 4]!,
    normUnit: str(i + 5),
  });
  let i = start;
  while (i < end) {
    const kind = numbers[i]!;
    const param = strings[numbers[i + 1]!]!;
    const grp = numbers[i + 2]!;
    i += 3;
    switch (kind) {
      case KIND_CODE.string:
        rows.push({ kind: "string", param, grp, value: str(i)!, norm: str(i + 1)! });
        i += 2;
        break;
      case KIND_CODE.token:
        rows.push({ kind: "token", param, grp, system: str(i), code: str(i + 1), text: str(i + 2) });
        i += 3;
        break;
      case KIND_CODE.date:
        rows.push({ kind: "date", param, grp, lo: numbers[i]!, hi: numbers[i + 1]! });
        i += 2;
        break;
      case KIND_CODE.number:
        rows.push({ kind: "number", param, grp, value: numbers[i]! });
        i += 1;
        break;
      case KIND_CODE.quantity:
        rows.push({ kind: "quantity", param, grp, ...quantity(i) });
        i += QUANTITY_FIELDS;
        break;
      case KIND_CODE.reference:
        rows.push({ kind: "reference", param, grp, targetType: str(i), targetId: str(i + 1), url: str(i + 2) });
        i += 3;
        break;
      case KIND_CODE.uri:
        rows.push({ kind: "uri", param, grp, value: str(i)! });
        i += 1;
        break;
      case KIND_CODE["token-quantity"]:
        rows.push({
          kind: "token-quantity",
          param,
          grp,
          tokenSystem: str(i),
          tokenCode: str(i + 1)!,
          ...quantity(i + 2),
        });
        i += 2 + QUANTITY_FIELDS;
        break;
      default:
        throw new Error(`packed search rows: unknown kind ${kind} at ${i - 3}`);
    }
  }
  return rows;
}
