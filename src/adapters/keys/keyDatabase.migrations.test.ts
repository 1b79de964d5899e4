import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { dir, execRaw, failure, openStore, useTempKeyDir } from "./testSupport/keyStoreHarness.ts";
import { KEY_DATABASE_MIGRATIONS } from "./keyDatabase.ts";

useTempKeyDir();

describe("KEY_DATABASE_MIGRATIONS", () => {
  it("recognises a key database made before versions were numbered and keeps its keys", async () => {
    const first = await openStore();
    const key = await first.currentDataKey("Patient/1");
    await first.close();
    execRaw("PRAGMA user_version = 0"); // the layout was the same, without a number
    const second = await openStore();
    expect(await second.dataKey(key.keyId)).toEqual(key);
    await second.close();
    const db = new DatabaseSync(join(dir, "datakeys.sqlite"));
    try {
      expect(db.prepare("PRAGMA user_version").get()).toEqual({ user_version: KEY_DATABASE_MIGRATIONS.length });
    } finally {
      db.close();
    }
  });

  it("refuses a key database of a later release", async () => {
    await (await openStore()).close();
    execRaw(`PRAGMA user_version = ${KEY_DATABASE_MIGRATIONS.length + 1}`);
    const error = await failure(openStore());
    const known = KEY_DATABASE_MIGRATIONS.length;
    expect(error.message).toContain(
      `datakeys.sqlite has schema version ${known + 1}, newer than this fhirledger knows (${known})`,
    );
  });
});
