import { createHash, randomBytes } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import { immediateTransaction } from "../../adapters/sqlite/immediateTransaction.ts";
import { OAuthError } from "./OAuthError.ts";
import type { PersonRole } from "./ports.ts";

/** Patient/encounter context of a launch (EHR launch, patient picker, or a patient's own record). */
export interface LaunchContext {
  patient?: string;
  encounter?: string;
}

/** Who approved a grant. */
export interface GrantUser {
  userId: string;
  role: PersonRole;
  /** "Patient/123" or "Practitioner/9" */
  fhirUser?: string;
}

/** What an authorization code stands for, bound to everything the token request must match. */
export interface CodeBody {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  user: GrantUser;
  context: LaunchContext;
  nonce?: string;
}

/** A user's authorization of a client: what "connected apps" lists; a refresh token family. */
export interface Grant {
  grantId: string;
  clientId: string;
  scopes: string[];
  user: GrantUser;
  context: LaunchContext;
  issuedAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

const SWEEP_INTERVAL_MS = 60_000;

/** Assertion jtis remembered at once; past it, new assertions wait for old ones to expire. */
export const MAX_ASSERTION_JTIS = 100_000;

/** A random, unguessable token and the SHA-256 under which the database keeps it. */
export function newSecret(): { value: string; hash: string } {
  const value = randomBytes(32).toString("base64url");
  return { value, hash: hashToken(value) };
}

export function hashToken(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/**
 * The authorization server's state in oauth.sqlite: single-use codes, grants with their refresh
 * token families, the jtis of access tokens (to revoke them with their grant), revoked jtis,
 * seen client-assertion jtis, EHR launch contexts and pending authorize requests. Times are
 * epoch milliseconds; every table is swept of expired rows as it grows.
 */
export class OAuthStore {
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #isRevoked;
  readonly #maxAssertionJtis: number;
  #sweptAt = Number.NEGATIVE_INFINITY;
  #assertionsSweptAt = Number.NEGATIVE_INFINITY;
  #assertionCount = 0;

  constructor(db: DatabaseSync, now: () => number = Date.now, limits: { maxAssertionJtis?: number } = {}) {
    this.#db = db;
    this.#now = now;
    this.#maxAssertionJtis = limits.maxAssertionJtis ?? MAX_ASSERTION_JTIS;
    this.#isRevoked = db.prepare("SELECT 1 AS x FROM revoked_jtis WHERE jti = ?");
  }

  get now(): number {
    return this.#now();
  }

  // ---- authorization codes ----

  saveCode(body: CodeBody, ttlMs: number): string {
    const { value, hash } = newSecret();
    const now = this.#now();
    this.#db.prepare("DELETE FROM codes WHERE expires_at < ?").run(now - 3_600_000);
    this.#db
      .prepare("INSERT INTO codes (code_hash, body, expires_at) VALUES (?, ?, ?)")
      .run(hash, JSON.stringify(body), now + ttlMs);
    return value;
  }

  /**
   * Takes a code once. A second use revokes the grant the first made (RFC 6749 §4.1.2: the
   * code was stolen, or the client misbehaves) and is refused like an unknown code.
   */
  takeCode(code: string, check: (body: CodeBody) => void, grantId: string): CodeBody {
    const hash = hashToken(code);
    // Refusals are returned, not thrown, so the revocation of a reused code's grant commits.
    const outcome = immediateTransaction(this.#db, (): { error: string } | { body: CodeBody } => {
      const row = this.#db.prepare("SELECT body, expires_at, used, grant_id FROM codes WHERE code_hash = ?").get(hash);
      if (!row) return { error: "the authorization code is not valid" };
      if (Number(row.used) === 1) {
        if (typeof row.grant_id === "string") this.#revokeGrantInTransaction(row.grant_id);
        return { error: "the authorization code was already used" };
      }
      if (Number(row.expires_at) <= this.#now()) return { error: "the authorization code expired" };
      const body = JSON.parse(String(row.body)) as CodeBody;
      // A request that does not match (client, redirect_uri, PKCE verifier) leaves the code as it was.
      check(body);
      this.#db.prepare("UPDATE codes SET used = 1, grant_id = ? WHERE code_hash = ?").run(grantId, hash);
      return { body };
    });
    if ("body" in outcome) return outcome.body;
    throw new OAuthError("invalid_grant", outcome.error);
  }

  // ---- grants, refresh tokens, access tokens ----

  createGrant(grant: Omit<Grant, "revokedAt">): void {
    this.#sweepTokens();
    this.#db
      .prepare(
        "INSERT INTO grants (grant_id, client_id, user_id, scope, context, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        grant.grantId,
        grant.clientId,
        grant.user.userId,
        grant.scopes.join(" "),
        JSON.stringify({ user: grant.user, launch: grant.context }),
        grant.issuedAt,
        grant.expiresAt,
      );
  }

  grant(grantId: string): Grant | undefined {
    const row = this.#db.prepare("SELECT * FROM grants WHERE grant_id = ?").get(grantId);
    return row === undefined ? undefined : toGrant(row);
  }

  /** A user's grants that are neither revoked nor expired, newest first. */
  activeGrants(userId: string): Grant[] {
    return this.#db
      .prepare(
        "SELECT * FROM grants WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY issued_at DESC LIMIT 200",
      )
      .all(userId, this.#now())
      .map(toGrant);
  }

  /** Extends a grant to cover a token that lives until `expiresAt`. */
  extendGrant(grantId: string, expiresAt: number): void {
    this.#db.prepare("UPDATE grants SET expires_at = MAX(expires_at, ?) WHERE grant_id = ?").run(expiresAt, grantId);
  }

  saveRefreshToken(grantId: string, expiresAt: number): string {
    const { value, hash } = newSecret();
    this.#db
      .prepare("INSERT INTO refresh_tokens (token_hash, grant_id, expires_at) VALUES (?, ?, ?)")
      .run(hash, grantId, expiresAt);
    return value;
  }

  /**
   * Uses a refresh token once. A used one presented again means two parties hold it: the whole
   * family (the grant, its refresh and access tokens) is revoked, and the request refused.
   */
  useRefreshToken(token: string): Grant {
    const hash = hashToken(token);
    const outcome = immediateTransaction(this.#db, (): { error: string } | { grant: Grant } => {
      const row = this.#db
        .prepare("SELECT grant_id, expires_at, used_at FROM refresh_tokens WHERE token_hash = ?")
        .get(hash);
      if (!row) return { error: "the refresh token is not valid" };
      const grantId = String(row.grant_id);
      if (row.used_at !== null) {
        this.#revokeGrantInTransaction(grantId);
        return { error: "the refresh token was already used; every token of its grant is now revoked" };
      }
      if (Number(row.expires_at) <= this.#now()) return { error: "the refresh token expired" };
      const grant = this.grant(grantId);
      if (!grant || grant.revokedAt !== null) return { error: "the refresh token was revoked" };
      this.#db.prepare("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?").run(this.#now(), hash);
      return { grant };
    });
    if ("grant" in outcome) return outcome.grant;
    throw new OAuthError("invalid_grant", outcome.error);
  }

  /** The grant of a live, unused refresh token (introspection, revocation), else undefined. */
  refreshTokenGrant(token: string): { grant: Grant; expiresAt: number } | undefined {
    const row = this.#db
      .prepare("SELECT grant_id, expires_at, used_at FROM refresh_tokens WHERE token_hash = ?")
      .get(hashToken(token));
    if (!row || row.used_at !== null || Number(row.expires_at) <= this.#now()) return undefined;
    const grant = this.grant(String(row.grant_id));
    if (!grant || grant.revokedAt !== null) return undefined;
    return { grant, expiresAt: Number(row.expires_at) };
  }

  recordAccessToken(jti: string, grantId: string, expiresAt: number): void {
    this.#db
      .prepare("INSERT INTO access_tokens (jti, grant_id, expires_at) VALUES (?, ?, ?)")
      .run(jti, grantId, expiresAt);
  }

  /** Revokes every grant of a client (it was deleted). */
  revokeClientGrants(clientId: string): void {
    immediateTransaction(this.#db, () => {
      const ids = this.#db
        .prepare("SELECT grant_id FROM grants WHERE client_id = ? AND revoked_at IS NULL")
        .all(clientId);
      for (const row of ids) this.#revokeGrantInTransaction(String(row.grant_id));
    });
  }

  revokeGrant(grantId: string): void {
    immediateTransaction(this.#db, () => this.#revokeGrantInTransaction(grantId));
  }

  #revokeGrantInTransaction(grantId: string): void {
    const now = this.#now();
    this.#db.prepare("UPDATE grants SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL").run(now, grantId);
    this.#db.prepare("DELETE FROM refresh_tokens WHERE grant_id = ?").run(grantId);
    this.#db
      .prepare(
        "INSERT OR IGNORE INTO revoked_jtis (jti, expires_at) SELECT jti, expires_at FROM access_tokens WHERE grant_id = ? AND expires_at > ?",
      )
      .run(grantId, now);
    this.#db.prepare("DELETE FROM access_tokens WHERE grant_id = ?").run(grantId);
  }

  /**
   * Drops what can no longer be used, at most once a minute: expired access-token records and
   * refresh tokens (a used one is kept until its expiry, to catch its reuse), and grants that
   * ended a month ago (the connected-apps page shows active ones only).
   */
  #sweepTokens(): void {
    const now = this.#now();
    if (now - this.#sweptAt < SWEEP_INTERVAL_MS) return;
    this.#sweptAt = now;
    this.#db.prepare("DELETE FROM access_tokens WHERE expires_at <= ?").run(now);
    this.#db.prepare("DELETE FROM refresh_tokens WHERE expires_at <= ?").run(now);
    const monthAgo = now - 30 * 86_400_000;
    this.#db.prepare("DELETE FROM grants WHERE expires_at <= ? OR revoked_at <= ?").run(monthAgo, monthAgo);
  }

  // ---- revoked access tokens ----

  /** Refused by the verifier until `expiresAt`, after which the token is refused for its age anyway. */
  revokeJti(jti: string, expiresAt: number): void {
    const now = this.#now();
    this.#db.prepare("DELETE FROM revoked_jtis WHERE expires_at <= ?").run(now);
    this.#db.prepare("INSERT OR IGNORE INTO revoked_jtis (jti, expires_at) VALUES (?, ?)").run(jti, expiresAt);
  }

  isRevoked(jti: string): boolean {
    return this.#isRevoked.get(jti) !== undefined;
  }

  // ---- client assertions (RFC 7523 replay) ----

  /** Remembers an assertion's jti until it expires; false when it was seen already. */
  rememberAssertion(clientId: string, jti: string, expiresAt: number): boolean {
    return immediateTransaction(this.#db, () => {
      const now = this.#now();
      const seen = this.#db
        .prepare("SELECT expires_at FROM assertion_jtis WHERE client_id = ? AND jti = ?")
        .get(clientId, jti);
      if (seen && Number(seen.expires_at) > now) return false;
      // Sweeping and counting scan the table: done at most once a second, the count kept in between.
      if (now - this.#assertionsSweptAt >= 1000 || this.#assertionCount >= this.#maxAssertionJtis) {
        this.#assertionsSweptAt = now;
        this.#db.prepare("DELETE FROM assertion_jtis WHERE expires_at <= ?").run(now);
        this.#assertionCount = Number(
          (this.#db.prepare("SELECT COUNT(*) AS n FROM assertion_jtis").get() as { n: number }).n,
        );
      }
      if (this.#assertionCount >= this.#maxAssertionJtis)
        throw new OAuthError("temporarily_unavailable", "too many client assertions in flight; try again shortly");
      this.#db
        .prepare("INSERT OR REPLACE INTO assertion_jtis (client_id, jti, expires_at) VALUES (?, ?, ?)")
        .run(clientId, jti, expiresAt);
      this.#assertionCount += 1;
      return true;
    });
  }

  // ---- EHR launch contexts ----

  saveLaunch(context: LaunchContext, ttlMs: number): string {
    const { value, hash } = newSecret();
    const now = this.#now();
    this.#db.prepare("DELETE FROM launches WHERE expires_at <= ?").run(now);
    this.#db
      .prepare("INSERT INTO launches (launch_hash, body, expires_at) VALUES (?, ?, ?)")
      .run(hash, JSON.stringify(context), now + ttlMs);
    return value;
  }

  launch(launch: string): LaunchContext | undefined {
    const row = this.#db.prepare("SELECT body, expires_at FROM launches WHERE launch_hash = ?").get(hashToken(launch));
    if (!row || Number(row.expires_at) <= this.#now()) return undefined;
    return JSON.parse(String(row.body)) as LaunchContext;
  }

  // ---- pending authorize requests (between the approval page and its answer) ----

  savePending(userId: string, body: unknown, ttlMs: number): string {
    const { value, hash } = newSecret();
    const now = this.#now();
    this.#db.prepare("DELETE FROM pending WHERE expires_at <= ?").run(now);
    this.#db
      .prepare("INSERT INTO pending (request_hash, user_id, body, expires_at) VALUES (?, ?, ?, ?)")
      .run(hash, userId, JSON.stringify(body), now + ttlMs);
    return value;
  }

  pending(id: string, userId: string): unknown {
    const row = this.#db
      .prepare("SELECT user_id, body, expires_at FROM pending WHERE request_hash = ?")
      .get(hashToken(id));
    if (!row || row.user_id !== userId || Number(row.expires_at) <= this.#now()) return undefined;
    return JSON.parse(String(row.body));
  }

  updatePending(id: string, body: unknown): void {
    this.#db.prepare("UPDATE pending SET body = ? WHERE request_hash = ?").run(JSON.stringify(body), hashToken(id));
  }

  deletePending(id: string): void {
    this.#db.prepare("DELETE FROM pending WHERE request_hash = ?").run(hashToken(id));
  }
}

function toGrant(row: Record<string, unknown>): Grant {
  const context = JSON.parse(String(row.context)) as { user: GrantUser; launch: LaunchContext };
  return {
    grantId: String(row.grant_id),
    clientId: String(row.client_id),
    scopes: String(row.scope)
      .split(" ")
      .filter((s) => s !== ""),
    user: context.user,
    context: context.launch,
    issuedAt: Number(row.issued_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
