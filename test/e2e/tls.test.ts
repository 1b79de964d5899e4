import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { get as httpGet } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import type { ConnectionOptions } from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

/** A throw-away self-signed certificate for 127.0.0.1 and localhost, made by openssl. */
async function selfSignedCertificate(dir: string): Promise<{ certPath: string; keyPath: string; cert: Buffer }> {
  const certPath = join(dir, "test-only-cert.pem");
  const keyPath = join(dir, "test-only-key.pem");
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-days",
    "2",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ]);
  return { certPath, keyPath, cert: await readFile(certPath) };
}

/** GET over HTTPS trusting only `ca`. */
function httpsGet(url: string, ca: Buffer, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The protocol a TLS handshake with these options agrees on, or the error that ends it. */
function handshake(options: ConnectionOptions): Promise<{ protocol: string | null } | { error: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect(options, () => {
      const protocol = socket.getProtocol();
      socket.destroy();
      resolve({ protocol });
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

/** `npm start`'s entry point with `env`: its exit code and output, or null if it started listening. */
async function startProcess(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(join(process.cwd(), "node_modules/.bin/node"), ["src/main.ts"], {
    env: { ...process.env, FHIRLEDGER_PORT: "0", FHIRLEDGER_CHAIN_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (child.exitCode === null && !output.includes("Base URL:") && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  if (child.exitCode === null) {
    child.kill("SIGTERM");
    await exited;
    return { code: null, output };
  }
  return { code: await exited, output };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("listening beyond loopback needs TLS", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fhirledger-tls-"));
  });
  afterAll(async () => {
    await removeDir(dir);
  });

  it("a non-loopback address over plain HTTP (0.0.0.0, ::) refuses to start, saying what to set", async () => {
    const hosts = ["0.0.0.0", "::"];
    const runs = await Promise.all(
      hosts.map((host) => startProcess({ FHIRLEDGER_DATA_DIR: join(dir, `plain-${host}`), FHIRLEDGER_HOST: host })),
    );
    for (const [i, started] of runs.entries()) {
      const host = hosts[i]!;
      expect(started.code, `${host}: ${started.output}`).toBe(2);
      expect(started.output).toContain(`FHIRLEDGER_HOST=${host} is not a loopback address`);
      expect(started.output).toMatch(/FHIRLEDGER_TLS_CERT and FHIRLEDGER_TLS_KEY/);
      expect(started.output).toMatch(/FHIRLEDGER_BEHIND_TLS_PROXY=true/);
    }
  });

  it("with the behind-a-TLS-proxy setting it starts on 0.0.0.0 and links under the proxy's https base", async () => {
    const port = await freePort();
    const server = await startTestServer({
      env: {
        FHIRLEDGER_HOST: "0.0.0.0",
        // the embedded chain is a development default (production mode refuses it)
        FHIRLEDGER_MODE: "development",
        FHIRLEDGER_PORT: String(port),
        FHIRLEDGER_BEHIND_TLS_PROXY: "true",
        FHIRLEDGER_BASE_URL: "https://fhir.example.test/r4",
      },
    });
    try {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        httpGet(`http://127.0.0.1:${port}/metadata`, (r) => {
          let body = "";
          r.on("data", (c: Buffer) => {
            body += c.toString();
          });
          r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
        }).on("error", reject);
      });
      expect(res.status).toBe(200);
      expect((JSON.parse(res.body) as { implementation: { url: string } }).implementation.url).toBe(
        "https://fhir.example.test/r4",
      );
    } finally {
      await server.close();
      await removeDir(server.dataDir);
    }
  });
});

describe("HTTPS with a configured certificate and key", () => {
  let server: TestServer;
  let dir: string;
  let cert: Buffer;
  let port: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fhirledger-tls-"));
    const made = await selfSignedCertificate(dir);
    cert = made.cert;
    server = await startTestServer({
      env: { FHIRLEDGER_TLS_CERT: made.certPath, FHIRLEDGER_TLS_KEY: made.keyPath },
    });
    port = Number(new URL(server.baseUrl).port);
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
    await removeDir(dir);
  });

  it("serves FHIR over HTTPS, under an https base URL", async () => {
    expect(server.baseUrl).toBe(`https://127.0.0.1:${port}`);
    const res = await httpsGet(`${server.baseUrl}/metadata`, cert, server.devToken!);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { implementation: { url: string } }).implementation.url).toBe(server.baseUrl);
  });

  it("answers no plain HTTP on its port", async () => {
    const plain = await new Promise<{ status: number } | { error: string }>((resolve) => {
      httpGet(`http://127.0.0.1:${port}/metadata`, (r) => {
        r.resume();
        resolve({ status: r.statusCode ?? 0 });
      }).on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    expect(plain).not.toHaveProperty("status", 200);
  });

  it("agrees on TLS 1.2 and 1.3 and refuses TLS 1.1 and 1.0", async () => {
    const base = { host: "127.0.0.1", port, ca: cert, servername: "localhost" };
    expect(await handshake({ ...base, minVersion: "TLSv1.3" })).toEqual({ protocol: "TLSv1.3" });
    expect(await handshake({ ...base, maxVersion: "TLSv1.2" })).toEqual({ protocol: "TLSv1.2" });
    // The client allows the old versions (security level 0), so a refusal is the server's.
    for (const version of ["TLSv1.1", "TLSv1"] as const) {
      const old = await handshake({
        ...base,
        minVersion: version,
        maxVersion: version,
        ciphers: "DEFAULT@SECLEVEL=0",
      });
      expect(old, version).toHaveProperty("error");
      expect((old as { error: string }).error, version).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/i);
    }
  });
});
