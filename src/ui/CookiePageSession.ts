import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AccountStore } from "../accounts/AccountStore.ts";
import type { SessionStore } from "../accounts/SessionStore.ts";
import type { PageSession, SessionUser } from "./ports.ts";

const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export interface CookiePageSessionOptions {
  users: AccountStore;
  sessions: SessionStore;
  /** True when the public base URL is https: the cookie is then Secure and `__Host-` prefixed. */
  secure: boolean;
  /** Keys the CSRF tokens; random per process when absent (a restart then expires open forms). */
  csrfSecret?: Uint8Array;
}

/**
 * Sessions in a cookie that holds only a random 256-bit id (HttpOnly, SameSite=Lax, Path=/;
 * Secure and `__Host-` on https). A visitor who has not signed in gets an id too, with no
 * record behind it, so the sign-in and registration forms have a CSRF token as well. Signing in
 * replaces the id (no session fixation); signing out deletes the record.
 *
 * CSRF tokens are synchronizer tokens bound to the id: HMAC-SHA256(secret, id), checked in
 * constant time, so they need no storage and die with the session.
 */
export class CookiePageSession implements PageSession {
  readonly cookieName: string;
  readonly #users: AccountStore;
  readonly #sessions: SessionStore;
  readonly #secure: boolean;
  readonly #secret: Uint8Array;
  // The id set during this request (a new visitor's, or one just signed in): not yet in the request's cookies.
  readonly #issued = new WeakMap<Request, string>();

  constructor(options: CookiePageSessionOptions) {
    this.#users = options.users;
    this.#sessions = options.sessions;
    this.#secure = options.secure;
    this.#secret = options.csrfSecret ?? randomBytes(32);
    if (this.#secret.length < 32) throw new Error("the CSRF secret must be at least 32 bytes");
    this.cookieName = options.secure ? "__Host-fhirledger-session" : "fhirledger-session";
  }

  async user(c: Context): Promise<SessionUser | undefined> {
    const id = this.#currentId(c);
    if (id === undefined) return undefined;
    const session = this.#sessions.find(id);
    if (!session) return undefined;
    const user = this.#users.getUser(session.userId);
    if (!user || user.disabled) return undefined;
    return {
      userId: user.id,
      username: user.username,
      role: user.role,
      ...(user.fhirUser ? { fhirUser: user.fhirUser } : {}),
    };
  }

  async csrfToken(c: Context): Promise<string> {
    return this.#token(this.#currentId(c) ?? this.#issue(c));
  }

  async checkCsrf(c: Context, token: string | undefined): Promise<boolean> {
    const id = this.#currentId(c);
    if (id === undefined || typeof token !== "string") return false;
    const expected = Buffer.from(this.#token(id), "utf8");
    const given = Buffer.from(token.slice(0, 128), "utf8");
    // Always one comparison of equal lengths, so the time doesn't tell how much matched.
    return (
      timingSafeEqual(given.length === expected.length ? given : expected, expected) && given.length === expected.length
    );
  }

  /** Starts a session for `userId` under a new id (the visitor's old one is dropped). */
  signIn(c: Context, userId: string): void {
    const old = this.#currentId(c);
    if (old !== undefined) this.#sessions.delete(old);
    this.#setCookie(c, this.#sessions.create(userId));
  }

  /** Ends the session and gives the browser a fresh anonymous id. */
  signOut(c: Context): void {
    const id = this.#currentId(c);
    if (id !== undefined) this.#sessions.delete(id);
    this.#issue(c);
  }

  #currentId(c: Context): string | undefined {
    const issued = this.#issued.get(c.req.raw);
    if (issued !== undefined) return issued;
    const value = getCookie(c, this.cookieName);
    return value !== undefined && COOKIE_VALUE.test(value) ? value : undefined;
  }

  #issue(c: Context): string {
    const id = randomBytes(32).toString("base64url");
    this.#setCookie(c, id);
    return id;
  }

  #setCookie(c: Context, id: string): void {
    this.#issued.set(c.req.raw, id);
    // No Max-Age: the cookie ends with the browser; the server's idle and absolute limits end it sooner.
    setCookie(c, this.cookieName, id, { path: "/", httpOnly: true, sameSite: "Lax", secure: this.#secure });
  }

  #token(id: string): string {
    return createHmac("sha256", this.#secret).update(`csrf\0${id}`).digest("base64url");
  }
}
