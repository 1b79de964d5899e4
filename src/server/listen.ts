import { readFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server as HttpServer, ServerOptions, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import type { Config } from "../config/loadConfig.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";

export type ListeningServer = HttpServer | HttpsServer;

export interface ListenOptions {
  http: Pick<Config["http"], "host" | "port">;
  connections: Config["connections"];
  tls: Config["tls"];
  /** Request line plus headers (node's maxHeaderSize). */
  maxHeaderBytes: number;
  onRequest: (req: IncomingMessage, res: ServerResponse) => void;
  /** What a request node could not parse, or one that timed out, is answered with. */
  onClientError: (error: Error, socket: Duplex) => void;
}

/**
 * Starts the HTTP server, or HTTPS (TLS 1.2 at least) when a certificate and key are
 * configured, with the limits that keep a slow or greedy client from holding it: the whole
 * request and its headers within their timeouts (408), idle keep-alive connections closed,
 * and at most `maxConnections` open at once. Resolves once it listens.
 * @see https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener
 */
export async function listen(options: ListenOptions): Promise<ListeningServer> {
  const { connections, tls } = options;
  const httpOptions: ServerOptions = {
    maxHeaderSize: options.maxHeaderBytes,
    requestTimeout: connections.requestTimeoutMs,
    headersTimeout: connections.headersTimeoutMs,
    keepAliveTimeout: connections.keepAliveTimeoutMs,
    // node looks for timed-out requests only this often (30 s by default), so a timeout takes
    // effect up to one interval late; a quarter of the shorter timeout keeps that small.
    connectionsCheckingInterval: Math.min(30_000, Math.max(25, Math.floor(connections.headersTimeoutMs / 4))),
  };
  let server: ListeningServer;
  if (tls.certPath !== null && tls.keyPath !== null) {
    // One after the other, so a start that fails names the same file each time.
    const cert = await readPem("FHIRLEDGER_TLS_CERT", tls.certPath);
    const key = await readPem("FHIRLEDGER_TLS_KEY", tls.keyPath);
    try {
      server = createHttpsServer(
        { ...httpOptions, cert, key, minVersion: "TLSv1.2", handshakeTimeout: connections.headersTimeoutMs },
        options.onRequest,
      );
    } catch (cause) {
      throw new FhirLedgerError(
        "invalid",
        `FHIRLEDGER_TLS_CERT and FHIRLEDGER_TLS_KEY are not a usable PEM certificate and private key (${(cause as { code?: string }).code ?? "unreadable"})`,
        { cause },
      );
    }
  } else {
    server = createHttpServer(httpOptions, options.onRequest);
  }
  server.maxConnections = connections.maxConnections;
  server.on("clientError", options.onClientError);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.http.port, options.http.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

async function readPem(setting: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new FhirLedgerError(
      "invalid",
      `${setting}: cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? "error"})`,
      { cause },
    );
  }
}
