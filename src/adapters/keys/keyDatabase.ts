import { randomBytes } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import { aesGcmDecrypt } from "../../crypto/aesGcmDecrypt.ts";
import { aesGcmEncrypt } from "../../crypto/aesGcmEncrypt.ts";
import { canonicalJson } from "../../crypto/canonicalJson.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { Migration } from "../sqlite/migrate.ts";
import { kekId } from "./kekId.ts";

/** The on-disk format of datakeys.sqlite: wrapped data keys and the wrapped compartment HMAC key. */
export const COMPARTMENT_SECRET = "compartment-hmac";

export interface KeyRow {
  key_id: string;
  compartment_hash: string;
  version: number;
  kek_id: string;
  wrapped: Uint8Array | null;
}

/** The tables of layout 1 (files made before schema versions were numbered hold exactly these). Frozen. */
const KEY_DATABASE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    kek_id TEXT NOT NULL,
    wrapped BLOB NOT NULL
  ) STRICT;
  CREATE TABLE IF NOT EXISTS data_keys (
    key_id TEXT PRIMARY KEY,
    compartment_hash TEXT NOT NULL,
    version INTEGER NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped BLOB,
    created_at TEXT NOT NULL,
    destroyed_at TEXT,
    UNIQUE (compartment_hash, version),
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
  ) STRICT;
`;

/** The layouts of datakeys.sqlite in order (see migrate); a change is a new step at the end. */
export const KEY_DATABASE_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "secrets and data keys", up: (db) => db.exec(KEY_DATABASE_SCHEMA) },
  {
    version: 2,
    name: "token signing keys",
    up: (db) =>
      db.exec(`
        CREATE TABLE IF NOT EXISTS signing_keys (
          kid TEXT PRIMARY KEY,
          alg TEXT NOT NULL,
          kek_id TEXT NOT NULL,
          wrapped BLOB NOT NULL,
          created_at TEXT NOT NULL,
          retired_at TEXT
        ) STRICT;
        CREATE INDEX IF NOT EXISTS signing_keys_by_alg ON signing_keys (alg, created_at);
      `),
  },
];

const encoder = new TextEncoder();

export function keyAad(row: Pick<KeyRow, "key_id" | "compartment_hash" | "version">, kek: string): Uint8Array {
  // Binding compartment and version as well as key id and KEK id means a row moved
  // to another patient no longer unwraps, so erasing one patient cannot miss a key
  // that was slipped under another.
  return encoder.encode(
    canonicalJson({
      purpose: "data-key",
      keyId: row.key_id,
      compartment: row.compartment_hash,
      version: row.version,
      kekId: kek,
    }),
  );
}

export function secretAad(name: string, kek: string): Uint8Array {
  return encoder.encode(canonicalJson({ purpose: "secret", name, kekId: kek }));
}

export function asKeyRow(row: unknown): KeyRow | undefined {
  if (row === undefined) return undefined;
  const r = row as Record<string, unknown>;
  if (
    typeof r.key_id !== "string" ||
    typeof r.compartment_hash !== "string" ||
    typeof r.version !== "number" ||
    typeof r.kek_id !== "string" ||
    !(r.wrapped === null || r.wrapped instanceof Uint8Array)
  ) {
    throw new FhirLedgerError("integrity", "key database row is malformed");
  }
  return r as unknown as KeyRow;
}

export function readSecretRow(db: DatabaseSync): { kek_id: string; wrapped: Uint8Array } | undefined {
  const row = db.prepare("SELECT kek_id, wrapped FROM secrets WHERE name = ?").get(COMPARTMENT_SECRET);
  if (row === undefined) return undefined;
  if (typeof row.kek_id !== "string" || !(row.wrapped instanceof Uint8Array)) {
    throw new FhirLedgerError("integrity", "key database secret row is malformed");
  }
  return { kek_id: row.kek_id, wrapped: row.wrapped };
}

/** The HMAC key that names compartments, wrapped under the KEK so it survives KEK rotation. */
export function openOrCreateCompartmentKey(db: DatabaseSync, kek: Uint8Array): Uint8Array {
  const id = kekId(kek);
  let row = readSecretRow(db);
  if (!row) {
    const fresh = new Uint8Array(randomBytes(32));
    const sealed = aesGcmEncrypt({ key: kek, plaintext: fresh, aad: secretAad(COMPARTMENT_SECRET, id) });
    fresh.fill(0);
    // OR IGNORE: a concurrent opener may have created it first; both then read theirs.
    db.prepare("INSERT OR IGNORE INTO secrets (name, kek_id, wrapped) VALUES (?, ?, ?)").run(
      COMPARTMENT_SECRET,
      id,
      sealed,
    );
    row = readSecretRow(db) as { kek_id: string; wrapped: Uint8Array };
  }
  if (row.kek_id !== id) {
    throw new FhirLedgerError(
      "internal",
      `the KEK in use (${id}) is not the one the key database is wrapped under (${row.kek_id})`,
    );
  }
  try {
    return aesGcmDecrypt({ key: kek, sealed: row.wrapped, aad: secretAad(COMPARTMENT_SECRET, id) });
  } catch (cause) {
    throw new FhirLedgerError("integrity", "the key database's compartment key could not be unwrapped", { cause });
  }
}
