import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { LOGIN_FAILED } from "../../src/ui/pages/login.ts";
import { Browser, GOOD_PASSWORD, signIn, uiTestServer } from "./uiTestServer.ts";

/** Every visible input, select and textarea has a <label for> naming it. */
function expectLabelled(body: string) {
  const controls = [...body.matchAll(/<(input|select|textarea)\b([^>]*)>/g)].filter(
    (m) => !/type="hidden"/.test(m[2]!),
  );
  expect(controls.length).toBeGreaterThan(0);
  for (const m of controls) {
    const id = /\bid="([^"]+)"/.exec(m[2]!)?.[1];
    expect(id, m[0]).toBeDefined();
    expect(body).toContain(`<label for="${id}">`);
  }
}

async function withUsers() {
  const server = uiTestServer();
  await server.users.createUser({
    username: "alice",
    email: "alice@example.org",
    password: GOOD_PASSWORD,
    role: "patient",
    fhirUser: "Patient/p9",
  });
  return server;
}

describe("home page and page headers", () => {
  it("says what the server is, links to sign in and register, and lists the SMART endpoints", async () => {
    const { app, origin } = uiTestServer();
    const { res, body } = await new Browser(app, origin).get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(body).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(body).toContain('href="/login"');
    expect(body).toContain('href="/register"');
    expect(body).toContain("http://localhost:8080/fhir/.well-known/smart-configuration");
    expect(body).toContain("http://localhost:8080/fhir/.well-known/openid-configuration");
  });

  it("no page can be framed, runs script, or is cached; the inline style is allowed by its hash only", async () => {
    const { app, origin } = uiTestServer();
    for (const path of ["/", "/login", "/register", "/activate", "/nowhere"]) {
      const { res } = await new Browser(app, origin).get(path);
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]{43}='/);
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("labels every field of the sign-in, registration and activation forms", async () => {
    const { app, origin } = uiTestServer();
    for (const path of ["/login", "/register", "/activate"])
      expectLabelled((await new Browser(app, origin).get(path)).body);
  });
});

describe("session cookie", () => {
  it("is HttpOnly, SameSite=Lax, not Secure on plain http", async () => {
    const { app, origin } = uiTestServer();
    const { res } = await new Browser(app, origin).get("/login");
    const cookie = res.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^fhirledger-session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  it("is Secure and __Host- prefixed when the base URL is https", async () => {
    const { app, origin } = uiTestServer({ https: true });
    const { res } = await new Browser(app, origin).get("/login");
    const cookie = res.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^__Host-fhirledger-session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(cookie).not.toMatch(/Domain=/i);
  });

  it("signing in replaces the visitor's id (no fixation), and the new one signs in", async () => {
    const { app, origin } = await withUsers();
    const browser = new Browser(app, origin);
    await browser.get("/login");
    const before = browser.cookies.get("fhirledger-session");
    await signIn(browser, "alice");
    expect(browser.cookies.get("fhirledger-session")).not.toBe(before);
    expect((await browser.get("/")).body).toContain("signed in as <strong>alice</strong>");
  });
});

describe("CSRF", () => {
  it("a form posted without, with a wrong, or with another session's token is refused with 403 and does nothing", async () => {
    const { app, origin } = await withUsers();
    const browser = new Browser(app, origin);
    await browser.get("/login");
    const other = new Browser(app, origin);
    await other.get("/login");
    for (const csrf of ["", "wrong", other.csrf, `${browser.csrf}x`]) {
      const { res, body } = await browser.post("/login", { username: "alice", password: GOOD_PASSWORD, _csrf: csrf });
      expect(res.status, csrf).toBe(403);
      expect(body).toContain("This form has expired");
      expect(res.headers.get("location")).toBeNull();
    }
    const noCookie = await app.request(`${origin}/login`, {
      method: "POST",
      body: new URLSearchParams({ username: "alice", password: GOOD_PASSWORD, _csrf: browser.csrf }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(noCookie.status).toBe(403);
    expect((await browser.post("/login", { username: "alice", password: GOOD_PASSWORD })).res.status).toBe(303);
  });

  it("every form on every page carries the token, and every field has a label", async () => {
    const server = await withUsers();
    await server.users.createUser({ username: "root1", password: GOOD_PASSWORD, role: "admin" });
    await server.users.createUser({
      username: "dr1",
      password: GOOD_PASSWORD,
      role: "practitioner",
      fhirUser: "Practitioner/1",
    });
    const browser = new Browser(server.app, server.origin);
    await signIn(browser, "root1");
    for (const path of [
      "/",
      "/admin",
      "/activation-codes",
      "/apps",
      "/account",
      "/logout",
      "/login",
      "/register",
      "/activate",
    ]) {
      const { body } = await browser.get(path);
      if (!["/", "/apps", "/logout"].includes(path)) expectLabelled(body);
      const forms = body.match(/<form\b[^>]*method="post"[^>]*>[\s\S]*?<\/form>/g) ?? [];
      for (const form of forms) expect(form, path).toContain(`name="_csrf" value="${browser.csrf}"`);
    }
  });
});

describe("sign in and out", () => {
  it("answers the same for an unknown user and a wrong password", async () => {
    const { app, origin } = await withUsers();
    const browser = new Browser(app, origin);
    await browser.get("/login");
    const unknown = await browser.post("/login", { username: "mallory", password: GOOD_PASSWORD });
    const wrong = await browser.post("/login", { username: "alice", password: `${GOOD_PASSWORD}!` });
    expect(unknown.res.status).toBe(401);
    expect(wrong.res.status).toBe(401);
    expect(unknown.body).toContain(LOGIN_FAILED);
    expect(wrong.body.replace(/alice/g, "mallory")).toBe(unknown.body);
  });

  it("goes on to `next` when it is a path here, and home otherwise", async () => {
    const { app, origin } = await withUsers();
    const cases: [string, string][] = [
      ["/authorize?response_type=code&client_id=x", "/authorize?response_type=code&client_id=x"],
      ["https://evil.example/", "/"],
      ["//evil.example/", "/"],
      ["/\\evil.example", "/"],
    ];
    for (const [next, expected] of cases) {
      const browser = new Browser(app, origin);
      const { body } = await browser.get(`/login?next=${encodeURIComponent(next)}`);
      const hidden = /name="next" value="([^"]*)"/.exec(body)![1]!.replace(/&amp;/g, "&");
      const { res } = await browser.post("/login", { username: "alice", password: GOOD_PASSWORD, next: hidden });
      expect(res.headers.get("location"), next).toBe(expected);
      await browser.get("/login"); // signing in changed the session, so its forms' token
      const direct = await browser.post("/login", { username: "alice", password: GOOD_PASSWORD, next });
      expect(direct.res.headers.get("location"), next).toBe(expected);
    }
  });

  it("after 5 failures an account waits (429, Retry-After), even with the right password", async () => {
    const { app, origin } = await withUsers();
    const browser = new Browser(app, origin);
    await browser.get("/login");
    for (let i = 0; i < 5; i++)
      expect((await browser.post("/login", { username: "alice", password: "not the password!" })).res.status).toBe(401);
    const { res, body } = await browser.post("/login", { username: "alice", password: GOOD_PASSWORD });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(body).toContain("Too many attempts");
    // An unknown name is limited the same way, so the limit tells nothing about which names exist.
    for (let i = 0; i < 5; i++)
      await browser.post("/login", { username: "nobody-here", password: "not the password!" });
    expect((await browser.post("/login", { username: "nobody-here", password: "x" })).res.status).toBe(429);
  });

  it("an address trying many accounts waits after 20 failures", async () => {
    const { app, origin } = await withUsers();
    const browser = new Browser(app, origin);
    await browser.get("/login");
    for (let i = 0; i < 20; i++) await browser.post("/login", { username: `user${i}`, password: "not the password!" });
    expect((await browser.post("/login", { username: "alice", password: GOOD_PASSWORD })).res.status).toBe(429);
  });

  it("signing out needs a POST with the token, and ends the session on the server", async () => {
    const { app, origin } = await withUsers();
    const browser = new Browser(app, origin);
    await signIn(browser, "alice");
    const stolen = browser.cookies.get("fhirledger-session")!;
    const page = await browser.get("/logout");
    expect(page.body).toContain('action="/logout"');
    expect((await browser.get("/")).body).toContain("signed in as");
    const { res } = await browser.post("/logout", {});
    expect(res.status).toBe(303);
    expect((await browser.get("/")).body).not.toContain("signed in as");
    const replay = new Browser(app, origin);
    replay.cookies.set("fhirledger-session", stolen);
    expect((await replay.get("/")).body).not.toContain("signed in as");
  });

  it("a session left alone 30 minutes, or 12 hours old however used, is over: the page asks to sign in again", async () => {
    let now = Date.UTC(2026, 0, 1);
    const server = uiTestServer({ now: () => now });
    await server.users.createUser({ username: "root1", password: GOOD_PASSWORD, role: "admin" });
    const browser = new Browser(server.app, server.origin);
    await signIn(browser, "root1");
    now += 29 * 60_000;
    expect((await browser.get("/admin")).res.status).toBe(200);
    now += 30 * 60_000;
    const idle = await browser.get("/admin");
    expect(idle.res.status).toBe(303);
    expect(idle.res.headers.get("location")).toBe("/login?next=%2Fadmin");

    await signIn(browser, "root1");
    for (let i = 0; i < 25; i++) {
      now += 29 * 60_000; // used every 29 minutes: never idle
      expect((await browser.get("/admin")).res.status).toBe(i < 24 ? 200 : 303);
    }
  });

  it("refuses a form body over 16 KiB with 413", async () => {
    const { app, origin } = await withUsers();
    const browser = new Browser(app, origin);
    await browser.get("/login");
    const { res } = await browser.post("/login", { username: "alice", password: "x".repeat(17 * 1024) });
    expect(res.status).toBe(413);
  });
});

describe("PageSession port", () => {
  it("gives another route (the OAuth authorize endpoint) the signed-in user and checks its form tokens", async () => {
    const server = await withUsers();
    const session = server.session;
    const authorize = new Hono();
    authorize.get("/authorize", async (c) => {
      const user = await session.user(c);
      if (!user) return c.redirect(`/login?next=${encodeURIComponent("/authorize?x=1")}`, 302);
      return c.json({ user, csrf: await session.csrfToken(c) });
    });
    authorize.post("/authorize", async (c) => {
      const form = await c.req.parseBody();
      return c.text("", (await session.checkCsrf(c, form._csrf as string | undefined)) ? 200 : 403);
    });
    const both = new Hono().route("/", authorize).route("/", server.app);
    const browser = new Browser(both, server.origin);
    expect((await browser.get("/authorize")).res.headers.get("location")).toBe("/login?next=%2Fauthorize%3Fx%3D1");
    await signIn(browser, "alice");
    const { body } = await browser.get("/authorize");
    const seen = JSON.parse(body);
    expect(seen.user).toEqual({
      userId: expect.any(String),
      username: "alice",
      role: "patient",
      fhirUser: "Patient/p9",
    });
    browser.csrf = seen.csrf;
    expect((await browser.post("/authorize", {})).res.status).toBe(200);
    expect((await browser.post("/authorize", { _csrf: "forged" })).res.status).toBe(403);
  });
});
