/** Shared harness of the FileKeyStore test files: a temp key directory and raw views of its database. */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, expect } from "vitest";
import { FhirLedgerError } from "../../../errors/FhirLedgerError.ts";
import { FileKeyStore } from "../FileKeyStore.ts";

let root: string;
export let dir: string;
const stores: FileKeyStore[] = [];

export async function openStore(options: { kek?: Uint8Array; cacheSize?: number } = {}): Promise<FileKeyStore> {
  const store = await FileKeyStore.open({ dir, ...options });
  stores.push(store);
  return store;
}

export async function failure(promise: Promise<unknown>): Promise<FhirLedgerError> {
  const error = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FhirLedgerError);
  return error as FhirLedgerError;
}

export function rows(): Array<Record<string, unknown>> {
  const db = new DatabaseSync(join(dir, "datakeys.sqlite"));
  try {
    return db.prepare("SELECT * FROM data_keys ORDER BY created_at, version").all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

export function execRaw(sql: string, ...params: Array<string | number | Uint8Array>): void {
  const db = new DatabaseSync(join(dir, "datakeys.sqlite"));
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

export async function rawFiles(): Promise<Buffer> {
  const names = (await readdir(dir)).filter((n) => n.startsWith("datakeys.sqlite"));
  return Buffer.concat(await Promise.all(names.map((n) => readFile(join(dir, n)))));
}

export const hexId = (kek: Uint8Array) => createHash("sha256").update(kek).digest("hex").slice(0, 16);

/** Gives every test of the calling file a fresh key directory, and closes its stores after. */
export function useTempKeyDir(): void {
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "fl-keys-"));
    dir = join(root, "data", "keys");
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await rm(root, { recursive: true, force: true });
  });
}
