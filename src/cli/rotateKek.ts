import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import { kekId } from "../adapters/keys/kekId.ts";
import { loadConfig } from "../config/loadConfig.ts";
import type { Config } from "../config/loadConfig.ts";
import { fromHex } from "../crypto/hex.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { holdDataDirectories } from "../server/holdDataDirectories.ts";
import { EXIT_OK } from "./commands.ts";

const HELP = `Usage: fhirledger rotate-kek [--new-kek-file FILE]

Re-wraps every per-patient data key under a new key-encryption key. Records are not
re-encrypted (they are under the data keys). Stop the server first.

  (no option)          generate a new random KEK; when the KEK is kept in FHIRLEDGER_KEYS_DIR
                       (the default), kek.key is replaced atomically
  --new-kek-file FILE  use these 32 bytes (raw, or 64 hex characters) as the new KEK

When the KEK comes from FHIRLEDGER_KEK, the new KEK is printed once (hex) and must be put
in the configuration before the next start. Key material is never logged otherwise.
`;

/** `fhirledger rotate-kek`: KEK rotation without re-encrypting data. */
export async function rotateKek(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { "new-kek-file": { type: "string" }, help: { type: "boolean" } },
    }));
  } catch (error) {
    throw new FhirLedgerError("bad-request", (error as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const config = loadConfig(env);
  const held = await holdDataDirectories(config, "fhirledger rotate-kek");
  try {
    return await rotateUnderLock(config, values["new-kek-file"]);
  } finally {
    held.release();
  }
}

async function rotateUnderLock(config: Config, newKekFile: string | undefined): Promise<number> {
  let newKek: Uint8Array;
  if (newKekFile) {
    const raw = await readFile(newKekFile);
    const text = raw.toString("utf8").trim();
    newKek =
      raw.byteLength === 32
        ? new Uint8Array(raw)
        : /^[0-9a-fA-F]{64}$/.test(text)
          ? fromHex(text.toLowerCase())
          : (() => {
              throw new FhirLedgerError("bad-request", "the new KEK file must hold 32 raw bytes or 64 hex characters");
            })();
  } else {
    newKek = new Uint8Array(randomBytes(32));
  }
  const configured = config.keys.kekHex ? fromHex(config.keys.kekHex.slice(2).toLowerCase()) : undefined;
  const store = await FileKeyStore.open({ dir: config.keys.dir, ...(configured ? { kek: configured } : {}) });
  try {
    const before = store.kekId;
    const { rewrapped } = await store.rewrapAll(newKek);
    process.stdout.write(`re-wrapped ${rewrapped} data keys: KEK ${before} → ${kekId(newKek)}\n`);
    if (configured) {
      process.stdout.write(
        `FHIRLEDGER_KEK is configured: set it to the new KEK before the next start:\nFHIRLEDGER_KEK=${Buffer.from(newKek).toString("hex")}\n`,
      );
    }
    return EXIT_OK;
  } finally {
    await store.close();
  }
}
