/**
 * fhirledger for bench/peer.bench.ts, in its own process: a fresh temp data dir, the full
 * pipeline (validation, encryption, Helia, SQLite, anchoring on an embedded anvil chain) or,
 * with `--mode memory`, the in-memory blob store and ledger adapters (the rest is the same).
 *
 * Forked with an IPC channel: sends `{ type: "ready", baseUrl, token }` once listening;
 * `{ type: "settle" }` waits until every write is anchored and answers `{ type: "settled", seconds }`;
 * `{ type: "rss" }` answers `{ type: "rss", maxRssMiB }`; `{ type: "stop" }` closes the server,
 * removes the data dir and exits.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MemoryBlobStore } from "../src/adapters/blob/MemoryBlobStore.ts";
import { MemoryLedger } from "../src/adapters/ledger/MemoryLedger.ts";
import { silentLogger } from "../src/adapters/logging/silentLogger.ts";
import { loadConfig } from "../src/config/loadConfig.ts";
import { startServer } from "../src/server/startServer.ts";

const { values } = parseArgs({
  options: {
    mode: { type: "string", default: "full" },
    auth: { type: "string", default: "on" },
    consent: { type: "string", default: "on" },
    audit: { type: "string", default: "on" },
  },
});
const mode = values.mode === "memory" ? "memory" : "full";
// --auth off: every request is a system client with system/*.* (bench/smart.bench.ts's baseline)
const allowAll = async () => ({ id: "bench", role: "system" as const, scopes: ["system/*.*"] });
// --auth bench (bench/consent.bench.ts): "Bearer system" is a system client with system/*.*,
// "Bearer prac:Practitioner/<id>" a practitioner with user/*.cruds (a signed-in user's app)
const benchAuth = async (authorization: string | undefined) => {
  const bearer = authorization?.replace(/^Bearer /, "") ?? "";
  if (bearer.startsWith("prac:"))
    return { id: bearer, role: "practitioner" as const, scopes: ["user/*.cruds"], fhirUser: bearer.slice(5) };
  return { id: "bench", role: "system" as const, scopes: ["system/*.*"] };
};
if (!process.send) throw new Error("bench/fhirledgerServer.ts runs forked by bench/peer.bench.ts");

const dataDir = await mkdtemp(join(tmpdir(), `fhirledger-peer-${mode}-`));
const server = await startServer(
  loadConfig({
    FHIRLEDGER_DATA_DIR: dataDir,
    FHIRLEDGER_PORT: "0",
    FHIRLEDGER_CHAIN_PORT: "0",
    FHIRLEDGER_ANCHOR_INTERVAL_MS: "1000",
    FHIRLEDGER_MAX_BODY_BYTES: String(256 * 1024 * 1024),
    FHIRLEDGER_HTTP_KEEP_ALIVE_TIMEOUT_MS: "60000",
    FHIRLEDGER_AUDIT: values.audit === "off" ? "off" : "on",
  }),
  silentLogger,
  {
    ...(mode === "memory" ? { blobs: new MemoryBlobStore(), ledger: new MemoryLedger() } : {}),
    ...(values.auth === "off" ? { authenticate: allowAll } : {}),
    ...(values.auth === "bench" ? { authenticate: benchAuth } : {}),
    ...(values.consent === "off" ? { consent: false as const } : {}),
  },
);

process.on("message", (message: { type: string }) => {
  if (message.type === "settle") {
    const t = performance.now();
    server.anchorer
      .flush()
      .then(() => process.send!({ type: "settled", seconds: (performance.now() - t) / 1000 }))
      .catch((error: unknown) => process.send!({ type: "error", message: String(error) }));
  } else if (message.type === "rss") {
    process.send!({ type: "rss", maxRssMiB: process.resourceUsage().maxRSS / 1024 });
  } else if (message.type === "stop") {
    server
      .close()
      .then(() => rm(dataDir, { recursive: true, force: true }))
      .finally(() => process.exit(0));
  }
});
process.send({ type: "ready", baseUrl: server.baseUrl, token: server.devToken });
