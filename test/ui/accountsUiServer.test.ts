import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRequestListener } from "@hono/node-server";
import { afterEach, describe, expect, it } from "vitest";
import { FAST_SCRYPT } from "../../src/accounts/testSupport/fastScrypt.ts";
import { loadConfig } from "../../src/config/loadConfig.ts";
import { openAccountsUi } from "../../src/ui/openAccountsUi.ts";
import { FakeClientAdmin, FakePatientRegistrar, FakeUserGrants } from "../../src/ui/testSupport/fakes.ts";
import { GOOD_PASSWORD } from "./uiTestServer.ts";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(env: Record<string, string>) {
  const config = loadConfig(env);
  const ui = await openAccountsUi({
    config,
    baseUrl: () => "http://127.0.0.1/fhir",
    patients: new FakePatientRegistrar(),
    clients: new FakeClientAdmin(),
    grants: new FakeUserGrants(),
    scrypt: FAST_SCRYPT,
  });
  const server = createServer(getRequestListener(ui.app.fetch));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => ui.close());
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { ui, config, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function dataDirWithAdmin() {
  const dir = mkdtempSync(join(tmpdir(), "accounts-ui-"));
  const passwordFile = join(dir, "admin.password");
  writeFileSync(passwordFile, `${GOOD_PASSWORD}\n`, { mode: 0o600 });
  return {
    FHIRLEDGER_DATA_DIR: join(dir, "data"),
    FHIRLEDGER_ADMIN_USERNAME: "root1",
    FHIRLEDGER_ADMIN_PASSWORD_FILE: passwordFile,
  };
}

async function signInOverHttp(url: string, username: string, password: string) {
  const page = await fetch(`${url}/login`);
  const cookie = page.headers.getSetCookie()[0]!.split(";")[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  return fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, username, password }).toString(),
  });
}

describe("the accounts pages on a real HTTP server", () => {
  it("creates the configured first administrator in a private accounts.sqlite once, who can then sign in", async () => {
    const env = dataDirWithAdmin();
    const { ui, config, url } = await serve(env);
    expect(ui.firstAdmin).toBe("created");
    expect(statSync(config.accounts.sqlitePath).mode & 0o777).toBe(0o600);
    const res = await signInOverHttp(url, "root1", GOOD_PASSWORD);
    expect(res.status).toBe(303);
    const session = res.headers.getSetCookie()[0]!.split(";")[0]!;
    const admin = await fetch(`${url}/admin`, { headers: { cookie: session } });
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain("Sign out root1");
    await ui.close();
    cleanups.length = 0;
    const again = await serve(env);
    expect(again.ui.firstAdmin).toBe("exists");
  });

  it("rate-limits by the socket's peer address when no clientAddress is given", async () => {
    const { url } = await serve(dataDirWithAdmin());
    for (let i = 0; i < 20; i++) expect((await signInOverHttp(url, `user${i}`, "not the password!")).status).toBe(401);
    expect((await signInOverHttp(url, "root1", GOOD_PASSWORD)).status).toBe(429);
  });
});
