import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(process.cwd(), "node_modules/.bin/node"),
      ["src/cli/main.ts", ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === "number" ? e.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe("fhirledger rotate-data-keys", () => {
  let server: TestServer | undefined;
  let dataDir = "";
  afterAll(async () => {
    await server?.close();
    if (dataDir) await removeDir(dataDir);
  });

  it("refuses while the server runs; after it, later writes use new keys and every earlier version still reads and verifies", async () => {
    server = await startTestServer();
    dataDir = server.dataDir;
    const env = { FHIRLEDGER_DATA_DIR: dataDir, FHIRLEDGER_CHAIN_PORT: "0" };
    const post = async (type: string, body: object) => {
      const res = await server!.json<{ id: string }>(`/${type}`, {
        method: "POST",
        body: JSON.stringify({ resourceType: type, ...body }),
      });
      expect(res.status).toBe(201);
      return res.body.id;
    };
    const patient = await post("Patient", { name: [{ family: "Keyrotter" }] });
    const observation = await post("Observation", {
      status: "final",
      code: { text: "before rotation" },
      subject: { reference: `Patient/${patient}` },
    });
    const organization = await post("Organization", { name: "Shared Before" });
    await server.anchorer.flush();
    const keyOf = async (type: string, id: string, version = 1) =>
      (await server!.index.version(type, id, version))?.keyId;
    const before = {
      patient: await keyOf("Patient", patient),
      observation: await keyOf("Observation", observation),
      organization: await keyOf("Organization", organization),
    };
    expect(before.patient).toBe(before.observation); // one key per patient compartment

    const refused = await cli(["rotate-data-keys"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is in use by the server \(pid \d+/);
    await server.close();
    server = undefined;

    const missing = await cli(["rotate-data-keys", "--compartment", "Patient/never-written"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no live data key for Patient\/never-written .*nothing was rotated/);

    const rotated = await cli(["rotate-data-keys"], env);
    expect(rotated.stderr).toBe("");
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^started new data keys for \d+ compartments/);

    server = await startTestServer({ dataDir });
    for (const [type, id] of [
      ["Patient", patient],
      ["Observation", observation],
      ["Organization", organization],
    ] as const) {
      expect((await server.json(`/${type}/${id}`)).status).toBe(200);
      const { body } = await server.json(`/${type}/${id}/$verify`);
      expect(param(body, "verdict")).toBe("verified");
    }
    const updated = await server.json(`/Patient/${patient}`, {
      method: "PUT",
      body: JSON.stringify({ resourceType: "Patient", id: patient, name: [{ family: "Keyrotter", given: ["After"] }] }),
    });
    expect(updated.status).toBe(200);
    const later = await post("Observation", {
      status: "final",
      code: { text: "after rotation" },
      subject: { reference: `Patient/${patient}` },
    });
    const sharedLater = await post("Organization", { name: "Shared After" });
    expect(await keyOf("Patient", patient, 2)).not.toBe(before.patient);
    expect(await keyOf("Observation", later)).toBe(await keyOf("Patient", patient, 2));
    expect(await keyOf("Organization", sharedLater)).not.toBe(before.organization);
    // the first version, sealed under the old key, still reads
    const v1 = await server.json<{ name: { given?: string[] }[] }>(`/Patient/${patient}/_history/1`);
    expect(v1.status).toBe(200);
    expect(v1.body.name[0]!.given).toBeUndefined();
    const anchored = await eventually(async () => {
      const { body } = await server!.json(`/Observation/${later}/$verify`);
      return param(body, "verdict") === "verified" ? true : undefined;
    });
    expect(anchored).toBe(true);
  });
});
