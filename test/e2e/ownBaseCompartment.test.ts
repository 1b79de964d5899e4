import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEnvelope } from "../../src/crypto/envelope.ts";
import { param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

type R = Record<string, unknown> & { resourceType: string; id: string };

interface Searchset {
  entry?: { resource: { resourceType: string; id: string } }[];
}

/**
 * A reference written as an absolute URL under the server's own base names a patient on this
 * server: the record belongs to that patient's compartment, so it is encrypted under the
 * patient's key, returned by `$everything` and shredded by `$erase`. Over HTTP on real
 * components, with the base known only once the server listens on its free port.
 */
describe("own-base patient references place a record in the patient's compartment", () => {
  let server: TestServer;
  let own: string;
  const reasonBody = JSON.stringify({
    resourceType: "Parameters",
    parameter: [{ name: "reason", valueCode: "patient-request" }],
  });
  const observation = (id: string, reference: string): R => ({
    resourceType: "Observation",
    id,
    status: "final",
    code: { text: "Glucose" },
    subject: { reference },
  });

  beforeAll(async () => {
    server = await startTestServer();
    own = server.baseUrl;
    const resources: R[] = [
      { resourceType: "Patient", id: "ob-p1", name: [{ family: "Ownbase" }] },
      { resourceType: "Patient", id: "ob-p2", name: [{ family: "Bystander" }] },
      observation("ob-own", `${own}/Patient/ob-p1`),
      observation("ob-own-versioned", `${own}/Patient/ob-p1/_history/1`),
      observation("ob-relative", "Patient/ob-p1"),
      // Another server whose base merely starts like ours (one more port digit): external.
      observation("ob-lookalike", `${own}0/Patient/ob-p1`),
    ];
    await server.putAll(resources);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("encrypts the record under the patient's data key, as a relative reference would", async () => {
    const patientKey = (await server.index.currentVersion("Patient", "ob-p1"))!.keyId;
    for (const id of ["ob-own", "ob-own-versioned", "ob-relative"]) {
      const row = (await server.index.currentVersion("Observation", id))!;
      expect(row.compartment, id).toBe("Patient/ob-p1");
      expect(row.keyId, id).toBe(patientKey);
    }
    const lookalike = (await server.index.currentVersion("Observation", "ob-lookalike"))!;
    expect(lookalike.compartment).toBeNull();
    expect(lookalike.keyId).not.toBe(patientKey);
  });

  it("returns the record in the patient's $everything, and not the look-alike's", async () => {
    const res = await server.json<Searchset>("/Patient/ob-p1/$everything?_count=100");
    expect(res.status).toBe(200);
    const refs = (res.body.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
    expect(refs).toEqual([
      "Observation/ob-own",
      "Observation/ob-own-versioned",
      "Observation/ob-relative",
      "Patient/ob-p1",
    ]);
  });

  it("shreds the record with the patient on $erase; the look-alike and other patients stay", async () => {
    const row = (await server.index.currentVersion("Observation", "ob-own"))!;
    const copy = await server.blobs.get(row.cid!);
    const aad = { type: "Observation", id: "ob-own", versionId: "1" };
    await expect(openEnvelope({ envelope: copy, keyFor: (k) => server.keys.dataKey(k), aad })).resolves.toBeInstanceOf(
      Uint8Array,
    );

    const erased = await server.json<{ parameter: { name: string }[] }>("/Patient/ob-p1/$erase", {
      method: "POST",
      body: reasonBody,
    });
    expect(erased.status).toBe(200);
    expect(param(erased.body, "erasedResources")).toBe(4);

    for (const id of ["ob-own", "ob-own-versioned", "ob-relative"])
      expect((await server.json(`/Observation/${id}`)).status, id).toBe(404);
    expect((await server.json("/Patient/ob-p1")).status).toBe(404);
    expect(await server.blobs.has(row.cid!)).toBe(false);
    // A copy kept elsewhere no longer decrypts: its key is gone.
    await expect(openEnvelope({ envelope: copy, keyFor: (k) => server.keys.dataKey(k), aad })).rejects.toMatchObject({
      code: "integrity",
    });
    const search = await server.json<Searchset>(`/Observation?subject=${encodeURIComponent(`${own}/Patient/ob-p1`)}`);
    expect(search.body.entry ?? []).toEqual([]);

    expect((await server.json("/Observation/ob-lookalike")).status).toBe(200);
    expect((await server.json("/Patient/ob-p2")).status).toBe(200);
  });
});
