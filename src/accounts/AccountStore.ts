import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import { immediateTransaction } from "../adapters/sqlite/immediateTransaction.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import {
  checkEmail,
  checkPatientReference,
  checkPractitionerReference,
  checkUsername,
  identityKey,
} from "./accountFields.ts";
import { checkPassword, PASSWORD_MAX } from "./checkPassword.ts";
import { fieldError } from "./fieldError.ts";
import { DEFAULT_SCRYPT, hashPassword, needsRehash, type ScryptParams, verifyPassword } from "./passwordHash.ts";
import { USER_ROLES, type User, type UserRole } from "./User.ts";

export interface NewUser {
  username: string;
  /** Required for patients (they register with it); optional for staff accounts. */
  email?: string | null;
  password: string;
  role: UserRole;
  /** Patient/… for a patient, Practitioner/… for a practitioner; none for admins and auditors. */
  fhirUser?: string | null;
}

/** Without an ambiguous letter or digit (no 0/O, 1/I/L), so a code read aloud or retyped survives. */
const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/** 12 characters of 31: some 59 bits, with an expiry and the address rate limit in front of it. */
const CODE_LENGTH = 12;
export const ACTIVATION_CODE_TTL_MS = 7 * 24 * 3600_000;
export const LIST_LIMIT_MAX = 500;

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  role: UserRole;
  fhir_user: string | null;
  password_hash: string;
  created_at: number;
  disabled_at: number | null;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  email: row.email,
  role: row.role,
  fhirUser: row.fhir_user,
  createdAt: row.created_at,
  disabled: row.disabled_at !== null,
});

/** Hash of a code or session id as stored: the value itself is never at rest. */
export function secretHash(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("base64url");
}

/** Activation codes are typed by people: case, spaces and dashes don't matter. */
function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}

/**
 * User accounts and activation codes in accounts.sqlite: validation of every field, scrypt
 * hashes, duplicate checks by case-folded username and email, and a login that answers the
 * same, in comparable time, for a wrong username and a wrong password.
 */
export class AccountStore {
  readonly #db: DatabaseSync;
  readonly #scrypt: ScryptParams;
  readonly #now: () => number;
  #dummyHash: Promise<string> | undefined;

  constructor(db: DatabaseSync, options: { scrypt?: ScryptParams; now?: () => number } = {}) {
    this.#db = db;
    this.#scrypt = options.scrypt ?? DEFAULT_SCRYPT;
    this.#now = options.now ?? Date.now;
  }

  /** Checks every field, then the password policy, then duplicates; creates the account. */
  async createUser(input: NewUser): Promise<User> {
    const fields = this.#checkNewUser(input);
    const hash = await hashPassword(input.password, this.#scrypt);
    return immediateTransaction(this.#db, () => this.#insert(fields, hash));
  }

  /**
   * Creates a patient's account bound to the Patient an activation code names, and spends the
   * code, at once: a code works once, before it expires, for a Patient with no account yet.
   */
  async redeemActivationCode(code: string, input: Omit<NewUser, "role" | "fhirUser">): Promise<User> {
    const codeHash = secretHash(normalizeCode(code.slice(0, 64)));
    const probe = this.#usableCode(codeHash);
    const fields = this.#checkNewUser({ ...input, role: "patient", fhirUser: probe.patient });
    const hash = await hashPassword(input.password, this.#scrypt);
    return immediateTransaction(this.#db, () => {
      const { patient } = this.#usableCode(codeHash); // again, under the write lock: single use
      const user = this.#insert({ ...fields, fhirUser: patient }, hash);
      this.#db
        .prepare("UPDATE activation_codes SET used_at = ?, used_by = ? WHERE code_hash = ?")
        .run(this.#now(), user.id, codeHash);
      return user;
    });
  }

  /**
   * The account whose username (or email) and password these are, or undefined: the same for
   * an unknown user, a wrong password and a disabled account, and a password is always hashed
   * (against a dummy hash when there is no such user) so the time tells nothing either.
   */
  async authenticate(login: string, password: string): Promise<User | undefined> {
    const key = identityKey(login.trim().slice(0, 256));
    const row = this.#db
      .prepare(`SELECT * FROM users WHERE ${key.includes("@") ? "email_key" : "username_key"} = ?`)
      .get(key) as UserRow | undefined;
    this.#dummyHash ??= hashPassword(randomUUID(), this.#scrypt);
    const stored = row?.password_hash ?? (await this.#dummyHash);
    const ok = await verifyPassword(password.slice(0, PASSWORD_MAX * 4), stored);
    if (!row || !ok || row.disabled_at !== null) return undefined;
    if (needsRehash(row.password_hash, this.#scrypt)) {
      const rehashed = await hashPassword(password, this.#scrypt);
      this.#db.prepare("UPDATE users SET password_hash = ? WHERE id = ?").run(rehashed, row.id);
    }
    return toUser(row);
  }

  /**
   * Replaces a password after proving the current one, and ends every session of the account
   * (the caller starts a new one for the browser that changed it): a thief signed in elsewhere
   * is signed out. A wrong current password is a field error on "currentPassword".
   */
  async changePassword(userId: string, current: string, next: string): Promise<void> {
    const row = this.#db.prepare("SELECT * FROM users WHERE id = ?").get(userId) as UserRow | undefined;
    if (!row || row.disabled_at !== null) throw new FhirLedgerError("not-found", "no such account");
    if (!(await verifyPassword(current.slice(0, PASSWORD_MAX * 4), row.password_hash)))
      throw fieldError("currentPassword", "The current password is not correct.");
    checkPassword(next, { username: row.username, email: row.email });
    if (next === current) throw fieldError("password", "The new password must differ from the current one.");
    const hash = await hashPassword(next, this.#scrypt);
    immediateTransaction(this.#db, () => {
      this.#db.prepare("UPDATE users SET password_hash = ? WHERE id = ?").run(hash, userId);
      this.#db.prepare("DELETE FROM sessions WHERE user_id = ?").run(userId);
    });
  }

  getUser(id: string): User | undefined {
    const row = this.#db.prepare("SELECT * FROM users WHERE id = ?").get(id) as UserRow | undefined;
    return row ? toUser(row) : undefined;
  }

  /** Accounts by username, a page at a time (at most LIST_LIMIT_MAX). */
  listUsers(options: { limit?: number; offset?: number } = {}): User[] {
    const limit = Math.min(Math.max(1, options.limit ?? 100), LIST_LIMIT_MAX);
    const offset = Math.max(0, options.offset ?? 0);
    const rows = this.#db
      .prepare("SELECT * FROM users ORDER BY username_key LIMIT ? OFFSET ?")
      .all(limit, offset) as unknown as UserRow[];
    return rows.map(toUser);
  }

  countUsers(role?: UserRole): number {
    const row = (
      role === undefined
        ? this.#db.prepare("SELECT count(*) AS n FROM users").get()
        : this.#db.prepare("SELECT count(*) AS n FROM users WHERE role = ?").get(role)
    ) as { n: number };
    return Number(row.n);
  }

  /** Disables (signing out every session at once) or enables an account. */
  setDisabled(id: string, disabled: boolean): void {
    immediateTransaction(this.#db, () => {
      const result = this.#db
        .prepare("UPDATE users SET disabled_at = ? WHERE id = ?")
        .run(disabled ? this.#now() : null, id);
      if (Number(result.changes) === 0) throw new FhirLedgerError("not-found", "no such account");
      if (disabled) this.#db.prepare("DELETE FROM sessions WHERE user_id = ?").run(id);
    });
  }

  /**
   * Issues a single-use code that lets the person who receives it create a patient account
   * linked to `patient`. Returned once, in the clear; only its hash is kept.
   */
  issueActivationCode(input: { patient: string; issuedBy: string; ttlMs?: number }): {
    code: string;
    expiresAt: number;
  } {
    const patient = checkPatientReference(input.patient);
    const issuer = this.getUser(input.issuedBy);
    if (!issuer || issuer.disabled || (issuer.role !== "admin" && issuer.role !== "practitioner"))
      throw new FhirLedgerError("forbidden", "only practitioners and administrators issue activation codes");
    const bytes = randomBytes(CODE_LENGTH);
    // 256 is not a multiple of 31; the bias (at most 1/8 of a bit a character) costs nothing that matters here.
    const raw = Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join("");
    const now = this.#now();
    const expiresAt = now + Math.min(input.ttlMs ?? ACTIVATION_CODE_TTL_MS, 30 * 24 * 3600_000);
    this.#db
      .prepare(
        "INSERT INTO activation_codes (code_hash, patient, issued_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run(secretHash(raw), patient, issuer.id, now, expiresAt);
    return { code: `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`, expiresAt };
  }

  #usableCode(codeHash: string): { patient: string } {
    const row = this.#db
      .prepare("SELECT patient, expires_at, used_at FROM activation_codes WHERE code_hash = ?")
      .get(codeHash) as { patient: string; expires_at: number; used_at: number | null } | undefined;
    // One message for unknown, used and expired: the page must not help guess codes.
    if (!row || row.used_at !== null || row.expires_at <= this.#now())
      throw fieldError("code", "This activation code is not valid: it may be mistyped, used or expired.");
    const linked = this.#db.prepare("SELECT 1 FROM users WHERE fhir_user = ? AND role = 'patient'").get(row.patient);
    if (linked) throw fieldError("code", "This patient already has an account; sign in instead.", "conflict");
    return { patient: row.patient };
  }

  /**
   * Checks a new account as createUser would (fields, password policy, duplicates) without
   * creating it, so a page can refuse a form before it creates anything else. A patient's
   * `fhirUser` may be left out: their Patient is created after this check.
   */
  checkNewUser(input: NewUser): void {
    this.#checkNewUser(input, input.role === "patient" && !input.fhirUser);
  }

  #checkNewUser(input: NewUser, patientToCome = false): Required<Omit<NewUser, "password">> {
    if (!USER_ROLES.includes(input.role))
      throw fieldError("role", "Role must be admin, practitioner, patient or auditor.");
    const username = checkUsername(input.username);
    const email =
      input.email === undefined || input.email === null || input.email.trim() === "" ? null : checkEmail(input.email);
    if (email === null && input.role === "patient") throw fieldError("email", "Email is required.");
    let fhirUser: string | null = null;
    if (input.role === "patient")
      fhirUser = patientToCome ? null : checkPatientReference(input.fhirUser ?? "", "fhirUser");
    else if (input.role === "practitioner") fhirUser = checkPractitionerReference(input.fhirUser ?? "");
    else if (input.fhirUser)
      throw fieldError("fhirUser", "Only patients and practitioners are linked to a FHIR resource.");
    checkPassword(input.password, { username, email });
    this.#refuseDuplicates(username, email, input.role === "patient" ? fhirUser : null);
    return { username, email, role: input.role, fhirUser };
  }

  /** One account per username, per email and per Patient (a patient account is that person's own). */
  #refuseDuplicates(username: string, email: string | null, patient: string | null): void {
    if (this.#db.prepare("SELECT 1 FROM users WHERE username_key = ?").get(identityKey(username)))
      throw fieldError("username", "This username is taken; choose another.", "conflict");
    if (email !== null && this.#db.prepare("SELECT 1 FROM users WHERE email_key = ?").get(identityKey(email)))
      throw fieldError("email", "An account with this email exists already; sign in instead.", "conflict");
    if (
      patient !== null &&
      this.#db.prepare("SELECT 1 FROM users WHERE fhir_user = ? AND role = 'patient'").get(patient)
    )
      throw fieldError("fhirUser", "This patient already has an account.", "conflict");
  }

  #insert(fields: Required<Omit<NewUser, "password">>, hash: string): User {
    // Checked again under the write lock: two registrations may race between check and insert.
    this.#refuseDuplicates(
      fields.username,
      fields.email ?? null,
      fields.role === "patient" ? (fields.fhirUser ?? null) : null,
    );
    const row: UserRow = {
      id: randomUUID(),
      username: fields.username,
      email: fields.email ?? null,
      role: fields.role,
      fhir_user: fields.fhirUser ?? null,
      password_hash: hash,
      created_at: this.#now(),
      disabled_at: null,
    };
    this.#db
      .prepare(
        `INSERT INTO users (id, username, username_key, email, email_key, role, fhir_user, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        row.id,
        row.username,
        identityKey(row.username),
        row.email,
        row.email === null ? null : identityKey(row.email),
        row.role,
        row.fhir_user,
        hash,
        row.created_at,
      );
    return toUser(row);
  }
}
