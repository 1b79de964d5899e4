import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server as HttpServer, ServerOptions, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Config } from "../config/loadConfig.ts";

export type ListeningServer = HttpServer;

export interface ListenOptions {
  http: Pick<Config["http"], "host" | "port">;
  connections: Config["connections"];
  /** Request line plus headers (node's maxHeaderSize). */
  maxHeaderBytes: number;
  onRequest: (req: IncomingMessage, res: ServerResponse) => void;
  /** What a request node could not parse, or one that timed out, is answered with. */
  onClientError: (error: Error, socket: Duplex) => void;
}

/**
 * Starts the HTTP server with the limits that keep a slow or greedy client from holding it: the whole
 * request and its headers within their timeouts (408), idle keep-alive connections closed,
 * and at most `maxConnections` open at once. Resolves once it listens.
 * @see https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener
 */
export async function listen(options: ListenOptions): Promise<ListeningServer> {
  const { connections } = options;
  const httpOptions: ServerOptions = {
    maxHeaderSize: options.maxHeaderBytes,
    requestTimeout: connections.requestTimeoutMs,
    headersTimeout: connections.headersTimeoutMs,
    keepAliveTimeout: connections.keepAliveTimeoutMs,
    // node looks for timed-out requests only this often (30 s by default), so a timeout takes
    // effect up to one interval late; a quarter of the shorter timeout keeps that small.
    connectionsCheckingInterval: Math.min(30_000, Math.max(25, Math.floor(connections.headersTimeoutMs / 4))),
  };
  const server: ListeningServer = createHttpServer(httpOptions, options.onRequest);
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
