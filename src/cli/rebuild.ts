import { existsSync } from "node:fs";
import { parseCommandArgs } from "./parseCommandArgs.ts";
import { join, resolve } from "node:path";
import { Wallet } from "ethers";
import { HeliaBlobStore } from "../adapters/blob/HeliaBlobStore.ts";
import { KuboBlobStore } from "../adapters/blob/KuboBlobStore.ts";
import { SqliteIndex } from "../adapters/index/sqlite/SqliteIndex.ts";
import { sqliteSearchIndexer } from "../adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import { EmbeddedChain } from "../adapters/ledger/EmbeddedChain.ts";
import { EvmLedger } from "../adapters/ledger/EvmLedger.ts";
import { loadConfig } from "../config/loadConfig.ts";
import { fromHex } from "../crypto/hex.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { rebuildIndex } from "../records/rebuildIndex.ts";
import { readDeployments } from "../server/deployments.ts";
import { holdDataDirectories } from "../server/holdDataDirectories.ts";
import { serverBaseUrl } from "../server/serverBaseUrl.ts";
import { patientNamesOf } from "../fhir/resource/compartmentOf.ts";
import type { Resource } from "../fhir/types/r4.ts";
import { EXIT_OK } from "./commands.ts";

const HELP = `Usage: fhirledger rebuild --out FILE [--contract ADDR]

Builds a fresh SQLite index from the ledger alone: the RecordAnchor events on chain, the
encrypted manifests and records in IPFS, and the keys. Every manifest is checked against its
anchored root and every record against its hash. Uses the server's configuration (data dir,
chain, IPFS, keys); the server must be stopped (it holds the data directory while it runs).

  --out FILE        where to write the new index (must not exist)
  --contract ADDR   the RecordAnchor address (default: configured or remembered at first start)

Replace the live index with the new file while the server is stopped
(FHIRLEDGER_INDEX_PATH, default ./data/index.sqlite).
`;

/** `fhirledger rebuild`: index from chain events + IPFS + keys. */
export async function rebuild(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const values = parseCommandArgs(argv, {
    out: { type: "string" },
    contract: { type: "string" },
    help: { type: "boolean" },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (!values.out) throw new FhirLedgerError("bad-request", "--out is required");
  const out = resolve(values.out);
  if (existsSync(out)) throw new FhirLedgerError("bad-request", `${out} exists already: choose a new file`);
  const config = loadConfig(env);
  const held = await holdDataDirectories(config, "fhirledger rebuild");
  const closers: (() => Promise<void> | void)[] = [() => held.release()];
  try {
    let rpcUrl: string;
    if (config.chain.mode === "embedded") {
      const chain = await EmbeddedChain.start({ stateDir: config.chain.stateDir, port: 0 });
      closers.push(() => chain.stop());
      rpcUrl = chain.rpcUrl;
    } else {
      rpcUrl = config.chain.rpcUrl!;
    }
    const remembered = (await readDeployments(join(config.dataDir, "deployments.json")))[
      config.chain.mode === "embedded" ? "embedded" : rpcUrl.replace(/\/\/[^@/]*@/, "//")
    ];
    const contract = values.contract ?? config.chain.recordAnchorAddress ?? remembered?.recordAnchor;
    if (!contract) throw new FhirLedgerError("bad-request", "no RecordAnchor address: pass --contract");
    // Reading needs no funds or role: a throwaway key signs nothing.
    const ledger = new EvmLedger({
      rpcUrl,
      privateKey: Wallet.createRandom().privateKey,
      recordAnchorAddress: contract,
      confirmations: 1,
    });
    closers.push(() => ledger.close());
    const blobs =
      config.ipfs.mode === "kubo"
        ? await KuboBlobStore.open({ apiUrl: config.ipfs.kuboApiUrl! })
        : await HeliaBlobStore.open({ repoDir: config.ipfs.repoDir });
    closers.push(() => blobs.close());
    const keys = await FileKeyStore.open({
      dir: config.keys.dir,
      ...(config.keys.kekHex ? { kek: fromHex(config.keys.kekHex.slice(2).toLowerCase()) } : {}),
    });
    closers.push(() => keys.close());
    // References under the server's base are indexed as local, as the running server does.
    const ownBase =
      config.http.port === 0 && config.http.publicBaseUrl === null ? "" : serverBaseUrl(config, config.http.port);
    const index = new SqliteIndex({
      path: out,
      search: sqliteSearchIndexer,
      bulkLoad: true,
      baseUrl: () => ownBase,
      searchKey: await keys.searchIndexKey(),
    });
    closers.push(() => index.close());
    const report = await rebuildIndex({
      ledger,
      blobs,
      keys,
      index,
      compartmentsOf: (r) => patientNamesOf(r as unknown as Resource, ownBase),
    });
    index.finishBulkLoad();
    process.stdout.write(
      `rebuilt ${report.versions} versions from ${report.batches} anchored batches in ${report.seconds.toFixed(2)} s ` +
        `(${Math.round(report.versions / Math.max(report.seconds, 1e-6))} versions/s); ${report.unavailable} erased or unavailable; ` +
        `${report.chainBreaks} breaks in the prevRoot chain\nnew index: ${out}\n`,
    );
    return EXIT_OK;
  } finally {
    for (const close of closers.reverse()) await close();
  }
}
