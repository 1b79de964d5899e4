import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "./listen.ts";

const CONNECTIONS = { requestTimeoutMs: 1000, headersTimeoutMs: 1000, keepAliveTimeoutMs: 1000, maxConnections: 10 };

describe("listen: TLS set-up errors", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fhirledger-listen-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const start = (certPath: string, keyPath: string) =>
    listen({
      http: { host: "127.0.0.1", port: 0 },
      connections: CONNECTIONS,
      tls: { certPath, keyPath, behindProxy: false },
      maxHeaderBytes: 16 * 1024,
      onRequest: (_req, res) => res.end(),
      onClientError: (_error, socket) => socket.destroy(),
    });

  it("names the setting and the path of a certificate or key it cannot read", async () => {
    const missing = join(dir, "missing.pem");
    await expect(start(missing, missing)).rejects.toThrow(`FHIRLEDGER_TLS_CERT: cannot read ${missing} (ENOENT)`);
    const cert = join(dir, "present-cert.pem");
    await writeFile(cert, "");
    await expect(start(cert, missing)).rejects.toThrow(`FHIRLEDGER_TLS_KEY: cannot read ${missing} (ENOENT)`);
  });

  it("says so when the files are not a PEM certificate and key, without printing them", async () => {
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    await writeFile(cert, "not a certificate");
    await writeFile(key, "secret-looking key material");
    const error = await start(cert, key).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/FHIRLEDGER_TLS_CERT and FHIRLEDGER_TLS_KEY are not a usable PEM/);
    expect((error as Error).message).not.toContain("secret-looking");
  });
});
