import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import { parseCommandArgs } from "./parseCommandArgs.ts";
import { loadConfig } from "../config/loadConfig.ts";
import { fromHex } from "../crypto/hex.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { holdDataDirectories } from "../server/holdDataDirectories.ts";
import { EXIT_OK } from "./commands.ts";

const HELP = `Usage: fhirledger rotate-data-keys [--compartment NAME]...

Starts a new data key for every compartment (each patient's, "_shared" for data outside any
patient, "_manifest" for batch manifests), or only for those named. Writes after it are
sealed under the new keys; the old keys stay to read what they sealed, so nothing is
re-encrypted and every version stays readable. Erased patients are skipped. Stop the server
first.

  --compartment NAME  Patient/<id>, _shared or _manifest; repeat for several. When one of
                      them has no live key (never written, or erased), nothing is rotated.

Exit code 0 when the keys were rotated, 1 otherwise, 2 for usage errors.
`;

/** `fhirledger rotate-data-keys`: new data keys for later writes; old ones kept for reading. */
export async function rotateDataKeys(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const values = parseCommandArgs(argv, { compartment: { type: "string", multiple: true }, help: { type: "boolean" } });
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const named = values.compartment;
  for (const c of named ?? [])
    if (c.trim() === "" || c.length > 1024)
      throw new FhirLedgerError("bad-request", "--compartment must name a compartment, e.g. Patient/123 or _shared");
  const config = loadConfig(env);
  const held = await holdDataDirectories(config, "fhirledger rotate-data-keys");
  try {
    const kek = config.keys.kekHex ? fromHex(config.keys.kekHex.slice(2).toLowerCase()) : undefined;
    const store = await FileKeyStore.open({ dir: config.keys.dir, ...(kek ? { kek } : {}) });
    kek?.fill(0);
    try {
      const { rotated, missing } = await store.rotateDataKeys(named);
      if (missing.length > 0)
        throw new FhirLedgerError(
          "not-found",
          `no live data key for ${missing.map((m) => m.slice(0, 80)).join(", ")} (never written, or erased): nothing was rotated`,
        );
      process.stdout.write(
        `started new data keys for ${rotated} compartment${rotated === 1 ? "" : "s"}: later writes are sealed under them, earlier versions stay readable under the old keys\n`,
      );
      return EXIT_OK;
    } finally {
      await store.close();
    }
  } finally {
    held.release();
  }
}
