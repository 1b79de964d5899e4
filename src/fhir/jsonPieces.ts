import { parseJson } from "../json/preciseJson.ts";

/**
 * A JSON body in pieces: text, and stored resources as their stored bytes. A large body (a
 * searchset, a batch response) is written out piece by piece as it is produced, never built as
 * one string, and its resources are never parsed and serialized again.
 */
export type JsonPieces = Iterable<string | Uint8Array>;

const UTF8 = new TextDecoder();

/** The body the pieces make, parsed: for callers that want the object (and tests). */
export function parsePieces(pieces: JsonPieces): Record<string, unknown> {
  let text = "";
  for (const piece of pieces) text += typeof piece === "string" ? piece : UTF8.decode(piece);
  return parseJson(text) as Record<string, unknown>;
}

/** The JSON of a resource as stored (its bytes, else its text), when it was loaded from storage. */
export function storedJson(stored: { bytes?: Uint8Array | null; text?: string | null }): string | Uint8Array | null {
  return stored.bytes ?? stored.text ?? null;
}

/**
 * `{"a":1,…` of an object written whole, then `pieces` as the value of member `name`, then
 * the members of `after`: an object one of whose members is written in pieces.
 */
export function* objectWithPieces(
  before: Record<string, unknown>,
  name: string,
  pieces: JsonPieces,
  after: Record<string, unknown>,
  stringify: (value: unknown) => string,
): Generator<string | Uint8Array> {
  const head = stringify(before);
  yield head === "{}" ? "{" : `${head.slice(0, -1)},`;
  yield `${JSON.stringify(name)}:`;
  yield* pieces;
  const tail = stringify(after);
  yield tail === "{}" ? "}" : `,${tail.slice(1)}`;
}

/** `[a,b,…]` of items each written in pieces. */
export function* arrayPieces(items: readonly (() => JsonPieces)[]): Generator<string | Uint8Array> {
  yield "[";
  for (const [i, item] of items.entries()) {
    if (i > 0) yield ",";
    yield* item();
  }
  yield "]";
}

/**
 * A result whose body is written in pieces (see FhirResult.pieces); `resource`, the same body
 * as an object, is parsed from them only when a caller asks for it.
 */
export class PiecesResult {
  readonly status: number;
  readonly #pieces: () => JsonPieces;
  #parsed: Record<string, unknown> | undefined;

  constructor(status: number, pieces: () => JsonPieces) {
    this.status = status;
    this.#pieces = pieces;
  }

  pieces(): JsonPieces {
    return this.#pieces();
  }

  get resource(): Record<string, unknown> {
    this.#parsed ??= parsePieces(this.#pieces());
    return this.#parsed;
  }
}
