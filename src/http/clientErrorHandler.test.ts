import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientErrorHandler } from "./clientErrorHandler.ts";
import { rawRequest as send } from "./testSupport/rawRequest.ts";

const MAX = 2048;

describe("clientErrorHandler", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer({ maxHeaderSize: MAX }, (_req, res) => res.end("ok"));
    server.on("clientError", clientErrorHandler({ maxHeaderBytes: MAX }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers a URL over the limit with 414 and an OperationOutcome", async () => {
    const res = await send(port, `GET /Patient?name=${"x".repeat(MAX * 2)} HTTP/1.1\r\nHost: a\r\n\r\n`);
    expect(res.status).toBe(414);
    expect(res.head).toMatch(/^Content-Type: application\/fhir\+json; charset=utf-8$/m);
    expect(res.head).toMatch(/^Connection: close$/m);
    expect(JSON.parse(res.body)).toMatchObject({
      resourceType: "OperationOutcome",
      issue: [{ severity: "error", code: "too-long", diagnostics: expect.stringContaining(`${MAX} bytes`) }],
    });
  });

  it("answers headers over the limit with 431, and bytes that are not HTTP with 400", async () => {
    const big = await send(port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"y".repeat(MAX * 2)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(JSON.parse(big.body).resourceType).toBe("OperationOutcome");
    const garbage = await send(port, "\x00\x01 hello\r\n\r\n");
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body).issue[0].code).toBe("invalid");
  });

  it("leaves the server serving afterwards", async () => {
    const res = await send(port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(res.status).toBe(200);
  });
});
