import { readFile, stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { isAddress } from "ethers";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { parseJsonBody } from "../json/parseJsonBody.ts";
import { parseProof } from "../verify/parseProof.ts";
import type { ParsedProof } from "../verify/parseProof.ts";
import { redactUrl } from "../verify/redactUrl.ts";
import { verifyOffline } from "../verify/verifyOffline.ts";
import type { OfflineVerdict } from "../verify/verifyOffline.ts";
import { EXIT_FAILED, EXIT_OK } from "./commands.ts";

const HELP = `Usage: fhirledger verify --resource r.json --proof p.json --rpc URL --contract ADDR [--json]

Checks one resource version against its $verify proof and the chain, without this server:
the resource's canonical hash, its Merkle leaf, the inclusion path to the batch root, and,
over JSON-RPC, that the trusted RecordAnchor contract anchored that root with that batch size
in the proof's transaction, and that the root is on the single prevRoot-linked chain of every
root the contract anchored since its deployment (a fork, a duplicate or a dangling link is
refused). A result from a development chain (chain id 31337, or anchored by a public anvil/
Hardhat key) is labelled as such: anyone who reaches such a chain can anchor on it.

  --resource FILE   the resource exactly as served by GET (with meta.versionId)
  --proof FILE      the Parameters of GET [type]/[id]/_history/[vid]/$verify (or RecordProof JSON)
  --rpc URL         a JSON-RPC endpoint of the chain you trust (http or https)
  --contract ADDR   the RecordAnchor contract address you trust
  --timeout MS      per RPC call (default 15000)
  --json            print the result as JSON

Exit code: 0 verified, 1 not verified (mismatch or inconclusive), 2 usage error.
`;

/** Resources with inline attachments can be large; anything beyond this is not a record. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

const usage = (message: string) => new FhirLedgerError("bad-request", message);

/** `fhirledger verify`: offline verification of one resource version. */
export async function verify(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        resource: { type: "string" },
        proof: { type: "string" },
        rpc: { type: "string" },
        contract: { type: "string" },
        timeout: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw usage(error instanceof Error ? error.message : "invalid arguments");
  }
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const missing = (["resource", "proof", "rpc", "contract"] as const).filter((k) => !values[k]);
  if (missing.length > 0) throw usage(`missing ${missing.map((k) => `--${k}`).join(", ")}`);
  const rpcUrl = values.rpc as string;
  if (!/^https?:\/\//i.test(rpcUrl) || !URL.canParse(rpcUrl)) throw usage("--rpc must be an http(s) URL");
  const contract = values.contract as string;
  if (!isAddress(contract)) throw usage("--contract must be an EVM address (0x followed by 40 hex digits)");
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    timeoutMs = Number(values.timeout);
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)
      throw usage("--timeout must be milliseconds between 1 and 600000");
  }

  const resource = await readJson(values.resource as string, "--resource");
  const proofJson = await readJson(values.proof as string, "--proof");
  let proof: ParsedProof;
  try {
    proof = parseProof(proofJson);
  } catch (error) {
    throw usage(`--proof ${values.proof}: ${error instanceof Error ? error.message : "not a proof"}`);
  }

  const result = await verifyOffline({
    resource,
    proof,
    rpcUrl,
    contract,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  process.stdout.write(
    values.json ? `${JSON.stringify({ ...result, rpc: redactUrl(rpcUrl) }, null, 2)}\n` : formatReport(result, rpcUrl),
  );
  return result.verdict === "verified" ? EXIT_OK : EXIT_FAILED;
}

/**
 * A file's JSON as the server parses a request body: numbers keep their text (a FHIR decimal
 * 105.00 is not 105, and the content hash covers the text), UTF-8 strictly, no member twice.
 * JSON.parse would turn 105.00 into 105 and report a correct resource as changed.
 */
async function readJson(path: string, option: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    if ((await stat(path)).size > MAX_FILE_BYTES)
      throw usage(`${option} ${path} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof FhirLedgerError) throw error;
    throw usage(`${option} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  try {
    // A leading byte order mark is dropped by the UTF-8 decoder, as for a request body.
    return parseJsonBody(bytes);
  } catch (error) {
    const reason = error instanceof FhirLedgerError ? error.message.replace(/^the body /, "it ") : "not JSON";
    throw usage(`${option} ${path} is not JSON as the server reads it: ${reason}`);
  }
}

const MARK = { pass: "pass", fail: "FAIL", unchecked: "----" } as const;

/** The human-readable report: one line per check, then the verdict and where the root is. */
export function formatReport(result: OfflineVerdict, rpcUrl: string): string {
  const width = Math.max(...result.checks.map((c) => c.name.length));
  const lines = [`fhirledger verify: ${result.reference ?? "(resource without type/id/versionId)"}`, ""];
  for (const check of result.checks)
    lines.push(`  ${MARK[check.status]}  ${check.name.padEnd(width)}  ${check.reason}`);
  lines.push("");
  const failed = result.checks.filter((c) => c.status === "fail").map((c) => c.name);
  const open = result.checks.filter((c) => c.status === "unchecked").map((c) => c.name);
  if (result.verdict === "verified") {
    const a = result.anchor;
    lines.push(
      result.devChain.length > 0
        ? "VERIFIED on a DEVELOPMENT chain: this resource is the one anchored there, but anyone who can reach that chain can anchor, so this proves nothing to a third party."
        : "VERIFIED: this resource is the one anchored on chain.",
    );
    if (a)
      lines.push(
        `  root ${a.root} (batch of ${a.size})`,
        `  anchored by ${a.contract} on chain ${a.chainId}, block ${a.blockNumber}${a.confirmations === null ? "" : `, ${a.confirmations} confirmation(s)`}`,
        `  transaction ${a.transactionHash}`,
      );
  } else if (result.verdict === "mismatch") {
    lines.push(
      `NOT VERIFIED (mismatch): failed ${failed.join(", ")}${open.length ? `; not checked ${open.join(", ")}` : ""}.`,
    );
  } else {
    lines.push(`NOT VERIFIED (inconclusive): could not check ${open.join(", ")}.`);
  }
  for (const reason of result.devChain) lines.push(`  development chain: ${reason}`);
  lines.push(`  chain asked through ${redactUrl(rpcUrl)}`, "");
  return lines.join("\n");
}
