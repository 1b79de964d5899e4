/**
 * KuboBlobStore against a PROTOCOL FAKE of the Kubo RPC API, not against Kubo.
 *
 * No Kubo binary is reachable in CI, so this file serves the handful of `/api/v0/*` endpoints
 * KuboBlobStore calls from a node:http server backed by a Map, speaking the wire format
 * kubo-rpc-client 7 sends (POST, `arg` query parameters, kebab-case options, one multipart
 * part for block/put) and answering the way Kubo does (JSON bodies, 500 + {"Message", "Code",
 * "Type":"error"} on failure, ndjson for block/rm). It is strict where Kubo's behaviour
 * matters to us: unknown options are rejected, and a block lookup without `offline=true` is
 * refused instead of being simulated as a network search.
 *
 * It proves the adapter's requests and error mapping, not Kubo's behaviour. The same contract
 * suite runs against a real daemon from blobStores.test.ts when KUBO_API_URL is set
 * (docs/kubo.md).
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KuboBlobStore } from "../../src/adapters/blob/KuboBlobStore.ts";
import { rawCid } from "../../src/adapters/blob/rawCid.ts";
import type { BlobStore } from "../../src/ports/BlobStore.ts";
import { blobStoreContract, expectBytes, expectCode } from "./blobStore.contract.ts";

/** Options Kubo accepts on every command (the ones kubo-rpc-client may add). */
const GLOBAL_OPTIONS = new Set(["offline", "timeout", "stream-channels", "encoding", "cid-base"]);
const COMMAND_OPTIONS: Record<string, Set<string>> = {
  version: new Set(),
  "block/put": new Set(["cid-codec", "mhtype", "mhlen", "pin", "allow-big-block", "format"]),
  "block/get": new Set(["arg"]),
  "block/stat": new Set(["arg"]),
  "block/rm": new Set(["arg", "force", "quiet"]),
  "pin/rm": new Set(["arg", "recursive"]),
};
const SOFT_BLOCK_LIMIT = 1024 * 1024;

interface FakeKuboRequest {
  command: string;
  params: URLSearchParams;
  authorization: string | undefined;
}

/** In-memory stand-in for the Kubo RPC endpoints KuboBlobStore uses. Test code only. */
class FakeKuboRpc {
  readonly blocks = new Map<string, Uint8Array>();
  readonly pins = new Set<string>();
  readonly requests: FakeKuboRequest[] = [];
  /** When set, every request waits this long before answering (to exercise deadlines). */
  delayMs = 0;
  /** When set, requests without this Authorization header get Kubo's 403 (API.Authorizations). */
  requiredAuthorization: string | null = null;
  readonly #server: Server;

  constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) =>
        fail(res, 500, `fake kubo crashed: ${(error as Error).message}`),
      );
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const command = url.pathname.replace(/^\/api\/v0\//, "");
    this.requests.push({ command, params: url.searchParams, authorization: req.headers.authorization });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.requiredAuthorization !== null && req.headers.authorization !== this.requiredAuthorization) {
      return fail(res, 403, "403 - Forbidden", "text/plain");
    }
    if (req.method !== "POST") return fail(res, 405, `${req.method} not allowed`, "text/plain");
    const allowed = COMMAND_OPTIONS[command];
    if (!url.pathname.startsWith("/api/v0/") || !allowed) return fail(res, 404, "404 page not found", "text/plain");
    for (const key of url.searchParams.keys()) {
      if (!allowed.has(key) && !GLOBAL_OPTIONS.has(key))
        return fail(res, 400, `fake kubo: unknown option "${key}" for ${command}`);
    }
    const arg = url.searchParams.get("arg") ?? "";
    const offline = url.searchParams.get("offline") === "true";

    switch (command) {
      case "version":
        return json(res, { Version: "0.0.0-protocol-fake", Commit: "", Repo: "16", System: "fake", Golang: "none" });
      case "block/put": {
        const bytes = singleMultipartPart(req.headers["content-type"] ?? "", body);
        if (!bytes) return fail(res, 400, "file argument 'data' is required");
        if (
          (url.searchParams.get("cid-codec") ?? "raw") !== "raw" ||
          (url.searchParams.get("mhtype") ?? "sha2-256") !== "sha2-256"
        ) {
          return fail(res, 500, "fake kubo only implements cid-codec=raw with mhtype=sha2-256");
        }
        const cid = rawCid(bytes).toString();
        this.blocks.set(cid, bytes);
        if (url.searchParams.get("pin") === "true") this.pins.add(cid);
        // Kubo stores the block first and checks the size after (cmdutils.CheckBlockSize).
        if (bytes.byteLength > SOFT_BLOCK_LIMIT && url.searchParams.get("allow-big-block") !== "true") {
          return fail(
            res,
            500,
            "produced block is over 1MiB: big blocks can't be exchanged with other peers. consider using UnixFS for automatic chunking of bigger files, or pass --allow-big-block to override",
          );
        }
        return json(res, { Key: cid, Size: bytes.byteLength });
      }
      case "block/get":
      case "block/stat": {
        if (!offline)
          return fail(
            res,
            500,
            "protocol fake: online block lookup (network search) is not simulated; send offline=true",
          );
        const bytes = this.blocks.get(arg);
        if (!bytes) return fail(res, 500, `block was not found locally (offline): ipld: could not find ${arg}`);
        if (command === "block/stat") return json(res, { Key: arg, Size: bytes.byteLength });
        res.writeHead(200, { "content-type": "text/plain", "x-stream-output": "1" });
        return void res.end(bytes);
      }
      case "pin/rm":
        if (!this.pins.delete(arg)) return fail(res, 500, "not pinned or pinned indirectly");
        return json(res, { Pins: [arg] });
      case "block/rm": {
        res.writeHead(200, { "content-type": "application/json", "x-chunked-output": "1" });
        if (this.pins.has(arg)) return void res.end(`${JSON.stringify({ Hash: arg, Error: "pinned: recursive" })}\n`);
        if (!this.blocks.delete(arg) && url.searchParams.get("force") !== "true") {
          return void res.end(`${JSON.stringify({ Hash: arg, Error: `ipld: could not find ${arg}` })}\n`);
        }
        return void res.end(`${JSON.stringify({ Hash: arg })}\n`);
      }
    }
  }
}

/** Extracts the one file part kubo-rpc-client sends (`--boundary`, headers, blank line, bytes, `--boundary--`). */
function singleMultipartPart(contentType: string, body: Buffer): Uint8Array | null {
  const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
  if (!boundary) return null;
  const headerEnd = body.indexOf("\r\n\r\n");
  const end = body.lastIndexOf(`\r\n--${boundary}--`);
  if (!body.subarray(0, headerEnd).toString().startsWith(`--${boundary}\r\n`) || headerEnd < 0 || end < headerEnd + 4)
    return null;
  return Uint8Array.from(body.subarray(headerEnd + 4, end));
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

/** Kubo's error shape (go-ipfs-cmds): JSON with Message/Code/Type, or plain text from the router. */
function fail(res: ServerResponse, status: number, message: string, contentType = "application/json"): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": contentType });
  res.end(contentType === "application/json" ? JSON.stringify({ Message: message, Code: 0, Type: "error" }) : message);
}

const fake = new FakeKuboRpc();
let apiUrl = "";
beforeAll(async () => {
  apiUrl = await fake.listen();
});
afterAll(() => fake.close());

blobStoreContract(
  "KuboBlobStore against the Kubo RPC protocol fake (real Kubo: set KUBO_API_URL)",
  async () => {
    fake.blocks.clear();
    fake.pins.clear();
    let store: BlobStore = await KuboBlobStore.open({ apiUrl });
    return {
      get store() {
        return store;
      },
      tamper: async (cid) => {
        fake.blocks.get(cid)![0]! ^= 0xff;
      },
      reopen: async () => {
        await store.close();
        store = await KuboBlobStore.open({ apiUrl });
        return store;
      },
      cleanup: () => store.close(),
    };
  },
  { tamper: true, reopen: true, abort: true },
);

describe("KuboBlobStore wire behaviour (against the protocol fake)", () => {
  let store: KuboBlobStore | null = null;
  afterEach(async () => {
    await store?.close();
    store = null;
    fake.delayMs = 0;
    fake.requiredAuthorization = null;
    fake.requests.length = 0;
  });

  it("puts a pinned raw sha2-256 block and reads with offline=true", async () => {
    store = await KuboBlobStore.open({ apiUrl });
    const cid = await store.put(new TextEncoder().encode("wire"));
    await store.get(cid);
    await store.has(cid);
    const put = fake.requests.find((r) => r.command === "block/put")!;
    expect(Object.fromEntries(put.params)).toMatchObject({ "cid-codec": "raw", mhtype: "sha2-256", pin: "true" });
    expect(fake.pins.has(cid)).toBe(true);
    for (const command of ["block/get", "block/stat"]) {
      expect(fake.requests.find((r) => r.command === command)!.params.get("offline")).toBe("true");
    }
    expect(put.params.get("timeout")).toBe("10000ms");
  });

  it("delete unpins before removing, so the block is really gone from the node", async () => {
    store = await KuboBlobStore.open({ apiUrl });
    const cid = await store.put(new TextEncoder().encode("erase me"));
    await store.delete(cid);
    expect(fake.pins.has(cid)).toBe(false);
    expect(fake.blocks.has(cid)).toBe(false);
    expect(fake.requests.map((r) => r.command).slice(-2)).toEqual(["pin/rm", "block/rm"]);
  });

  it("delete fails with conflict when Kubo keeps the block (pinned by someone else)", async () => {
    store = await KuboBlobStore.open({ apiUrl });
    const cid = await store.put(new TextEncoder().encode("pinned elsewhere"));
    await store.delete(cid);
    fake.blocks.set(cid, new TextEncoder().encode("pinned elsewhere"));
    fake.pins.add(cid);
    const pinRm = fake.pins.delete.bind(fake.pins);
    fake.pins.delete = () => false; // a pin our pin/rm cannot remove (e.g. an indirect one)
    try {
      await expectCode(store.delete(cid), "conflict");
    } finally {
      fake.pins.delete = pinRm;
    }
  });

  it("stores blocks over Kubo's 1 MiB soft limit by sending allow-big-block (same as Helia)", async () => {
    store = await KuboBlobStore.open({ apiUrl });
    const bytes = new Uint8Array(randomBytes(1024 * 1024 + 1));
    const cid = await store.put(bytes);
    expectBytes(await store.get(cid), bytes);
    expect(fake.requests.find((r) => r.command === "block/put")!.params.get("allow-big-block")).toBe("true");
  });

  it("rejects CIDs it never writes (CIDv0, other codecs) as invalid without calling Kubo", async () => {
    store = await KuboBlobStore.open({ apiUrl });
    fake.requests.length = 0;
    await expectCode(store.get("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"), "invalid");
    await expectCode(store.get("bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua"), "invalid");
    expect(fake.requests).toEqual([]);
  });

  it("fails with unavailable when Kubo does not answer within timeoutMs", async () => {
    store = await KuboBlobStore.open({ apiUrl, timeoutMs: 200 });
    fake.delayMs = 1_000;
    const started = Date.now();
    await expectCode(store.get(rawCid(new Uint8Array([1])).toString()), "unavailable");
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("honours a caller's abort while the request is in flight", async () => {
    store = await KuboBlobStore.open({ apiUrl });
    fake.delayMs = 1_000;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(store.put(new TextEncoder().encode("slow"), { signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
  });

  it("refuses to open when Kubo is unreachable, fast and with unavailable", async () => {
    const closed = new FakeKuboRpc();
    const deadUrl = await closed.listen();
    await closed.close();
    await expectCode(KuboBlobStore.open({ apiUrl: deadUrl, timeoutMs: 2_000 }), "unavailable");
  });

  it("sends URL credentials as Basic auth and never puts them in an error message", async () => {
    const withCredentials = apiUrl.replace("http://", "http://fhir-user:s3cr3t-pass@");
    store = await KuboBlobStore.open({ apiUrl: withCredentials });
    expect(fake.requests[0]!.authorization).toBe(`Basic ${Buffer.from("fhir-user:s3cr3t-pass").toString("base64")}`);

    const closed = new FakeKuboRpc();
    const deadUrl = (await closed.listen()).replace("http://", "http://fhir-user:s3cr3t-pass@");
    await closed.close();
    const error = await expectCode(KuboBlobStore.open({ apiUrl: deadUrl }), "unavailable");
    fake.delayMs = 500;
    const timeoutStore = await KuboBlobStore.open({ apiUrl: withCredentials, timeoutMs: 100 }).catch((e: unknown) => e);
    for (const e of [error, timeoutStore]) {
      const text = `${String(e)} ${(e as Error).message} ${JSON.stringify(e)} ${(e as Error).stack}`;
      expect(text).not.toContain("s3cr3t-pass");
      expect(text).not.toContain("fhir-user");
    }
  });

  it("reports wrong credentials as unavailable with a hint, without echoing them", async () => {
    fake.requiredAuthorization = `Basic ${Buffer.from("fhir-user:right").toString("base64")}`;
    const error = await expectCode(
      KuboBlobStore.open({ apiUrl: apiUrl.replace("http://", "http://fhir-user:wrong-pass@") }),
      "unavailable",
    );
    expect(error.message).toMatch(/credentials/);
    expect(`${error.message} ${error.stack}`).not.toContain("wrong-pass");
    fake.requiredAuthorization = null;
  });

  it("rejects an API URL that is not http(s) as invalid", async () => {
    await expectCode(KuboBlobStore.open({ apiUrl: "ftp://127.0.0.1:5001" }), "invalid");
    await expectCode(KuboBlobStore.open({ apiUrl: "not a url" }), "invalid");
  });

  it("refuses calls after close", async () => {
    const closedStore = await KuboBlobStore.open({ apiUrl });
    await closedStore.close();
    await expectCode(closedStore.get(rawCid(new Uint8Array([2])).toString()), "unavailable");
  });
});
