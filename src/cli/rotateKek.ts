import { randomBytes } from "node:crypto";
import { parseCommandArgs } from "./parseCommandArgs.ts";
import { readFile, stat } from "node:fs/promises";
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

  (no option)          generate a new random KEK into kek.key in FHIRLEDGER_KEYS_DIR
                       (replaced atomically); only when the KEK is kept there (the default)
  --new-kek-file FILE  use these 32 bytes (raw, or 64 hex characters) as the new KEK; the
                       file must not be readable by group or others (chmod 600)

When the KEK comes from FHIRLEDGER_KEK, --new-kek-file is required: make the new KEK where
you keep secrets, e.g. (umask 077; openssl rand -hex 32 > new.kek), rotate, then set
FHIRLEDGER_KEK to the file's content before the next start. Key material is never printed
or logged: output names KEKs by their ids only.
`;

/** Raw 32 bytes or 64 hex characters with whitespace: anything longer is not a KEK file. */
const MAX_KEK_FILE_BYTES = 256;

/** `fhirledger rotate-kek`: KEK rotation without re-encrypting data. */
export async function rotateKek(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const values = parseCommandArgs(argv, { "new-kek-file": { type: "string" }, help: { type: "boolean" } });
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const config = loadConfig(env);
  const newKekFile = values["new-kek-file"];
  if (config.keys.kekHex && !newKekFile) {
    throw new FhirLedgerError(
      "bad-request",
      "FHIRLEDGER_KEK is configured, and this command never prints key material: make the new KEK yourself, " +
        "e.g. (umask 077; openssl rand -hex 32 > new.kek), and pass --new-kek-file new.kek",
    );
  }
  const newKek = newKekFile ? await readNewKek(newKekFile) : new Uint8Array(randomBytes(32));
  try {
    const held = await holdDataDirectories(config, "fhirledger rotate-kek");
    try {
      return await rewrap(config, newKek, newKekFile);
    } finally {
      held.release();
    }
  } finally {
    newKek.fill(0);
  }
}

async function rewrap(config: Config, newKek: Uint8Array, newKekFile: string | undefined): Promise<number> {
  const configured = config.keys.kekHex ? fromHex(config.keys.kekHex.slice(2).toLowerCase()) : undefined;
  const store = await FileKeyStore.open({ dir: config.keys.dir, ...(configured ? { kek: configured } : {}) });
  configured?.fill(0);
  try {
    const before = store.kekId;
    const { rewrapped } = await store.rewrapAll(newKek);
    process.stdout.write(`re-wrapped ${rewrapped} data keys: KEK ${before} → ${kekId(newKek)}\n`);
    if (configured) {
      process.stdout.write(
        `FHIRLEDGER_KEK is configured: set it to the KEK in ${newKekFile} (id ${kekId(newKek)}) before the next start\n`,
      );
    }
    return EXIT_OK;
  } finally {
    await store.close();
  }
}

/** The new KEK from a file that only its owner may read: 32 raw bytes or 64 hex characters. */
async function readNewKek(path: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new FhirLedgerError(
      "bad-request",
      `--new-kek-file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  if (process.platform !== "win32" && (info.mode & 0o077) !== 0)
    throw new FhirLedgerError("bad-request", `${path} is accessible to group or others; chmod 600 ${path}`);
  if (!info.isFile() || info.size > MAX_KEK_FILE_BYTES)
    throw new FhirLedgerError("bad-request", "the new KEK file must hold 32 raw bytes or 64 hex characters");
  const raw = await readFile(path);
  try {
    if (raw.byteLength === 32) return new Uint8Array(raw);
    const text = raw.toString("utf8").trim();
    if (/^[0-9a-fA-F]{64}$/.test(text)) return fromHex(text.toLowerCase());
    throw new FhirLedgerError("bad-request", "the new KEK file must hold 32 raw bytes or 64 hex characters");
  } finally {
    raw.fill(0);
  }
}
