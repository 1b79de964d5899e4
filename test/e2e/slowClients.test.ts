import { connect } from "node:net";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

/** A raw connection that records what the server sends and when it closes the connection. */
interface Watched {
  socket: Socket;
  /** Everything received so far. */
  received: () => string;
  /** Resolves with the time from connecting to the server closing the connection (or null after `withinMs`). */
  closed: (withinMs: number) => Promise<number | null>;
}

async function open(port: number): Promise<Watched> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const started = Date.now();
  let data = "";
  let closedAt: number | null = null;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    data += chunk;
  });
  socket.on("error", () => {
    /* a reset counts as closed */
  });
  const gone = new Promise<void>((resolve) => {
    socket.on("close", () => {
      closedAt = Date.now();
      resolve();
    });
  });
  return {
    socket,
    received: () => data,
    closed: async (withinMs) => {
      await Promise.race([gone, new Promise((r) => setTimeout(r, withinMs))]);
      return closedAt === null ? null : closedAt - started;
    },
  };
}

/** Writes `chunk` every `everyMs` until the socket closes or `times` writes were made. */
function dribble(socket: Socket, chunk: string, everyMs: number, times: number): () => void {
  let n = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || n++ >= times) return clearInterval(timer);
    socket.write(chunk);
  }, everyMs);
  return () => clearInterval(timer);
}

describe("slow clients: request, header and keep-alive timeouts", () => {
  let server: TestServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        FHIRLEDGER_HTTP_REQUEST_TIMEOUT_MS: "1500",
        FHIRLEDGER_HTTP_HEADERS_TIMEOUT_MS: "1000",
        FHIRLEDGER_HTTP_KEEP_ALIVE_TIMEOUT_MS: "500",
      },
    });
    port = Number(new URL(server.baseUrl).port);
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("a body dribbled slower than the request timeout is cut off with a 408, while other requests are served", async () => {
    const slow = await open(port);
    slow.socket.write(
      "POST /Patient HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/fhir+json\r\n" +
        `Authorization: Bearer ${server.devToken}\r\nContent-Length: 1000\r\n\r\n{`,
    );
    // 1000 bytes at one byte per 100 ms would take 100 s.
    const stop = dribble(slow.socket, " ", 100, 1000);
    try {
      // Served meanwhile, on other connections.
      for (let i = 0; i < 3; i++) {
        const res = await server.request("/metadata");
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      const afterMs = await slow.closed(6_000);
      expect(afterMs, "the slow upload was not cut off").not.toBeNull();
      expect(afterMs!).toBeGreaterThanOrEqual(1_400);
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(slow.received()).toContain('"resourceType":"OperationOutcome"');
    } finally {
      stop();
      slow.socket.destroy();
    }
    // Nothing was created from the partial body, and the server goes on serving.
    const search = await server.json<{ total: number }>("/Patient?_summary=count");
    expect(search.body.total).toBe(0);
  });

  it("headers dribbled slower than the headers timeout are cut off with a 408", async () => {
    const slow = await open(port);
    slow.socket.write("GET /metadata HTTP/1.1\r\nHost: localhost\r\n");
    const stop = dribble(slow.socket, "X-Slow: a\r\n", 100, 1000);
    try {
      const afterMs = await slow.closed(5_000);
      expect(afterMs, "the slow headers were not cut off").not.toBeNull();
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      stop();
      slow.socket.destroy();
    }
    expect((await server.request("/metadata")).status).toBe(200);
  });

  it("an idle keep-alive connection is closed after the keep-alive timeout", async () => {
    const idle = await open(port);
    idle.socket.write("GET /metadata HTTP/1.1\r\nHost: localhost\r\n\r\n");
    // node adds a second of grace (keepAliveTimeoutBuffer) to the 500 ms; its default is 5 s.
    const afterMs = await idle.closed(4_000);
    idle.socket.destroy();
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(afterMs, "the idle connection was kept open").not.toBeNull();
  });
});

describe("slow clients: connection cap", () => {
  let server: TestServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer({ env: { FHIRLEDGER_HTTP_MAX_CONNECTIONS: "2" } });
    port = Number(new URL(server.baseUrl).port);
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("a connection over the cap is closed at once; the held ones keep working, and a freed place is taken again", async () => {
    const first = await open(port);
    const second = await open(port);
    const third = await open(port);
    try {
      third.socket.write("GET /metadata HTTP/1.1\r\nHost: localhost\r\n\r\n");
      expect(await third.closed(2_000), "the connection over the cap was served").not.toBeNull();
      expect(third.received()).toBe("");

      first.socket.write("GET /metadata HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      expect(await first.closed(5_000)).not.toBeNull();
      expect(first.received()).toMatch(/^HTTP\/1\.1 200 /);

      const fourth = await open(port);
      fourth.socket.write("GET /metadata HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      expect(await fourth.closed(5_000)).not.toBeNull();
      expect(fourth.received()).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      for (const w of [first, second, third]) w.socket.destroy();
    }
  });
});
