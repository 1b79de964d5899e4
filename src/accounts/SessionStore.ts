import { randomBytes } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import { secretHash } from "./AccountStore.ts";

export interface SessionLimits {
  /** A session unused this long is over. */
  idleMs: number;
  /** A session is over this long after sign-in, used or not. */
  absoluteMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = Object.freeze({ idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000 });

/** last_seen_at is written at most this often (or a tenth of the idle limit), so reading pages doesn't write on every request. */
const TOUCH_EVERY_MS = 60_000;
/** A session id: 256 random bits, base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-side sessions of signed-in users in accounts.sqlite. The id (256 random bits) lives
 * only in the browser's cookie; the table keeps its SHA-256, so the file signs no one in.
 */
export class SessionStore {
  readonly #db: DatabaseSync;
  readonly #limits: SessionLimits;
  readonly #now: () => number;

  constructor(db: DatabaseSync, options: { limits?: SessionLimits; now?: () => number } = {}) {
    this.#db = db;
    this.#limits = options.limits ?? DEFAULT_SESSION_LIMITS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts a session for a user who just proved who they are; returns the id for the cookie.
   * Expired sessions go at the same time, so the table holds live sessions only.
   */
  create(userId: string): string {
    this.deleteExpired();
    const id = randomBytes(32).toString("base64url");
    const now = this.#now();
    this.#db
      .prepare("INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)")
      .run(secretHash(id), userId, now, now);
    return id;
  }

  /** The user of a live session, or undefined (unknown, idle too long, or too old: an expired one is deleted). */
  find(id: string): { userId: string } | undefined {
    if (!SESSION_ID.test(id)) return undefined;
    const idHash = secretHash(id);
    const row = this.#db
      .prepare("SELECT user_id, created_at, last_seen_at FROM sessions WHERE id_hash = ?")
      .get(idHash) as { user_id: string; created_at: number; last_seen_at: number } | undefined;
    if (!row) return undefined;
    const now = this.#now();
    if (now - row.last_seen_at >= this.#limits.idleMs || now - row.created_at >= this.#limits.absoluteMs) {
      this.#db.prepare("DELETE FROM sessions WHERE id_hash = ?").run(idHash);
      return undefined;
    }
    if (now - row.last_seen_at >= Math.min(TOUCH_EVERY_MS, this.#limits.idleMs / 10))
      this.#db.prepare("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?").run(now, idHash);
    return { userId: row.user_id };
  }

  /** Ends a session (sign out). */
  delete(id: string): void {
    if (SESSION_ID.test(id)) this.#db.prepare("DELETE FROM sessions WHERE id_hash = ?").run(secretHash(id));
  }

  /** Deletes every expired session; returns how many. */
  deleteExpired(): number {
    const now = this.#now();
    const result = this.#db
      .prepare("DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?")
      .run(now - this.#limits.idleMs, now - this.#limits.absoluteMs);
    return Number(result.changes);
  }
}
