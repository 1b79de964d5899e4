import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FileKeyStore } from "../../src/adapters/keys/FileKeyStore.ts";
import { kekId } from "../../src/adapters/keys/kekId.ts";
import { rotateKek } from "../../src/cli/rotateKek.ts";

let dataDir: string;
let printed: string[];
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "fhirledger-rotate-kek-"));
  printed = [];
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dataDir, { recursive: true, force: true });
});

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** A key directory under a configured KEK, holding one data key. */
async function keysUnder(kek: Uint8Array): Promise<{ keyId: string; key: Uint8Array }> {
  const store = await FileKeyStore.open({ dir: join(dataDir, "keys"), kek });
  try {
    const { keyId, key } = await store.currentDataKey("Patient/1");
    return { keyId, key };
  } finally {
    await store.close();
  }
}

async function readsWith(kek: Uint8Array, keyId: string): Promise<Uint8Array> {
  const store = await FileKeyStore.open({ dir: join(dataDir, "keys"), kek });
  try {
    return (await store.dataKey(keyId)).key;
  } finally {
    await store.close();
  }
}

describe("fhirledger rotate-kek never prints key material", () => {
  it("with FHIRLEDGER_KEK configured it needs --new-kek-file, and prints KEK ids only", async () => {
    const oldKek = new Uint8Array(randomBytes(32));
    const dataKey = await keysUnder(oldKek);
    const env = { FHIRLEDGER_DATA_DIR: dataDir, FHIRLEDGER_KEK: hex(oldKek) };

    await expect(rotateKek([], env)).rejects.toMatchObject({
      code: "bad-request",
      message: expect.stringContaining("--new-kek-file"),
    });
    expect(printed.join("")).not.toMatch(/[0-9a-f]{64}/i);
    expect(await readsWith(oldKek, dataKey.keyId)).toEqual(dataKey.key); // nothing was rotated

    const newKek = new Uint8Array(randomBytes(32));
    const file = join(dataDir, "new.kek");
    await writeFile(file, `${hex(newKek)}\n`, { mode: 0o600 });
    expect(await rotateKek(["--new-kek-file", file], env)).toBe(0);
    const output = printed.join("");
    expect(output).toContain(`KEK ${kekId(oldKek)} → ${kekId(newKek)}`);
    expect(output).toContain(file);
    expect(output).not.toMatch(/[0-9a-f]{64}/i);
    expect(output).not.toContain(Buffer.from(newKek).toString("base64"));
    expect(await readsWith(newKek, dataKey.keyId)).toEqual(dataKey.key);
  });

  it("refuses a new KEK file that group or others may read, and rotates nothing", async () => {
    const kek = new Uint8Array(randomBytes(32));
    const dataKey = await keysUnder(kek);
    const file = join(dataDir, "new.kek");
    await writeFile(file, randomBytes(32));
    await chmod(file, 0o644);
    await expect(
      rotateKek(["--new-kek-file", file], { FHIRLEDGER_DATA_DIR: dataDir, FHIRLEDGER_KEK: hex(kek) }),
    ).rejects.toMatchObject({ code: "bad-request", message: expect.stringContaining(`chmod 600 ${file}`) });
    expect(await readsWith(kek, dataKey.keyId)).toEqual(dataKey.key);
  });
});
