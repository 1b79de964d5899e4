import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { rebuild } from "../../src/cli/rebuild.ts";
import { rotateKek } from "../../src/cli/rotateKek.ts";
import { param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

describe("maintenance commands on a stopped server: rebuild and rotate-kek", () => {
  let server: TestServer | undefined;
  let dataDir = "";
  afterAll(async () => {
    await server?.close();
    if (dataDir) await removeDir(dataDir);
  });

  it("rebuilds an identical index, rotates the KEK, and the server reads and verifies everything after", async () => {
    server = await startTestServer();
    dataDir = server.dataDir;
    const env = { FHIRLEDGER_DATA_DIR: dataDir, FHIRLEDGER_CHAIN_PORT: "0" };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const p = await server.json<{ id: string }>("/Patient", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Patient", name: [{ family: `Maint${i}` }] }),
      });
      ids.push(p.body.id);
    }
    await server.audit.flush(); // the creations' AuditEvents stored, to be anchored with them
    await server.anchorer.flush();
    await expect(rotateKek([], env)).rejects.toMatchObject({ code: "conflict" });
    await server.close();
    server = undefined;

    const out = join(dataDir, "rebuilt.sqlite");
    expect(await rebuild(["--out", out], env)).toBe(0);
    const q = (path: string) => {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return db
          .prepare(
            "SELECT r.type, r.id, v.version, v.cid, v.content_hash FROM resources r JOIN versions v ON v.rid = r.rid ORDER BY r.type, r.id, v.version",
          )
          .all();
      } finally {
        db.close();
      }
    };
    const liveRows = q(join(dataDir, "index.sqlite"));
    // the five Patients, and the AuditEvents of their creation (rebuilt like any record)
    expect(liveRows.filter((r) => r.type === "Patient").length).toBe(5);
    expect(liveRows.filter((r) => r.type === "AuditEvent").length).toBeGreaterThanOrEqual(5);
    expect(q(out)).toEqual(liveRows);
    await expect(rebuild(["--out", out], env)).rejects.toMatchObject({ code: "bad-request" });

    const kekBefore = await readFile(join(dataDir, "keys", "kek.key"));
    expect(await rotateKek([], env)).toBe(0);
    const kekAfter = await readFile(join(dataDir, "keys", "kek.key"));
    expect(Buffer.compare(kekBefore, kekAfter)).not.toBe(0);

    server = await startTestServer({ dataDir });
    for (const id of ids) {
      const read = await server.json<{ name: { family: string }[] }>(`/Patient/${id}`);
      expect(read.status).toBe(200);
      const { body } = await server.json(`/Patient/${id}/$verify`);
      expect(param(body, "verdict")).toBe("verified");
    }
    // new writes after the rotation work too
    expect(
      (await server.json("/Patient", { method: "POST", body: JSON.stringify({ resourceType: "Patient" }) })).status,
    ).toBe(201);
  });
});
