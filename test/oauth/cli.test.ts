import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FileKeyStore } from "../../src/adapters/keys/FileKeyStore.ts";
import { ClientRegistry } from "../../src/auth/oauth/ClientRegistry.ts";
import { openOAuthDatabase } from "../../src/auth/oauth/oauthDatabase.ts";
import { registerClient, rotateSigningKey } from "../../src/cli/oauthCommands.ts";
import { clientKeys } from "./support/oauthHarness.ts";

let dataDir: string;
let env: Record<string, string>;
let out: string[];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "fhirledger-oauth-cli-"));
  env = { FHIRLEDGER_DATA_DIR: dataDir };
  out = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dataDir, { recursive: true, force: true });
});

describe("fhirledger rotate-signing-key", () => {
  it("starts new ES256 and RS256 keys and keeps the old ones, retired", async () => {
    const keysDir = join(dataDir, "keys");
    const before = await FileKeyStore.open({ dir: keysDir });
    const [es] = await before.signingKeys("ES256");
    await before.close();
    expect(await rotateSigningKey([], env)).toBe(0);
    expect(out.join("")).toMatch(/new ES256 signing key [A-Za-z0-9_-]{22}/);
    expect(out.join("")).toMatch(/new RS256 signing key/);
    const after = await FileKeyStore.open({ dir: keysDir });
    const kept = await after.signingKeys("ES256");
    expect(kept.map((k) => k.kid)).toEqual([expect.any(String), es!.kid]);
    expect(kept[1]!.retiredAt).toBeInstanceOf(Date);
    await after.close();
  });

  it("refuses an algorithm it does not sign with", async () => {
    await expect(rotateSigningKey(["--alg", "HS256"], env)).rejects.toMatchObject({ code: "bad-request" });
  });
});

describe("fhirledger register-client", () => {
  it("registers a symmetric client into a 0600 oauth.sqlite and prints its secret once", async () => {
    const code = await registerClient(
      [
        "--name",
        "Clinic App",
        "--auth",
        "client_secret_basic",
        "--scope",
        "launch/patient patient/*.rs",
        "--redirect-uri",
        "https://app.example/cb",
        "--client-id",
        "clinic",
      ],
      env,
    );
    expect(code).toBe(0);
    const secret = /client_secret: (\S+)/.exec(out.join(""))![1]!;
    expect((await stat(join(dataDir, "oauth.sqlite"))).mode & 0o077).toBe(0);
    const db = openOAuthDatabase(join(dataDir, "oauth.sqlite"));
    try {
      const registry = new ClientRegistry(db);
      expect(registry.get("clinic")).toMatchObject({ name: "Clinic App", redirectUris: ["https://app.example/cb"] });
      expect(registry.checkSecret("clinic", secret)).toBe(true);
      expect(registry.checkSecret("clinic", `${secret}x`)).toBe(false);
      // the secret is not stored as such
      expect(JSON.stringify(db.prepare("SELECT * FROM clients").all())).not.toContain(secret);
    } finally {
      db.close();
    }
  });

  it("registers a backend client from a JWKS file", async () => {
    const keys = await clientKeys("ES384");
    const file = join(dataDir, "client.jwks.json");
    await writeFile(file, JSON.stringify(keys.jwks));
    expect(
      await registerClient(
        ["--name", "Bulk", "--auth", "private_key_jwt", "--scope", "system/*.rs", "--jwks-file", file],
        env,
      ),
    ).toBe(0);
    expect(out.join("")).not.toContain("client_secret");
  });

  it("refuses missing options and bad metadata as usage errors", async () => {
    await expect(registerClient(["--name", "X"], env)).rejects.toMatchObject({ code: "bad-request" });
    await expect(
      registerClient(
        ["--name", "X", "--auth", "none", "--scope", "patient/*.rs", "--redirect-uri", "http://evil.example/cb"],
        env,
      ),
    ).rejects.toMatchObject({ code: "bad-request" });
  });
});
