import type { DatabaseSync } from "node:sqlite";
import { getAddress } from "ethers";
import { openSqliteFile } from "../../adapters/sqlite/openSqliteFile.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";

/** A patient's linked wallet. */
export interface WalletLink {
  /** "Patient/P". */
  patient: string;
  /** Lower-case 0x address. */
  address: string;
  /** The account that proved it. */
  userId: string;
  /** Epoch milliseconds. */
  linkedAt: number;
}

const PATIENT_REFERENCE = /^Patient\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * Which wallet each patient has linked (one per patient), in a `wallet_links` table of
 * accounts.sqlite. Read on every consent decision, so every row is also held in memory; the
 * memory copy changes in the same call that commits, so no decision sees an older link.
 *
 * The table is created with IF NOT EXISTS rather than as a numbered accounts migration so
 * that it can be opened on its own connection beside AccountStore without taking a step of
 * the accounts file's version sequence (which the accounts part owns).
 */
export class WalletLinks {
  readonly #db: DatabaseSync;
  readonly #byPatient = new Map<string, WalletLink>();
  readonly #ownsDb: boolean;
  readonly #now: () => number;
  #version = 0;

  constructor(db: DatabaseSync, options: { ownsDb?: boolean; now?: () => number } = {}) {
    this.#db = db;
    this.#ownsDb = options.ownsDb ?? false;
    this.#now = options.now ?? Date.now;
    db.exec(`CREATE TABLE IF NOT EXISTS wallet_links (
      patient TEXT PRIMARY KEY,
      address TEXT NOT NULL,
      user_id TEXT NOT NULL,
      linked_at INTEGER NOT NULL
    ) STRICT`);
    const rows = db.prepare("SELECT patient, address, user_id, linked_at FROM wallet_links").all() as {
      patient: string;
      address: string;
      user_id: string;
      linked_at: number;
    }[];
    for (const r of rows)
      this.#byPatient.set(r.patient, {
        patient: r.patient,
        address: r.address,
        userId: r.user_id,
        linkedAt: r.linked_at,
      });
  }

  /** The linked address of "Patient/P", lower-case; undefined when none. */
  walletOf(patient: string): string | undefined {
    return this.#byPatient.get(patient)?.address;
  }

  get(patient: string): WalletLink | undefined {
    return this.#byPatient.get(patient);
  }

  /** Links `address` to `patient`, replacing an earlier link. The caller has checked the proof. */
  link(patient: string, address: string, userId: string): WalletLink {
    if (!PATIENT_REFERENCE.test(patient)) throw new FhirLedgerError("invalid", "not a patient reference");
    let normalized: string;
    try {
      normalized = getAddress(address).toLowerCase();
    } catch {
      throw new FhirLedgerError("invalid", "not an Ethereum address");
    }
    const row: WalletLink = { patient, address: normalized, userId, linkedAt: this.#now() };
    this.#db
      .prepare(
        "INSERT INTO wallet_links (patient, address, user_id, linked_at) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT(patient) DO UPDATE SET address = excluded.address, user_id = excluded.user_id, linked_at = excluded.linked_at",
      )
      .run(row.patient, row.address, row.userId, row.linkedAt);
    this.#byPatient.set(patient, row);
    this.#version++;
    return row;
  }

  /** Removes the patient's link; false when there was none. */
  unlink(patient: string): boolean {
    const { changes } = this.#db.prepare("DELETE FROM wallet_links WHERE patient = ?").run(patient);
    this.#byPatient.delete(patient);
    if (Number(changes) === 0) return false;
    this.#version++;
    return true;
  }

  /** Bumps on every link and unlink: which Consents count for a patient changes with it. */
  version(): number {
    return this.#version;
  }

  close(): void {
    if (this.#ownsDb) this.#db.close();
  }
}

/** Opens the wallet links in `path` (accounts.sqlite, or ":memory:") on a connection of their own. */
export function openWalletLinks(path: string, options: { now?: () => number } = {}): WalletLinks {
  const db = openSqliteFile(path);
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
    return new WalletLinks(db, { ownsDb: true, ...options });
  } catch (error) {
    db.close();
    throw error;
  }
}
