import { describe, expect, it } from "vitest";
import { Browser, GOOD_PASSWORD, signIn, uiTestServer } from "./uiTestServer.ts";

const registration = (fields: Record<string, string> = {}) => ({
  given: "Ann",
  family: "Lee",
  birthDate: "1980-04-23",
  username: "annlee",
  email: "ann@example.org",
  password: GOOD_PASSWORD,
  confirm: GOOD_PASSWORD,
  ...fields,
});

async function staff() {
  const server = uiTestServer();
  const admin = await server.users.createUser({ username: "root1", password: GOOD_PASSWORD, role: "admin" });
  await server.users.createUser({
    username: "drwho",
    password: GOOD_PASSWORD,
    role: "practitioner",
    fhirUser: "Practitioner/9",
  });
  await server.users.createUser({
    username: "carol",
    email: "carol@example.org",
    password: GOOD_PASSWORD,
    role: "patient",
    fhirUser: "Patient/c1",
  });
  return { ...server, admin };
}

describe("patient registration", () => {
  it("creates the Patient through the port and the account linked to it, and signs the patient in", async () => {
    const { app, origin, patients, users } = uiTestServer();
    const browser = new Browser(app, origin);
    await browser.get("/register");
    const { res } = await browser.post("/register", registration());
    expect(res.status).toBe(303);
    expect(patients.created).toEqual([
      { id: "p1", given: "Ann", family: "Lee", birthDate: "1980-04-23", email: "ann@example.org" },
    ]);
    expect((await users.authenticate("annlee", GOOD_PASSWORD))?.fhirUser).toBe("Patient/p1");
    expect((await browser.get("/")).body).toContain("signed in as <strong>annlee</strong> (patient)");
  });

  it("escapes what the user typed: a <script> username comes back as text, with a message naming the field", async () => {
    const { app, origin, patients } = uiTestServer();
    const browser = new Browser(app, origin);
    await browser.get("/register");
    const { res, body } = await browser.post(
      "/register",
      registration({ username: "<script>alert(1)</script>", given: '"><img src=x onerror=alert(2)>' }),
    );
    expect(res.status).toBe(400);
    expect(body).not.toContain("<script>alert(1)");
    expect(body).not.toContain("<img src=x");
    expect(body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(body).toContain('value="&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"');
    expect(body).toMatch(/id="f-username-error">Username must be/);
    expect(body).toContain('<a href="#f-username">Username must be');
    expect(patients.created).toEqual([]); // nothing was created for a refused form
  });

  it("says which field is wrong: duplicate email or username, malformed email, weak or mismatched password, bad birth date", async () => {
    const { app, origin, patients } = await staff();
    const cases: [Record<string, string>, number, string, RegExp][] = [
      [{ email: "CAROL@example.org" }, 409, "email", /An account with this email exists already/],
      [{ username: "Carol" }, 409, "username", /This username is taken/],
      [{ email: "ann@example" }, 400, "email", /Email is not a valid address/],
      [{ password: "password1234", confirm: "password1234" }, 400, "password", /common passwords/],
      [{ password: "short", confirm: "short" }, 400, "password", /at least 12 characters/],
      [{ confirm: "something else entirely" }, 400, "password", /not the same/],
      [{ birthDate: "1980-02-30" }, 400, "birthDate", /Birth date must be a date/],
      [{ given: "" }, 400, "given", /Given name is required/],
    ];
    for (const [fields, status, name, message] of cases) {
      const browser = new Browser(app, origin);
      await browser.get("/register");
      const { res, body } = await browser.post("/register", registration(fields));
      expect(res.status, JSON.stringify(fields)).toBe(status);
      expect(body).toMatch(new RegExp(`id="f-${name}-error">`));
      expect(body).toMatch(message);
      expect(body).not.toContain(fields.password ?? GOOD_PASSWORD); // a password is never echoed
    }
    expect(patients.created).toEqual([]);
  });

  it("after 5 self-registrations from one address, the next waits", async () => {
    const { app, origin, patients } = uiTestServer();
    for (let i = 0; i < 5; i++) {
      const browser = new Browser(app, origin);
      await browser.get("/register");
      const { res } = await browser.post(
        "/register",
        registration({ username: `ann${i}`, email: `ann${i}@example.org` }),
      );
      expect(res.status, `registration ${i}`).toBe(303);
    }
    const browser = new Browser(app, origin);
    await browser.get("/register");
    const { res, body } = await browser.post(
      "/register",
      registration({ username: "ann9", email: "ann9@example.org" }),
    );
    expect(res.status).toBe(429);
    expect(body).toContain("Too many registrations");
    expect(patients.created.length).toBe(5);
  });
});

describe("activation codes", () => {
  it("a practitioner issues a code; the patient activates with it and is linked to that Patient; the code works once", async () => {
    const { app, origin } = await staff();
    const doctor = new Browser(app, origin);
    await signIn(doctor, "drwho");
    await doctor.get("/activation-codes");
    const issued = await doctor.post("/activation-codes", { patient: "Patient/abc" });
    expect(issued.res.status).toBe(200);
    const code = /class="secret code">([A-Z2-9-]+)</.exec(issued.body)![1]!;
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    const patient = new Browser(app, origin);
    await patient.get("/activate");
    const fields = {
      code: code.toLowerCase(),
      username: "bob",
      email: "bob@example.org",
      password: GOOD_PASSWORD,
      confirm: GOOD_PASSWORD,
    };
    expect((await patient.post("/activate", fields)).res.status).toBe(303);
    expect((await patient.get("/")).body).toContain("signed in as <strong>bob</strong> (patient)");

    const again = new Browser(app, origin);
    await again.get("/activate");
    const { res, body } = await again.post("/activate", { ...fields, username: "bob2", email: "bob2@example.org" });
    expect(res.status).toBe(400);
    expect(body).toMatch(/id="f-code-error">This activation code is not valid/);
  });

  it("wrong codes count against the address: after 20 the address waits, even with a good code", async () => {
    const { app, origin, users, admin } = await staff();
    const browser = new Browser(app, origin);
    await browser.get("/activate");
    const fields = { username: "bob", email: "bob@example.org", password: GOOD_PASSWORD, confirm: GOOD_PASSWORD };
    for (let i = 0; i < 20; i++)
      expect((await browser.post("/activate", { ...fields, code: "AAAA-BBBB-CCCC" })).res.status).toBe(400);
    const { code } = users.issueActivationCode({ patient: "Patient/abc", issuedBy: admin.id });
    expect((await browser.post("/activate", { ...fields, code })).res.status).toBe(429);
  });

  it("patients and auditors can't issue codes; a visitor is sent to sign in", async () => {
    const { app, origin } = await staff();
    const visitor = new Browser(app, origin);
    const { res } = await visitor.get("/activation-codes");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?next=%2Factivation-codes");
    const patient = new Browser(app, origin);
    await signIn(patient, "carol");
    expect((await patient.get("/activation-codes")).res.status).toBe(403);
    expect((await patient.post("/activation-codes", { patient: "Patient/x" })).res.status).toBe(403);
  });
});

describe("administration page", () => {
  it("is for administrators only", async () => {
    const { app, origin } = await staff();
    const visitor = new Browser(app, origin);
    expect((await visitor.get("/admin")).res.headers.get("location")).toBe("/login?next=%2Fadmin");
    for (const name of ["drwho", "carol"]) {
      const browser = new Browser(app, origin);
      await signIn(browser, name);
      expect((await browser.get("/admin")).res.status, name).toBe(403);
      expect(
        (await browser.post("/admin/users", { role: "admin", username: "evil1", password: GOOD_PASSWORD })).res.status,
      ).toBe(403);
    }
  });

  it("lists accounts, creates practitioners linked to a Practitioner, auditors and administrators, and names the wrong field", async () => {
    const { app, origin, users } = await staff();
    const admin = new Browser(app, origin);
    await signIn(admin, "root1");
    const { body } = await admin.get("/admin");
    for (const name of ["root1", "drwho", "carol", "Practitioner/9", "carol@example.org"]) expect(body).toContain(name);
    expect(body).toContain('<label for="f-role">Role</label>');

    const missingRef = await admin.post("/admin/users", {
      role: "practitioner",
      username: "drno",
      password: GOOD_PASSWORD,
    });
    expect(missingRef.res.status).toBe(400);
    expect(missingRef.body).toMatch(/id="f-fhirUser-error">Practitioner must be a reference/);

    const created = await admin.post("/admin/users", {
      role: "practitioner",
      username: "drno",
      fhirUser: "Practitioner/7",
      password: GOOD_PASSWORD,
    });
    expect(created.res.status).toBe(200);
    expect(created.body).toContain("The practitioner account drno is created.");
    for (const role of ["auditor", "admin"])
      expect(
        (await admin.post("/admin/users", { role, username: `${role}2`, password: GOOD_PASSWORD })).res.status,
      ).toBe(200);
    expect(users.countUsers()).toBe(6);
    const bogusRole = await admin.post("/admin/users", { role: "system", username: "robot", password: GOOD_PASSWORD });
    expect(bogusRole.res.status).toBe(400);
    expect(bogusRole.body).toMatch(/id="f-role-error">Role must be/);
  });

  it("disables an account, which signs it out at once, and enables it again; not the administrator's own", async () => {
    const { app, origin, users, admin: adminUser } = await staff();
    const carol = new Browser(app, origin);
    await signIn(carol, "carol");
    const admin = new Browser(app, origin);
    await signIn(admin, "root1");
    const carolId = users.listUsers().find((u) => u.username === "carol")!.id;
    await admin.get("/admin");
    const disabled = await admin.post(`/admin/users/${carolId}/disable`, {});
    expect(disabled.res.headers.get("location")).toBe("/admin?notice=disabled");
    expect((await carol.get("/")).body).not.toContain("signed in as");
    expect(await users.authenticate("carol", GOOD_PASSWORD)).toBeUndefined();
    await admin.post(`/admin/users/${carolId}/enable`, {});
    expect(await users.authenticate("carol", GOOD_PASSWORD)).toBeDefined();
    const self = await admin.post(`/admin/users/${adminUser.id}/disable`, {});
    expect(self.res.status).toBe(409);
    expect(self.body).toContain("You can&#39;t disable your own account.");
  });

  it("registers apps through the ClientAdmin port, shows a secret once, shows the port's refusal, and removes apps", async () => {
    const { app, origin, clients } = await staff();
    const admin = new Browser(app, origin);
    await signIn(admin, "root1");
    await admin.get("/admin");
    const { body } = await admin.post("/admin/apps", {
      name: "Growth <Charts>",
      type: "confidential-symmetric",
      redirectUris: "https://app.example/cb\nhttps://app.example/cb2",
      scope: "launch/patient  openid fhirUser patient/*.rs",
    });
    expect(body).toContain("Client secret, shown this once");
    expect(body).toContain("secret-of-client-1");
    expect(body).toContain("Growth &lt;Charts&gt;");
    expect(clients.apps[0]).toMatchObject({
      redirectUris: ["https://app.example/cb", "https://app.example/cb2"],
      scope: "launch/patient openid fhirUser patient/*.rs",
    });
    expect((await admin.get("/admin")).body).not.toContain("secret-of-client-1");

    const refused = await admin.post("/admin/apps", {
      name: "Bad",
      type: "public",
      redirectUris: "http://evil.example/cb",
      scope: "openid",
    });
    expect(refused.res.status).toBe(400);
    expect(refused.body).toContain("A redirect URI must be https");
    const tooMany = await admin.post("/admin/apps", {
      name: "Many",
      type: "public",
      redirectUris: Array.from({ length: 11 }, (_, i) => `https://a.example/${i}`).join("\n"),
      scope: "openid",
    });
    expect(tooMany.body).toContain("At most 10 redirect URIs.");

    const removed = await admin.post("/admin/apps/client-1/remove", {});
    expect(removed.res.status).toBe(303);
    expect(clients.apps).toEqual([]);
    const gone = await admin.post("/admin/apps/client-1/remove", {});
    expect(gone.res.status).toBe(404);
    expect(gone.body).toContain("There is no such app");
  });
});

describe("errors", () => {
  it("a port failing unexpectedly is a plain 500 page that shows nothing of the error", async () => {
    const server = await staff();
    server.grants.list = async () => {
      throw new Error("database password is hunter2 at /var/lib/oauth.sqlite");
    };
    const browser = new Browser(server.app, server.origin);
    await signIn(browser, "carol");
    const { res, body } = await browser.get("/apps");
    expect(res.status).toBe(500);
    expect(body).toContain("Something went wrong on our side");
    expect(body).not.toContain("hunter2");
    expect(body).not.toContain("oauth.sqlite");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });
});

describe("connected apps", () => {
  it("lists the user's grants through the UserGrants port and revokes one; another user's grant is not found", async () => {
    const { app, origin, grants, users } = await staff();
    const carol = users.listUsers().find((u) => u.username === "carol")!;
    grants.byUser.set(carol.id, [
      {
        grantId: "g1",
        clientName: "Growth <Charts>",
        scopes: ["patient/Observation.rs", "openid"],
        grantedAt: Date.UTC(2026, 0, 2),
        patient: "Patient/c1",
      },
    ]);
    const browser = new Browser(app, origin);
    await signIn(browser, "carol");
    const { body } = await browser.get("/apps");
    expect(body).toContain("Growth &lt;Charts&gt;");
    expect(body).toContain("patient/Observation.rs");
    expect(body).toContain("Read and search Observation records of the selected patient");
    expect(body).toContain("2026-01-02");
    const other = new Browser(app, origin);
    await signIn(other, "drwho");
    await other.get("/apps");
    expect((await other.post("/apps/g1/revoke", {})).res.status).toBe(404);
    const { res } = await browser.post("/apps/g1/revoke", {});
    expect(res.headers.get("location")).toBe("/apps?notice=revoked");
    expect((await browser.get("/apps?notice=revoked")).body).toContain("No app holds access you approved.");
  });
});

describe("your account", () => {
  it("changes the password after proving the current one, and signs out every other session", async () => {
    const { app, origin, users } = await staff();
    const elsewhere = new Browser(app, origin);
    await signIn(elsewhere, "carol");
    const browser = new Browser(app, origin);
    await signIn(browser, "carol");
    const { body } = await browser.get("/account");
    expect(body).toContain("carol@example.org");
    expect(body).toContain("Patient/c1");
    const next = "quiet harbour lanterns at dawn";

    const wrong = await browser.post("/account/password", {
      currentPassword: "not it at all!",
      password: next,
      confirm: next,
    });
    expect(wrong.res.status).toBe(400);
    expect(wrong.body).toMatch(/id="f-currentPassword-error">The current password is not correct/);
    const weak = await browser.post("/account/password", {
      currentPassword: GOOD_PASSWORD,
      password: "password1234",
      confirm: "password1234",
    });
    expect(weak.body).toMatch(/id="f-password-error">Password is on the list of common passwords/);

    const { res } = await browser.post("/account/password", {
      currentPassword: GOOD_PASSWORD,
      password: next,
      confirm: next,
    });
    expect(res.headers.get("location")).toBe("/account?notice=changed");
    expect((await browser.get("/account?notice=changed")).body).toContain("Your password is changed.");
    expect((await elsewhere.get("/")).body).not.toContain("signed in as");
    expect(await users.authenticate("carol", GOOD_PASSWORD)).toBeUndefined();
    expect(await users.authenticate("carol", next)).toBeDefined();
  });

  it("is for signed-in users", async () => {
    const { app, origin } = await staff();
    expect((await new Browser(app, origin).get("/account")).res.headers.get("location")).toBe("/login?next=%2Faccount");
  });
});

describe("account events for the audit trail", () => {
  it("tells who did what to which account or app, from which address, and never a password, code or secret", async () => {
    const server = await staff();
    const { app, origin, events } = server;
    const admin = new Browser(app, origin);
    await admin.get("/login");
    await admin.post("/login", { username: "root1", password: "not the password!" });
    await signIn(admin, "root1");
    await admin.get("/admin");
    await admin.post("/admin/users", { role: "auditor", username: "aud1", password: GOOD_PASSWORD });
    const aud = server.users.listUsers().find((u) => u.username === "aud1")!;
    await admin.post(`/admin/users/${aud.id}/disable`, {});
    await admin.post("/admin/apps", {
      name: "A",
      type: "confidential-symmetric",
      redirectUris: "https://a.example/cb",
      scope: "openid",
    });
    const issued = await admin.post("/activation-codes", { patient: "Patient/abc" });
    const code = /class="secret code">([A-Z2-9-]+)</.exec(issued.body)![1]!;
    await admin.post("/logout", {});
    const patient = new Browser(app, origin);
    await patient.get("/activate");
    await patient.post("/activate", {
      code,
      username: "bob",
      email: "bob@example.org",
      password: GOOD_PASSWORD,
      confirm: GOOD_PASSWORD,
    });

    expect(events.map((e) => e.type)).toEqual([
      "login-failed",
      "login",
      "user-created",
      "user-disabled",
      "app-registered",
      "activation-code-issued",
      "logout",
      "activated",
    ]);
    expect(events[0]).toEqual({ type: "login-failed", login: "root1", address: "192.0.2.1" });
    expect(events[2]).toMatchObject({ actor: { username: "root1", role: "admin" }, userId: aud.id });
    expect(events[4]).toMatchObject({ entity: "client-1" });
    expect(events[5]).toMatchObject({ entity: "Patient/abc" });
    expect(events[7]).toMatchObject({ entity: "Patient/abc" });
    const all = JSON.stringify(events);
    for (const secret of [GOOD_PASSWORD, "not the password!", code, "secret-of-client-1"])
      expect(all).not.toContain(secret);
  });

  it("a failing audit hook does not fail the page", async () => {
    const failing = uiTestServer();
    await failing.users.createUser({ username: "root1", password: GOOD_PASSWORD, role: "admin" });
    failing.events.push = () => {
      throw new Error("audit down");
    };
    const browser = new Browser(failing.app, failing.origin);
    await signIn(browser, "root1");
    expect((await browser.get("/admin")).res.status).toBe(200);
  });
});
