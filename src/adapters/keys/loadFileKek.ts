import { randomBytes } from "node:crypto";
import { rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { kekId } from "./kekId.ts";
import { KEK_BYTES, readKekFile } from "./readKekFile.ts";
import { writeSecretFile } from "./writeSecretFile.ts";

export const KEK_FILE = "kek.key";
/** The new KEK during a rotation, until the database commits to it. */
export const NEXT_KEK_FILE = "kek.key.next";
export const DB_FILE = "datakeys.sqlite";

/**
 * The file-managed KEK: finishes or discards an interrupted rotation, refuses to
 * invent a new KEK for a database that already has keys, and otherwise creates one.
 */
export async function loadFileKek(dir: string, databaseKekId: string | undefined): Promise<Uint8Array> {
  const kekPath = join(dir, KEK_FILE);
  const nextPath = join(dir, NEXT_KEK_FILE);
  const pending = await readKekFile(nextPath);
  if (pending) {
    if (databaseKekId !== undefined && kekId(pending) === databaseKekId) {
      await rename(nextPath, kekPath); // the rotation committed; finish it
      return pending;
    }
    pending.fill(0);
    await unlink(nextPath); // the rotation never committed
  }
  const existing = await readKekFile(kekPath);
  if (existing) return existing;
  if (databaseKekId !== undefined) {
    throw new FhirLedgerError(
      "internal",
      `${kekPath} is missing but ${DB_FILE} holds keys wrapped under KEK ${databaseKekId}`,
    );
  }
  const created = new Uint8Array(randomBytes(KEK_BYTES));
  if (await writeSecretFile({ path: kekPath, bytes: created, exclusive: true })) return created;
  created.fill(0); // another process won the race; use its KEK
  const winner = await readKekFile(kekPath);
  if (!winner) throw new FhirLedgerError("internal", `${kekPath} vanished while being created`);
  return winner;
}
