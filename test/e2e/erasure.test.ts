import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/auth/Actor.ts";
import { openEnvelope } from "../../src/crypto/envelope.ts";
import { FhirLedgerError } from "../../src/errors/FhirLedgerError.ts";
import { eventually, param, removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";
import { SearchKey } from "../../src/adapters/index/sqlite/search/searchKey.ts";
import { patientCompartmentParams } from "../../src/fhir/resource/compartmentOf.ts";

const SYSTEM = "system-token-0123456789";
const PRACTITIONER = "practitioner-token-0123456789";
const actors: Record<string, Actor> = {
  [SYSTEM]: { id: "integration-1", role: "system", scopes: ["system/*.*"] },
  [PRACTITIONER]: { id: "dr-1", role: "practitioner", scopes: ["user/*.*"] },
};

const reasonBody = (reason: string, note?: string) =>
  JSON.stringify({
    resourceType: "Parameters",
    parameter: [{ name: "reason", valueCode: reason }, ...(note ? [{ name: "note", valueString: note }] : [])],
  });

describe("Patient/$erase: crypto-shredding on real components", () => {
  let server: TestServer;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    server = await startTestServer({
      overrides: {
        authenticate: async (header) => {
          const token = /^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "";
          const actor = actors[token];
          if (!actor) throw new FhirLedgerError("unauthorized", "bad token");
          return actor;
        },
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("destroys the keys, index rows and blobs of the patient; kept copies no longer decrypt; an audit record remains", async () => {
    const post = (type: string, body: object) =>
      server.json<{ id: string }>(`/${type}`, { method: "POST", body: JSON.stringify(body), headers: as(SYSTEM) });
    const patient = await post("Patient", {
      resourceType: "Patient",
      name: [{ family: "Forgetmenot", given: ["Ada"] }],
      birthDate: "1950-01-01",
    });
    const pid = patient.body.id;
    const obs = await post("Observation", {
      resourceType: "Observation",
      status: "final",
      code: { coding: [{ system: "http://loinc.org", code: "2339-0", display: "Glucose" }] },
      subject: { reference: `Patient/${pid}` },
      valueQuantity: { value: 5.4321, unit: "mmol/L" },
    });
    const other = await post("Patient", { resourceType: "Patient", name: [{ family: "Bystander" }] });
    const refs = [`Patient/${pid}`, `Observation/${obs.body.id}`];

    const copies: {
      ref: string;
      cid: string;
      bytes: Uint8Array;
      aad: { type: string; id: string; versionId: string };
    }[] = [];
    for (const ref of refs) {
      const verified = await eventually(async () => {
        const { body } = await server.json(`/${ref}/$verify`, { headers: as(SYSTEM) });
        return param(body, "verdict") === "verified" ? body : undefined;
      });
      const cid = String(param(verified, "cid"));
      const [type, id] = ref.split("/") as [string, string];
      copies.push({ ref, cid, bytes: await server.blobs.get(cid), aad: { type, id, versionId: "1" } });
    }
    // the copies decrypt before erasure (so the later failure is the erasure's doing)
    for (const c of copies) {
      await expect(
        openEnvelope({ envelope: c.bytes, keyFor: (k) => server.keys.dataKey(k), aad: c.aad }),
      ).resolves.toBeInstanceOf(Uint8Array);
    }

    const refused = await server.json(`/Patient/${pid}/$erase`, {
      method: "POST",
      body: reasonBody("patient-request"),
      headers: as(PRACTITIONER),
    });
    expect(refused.status).toBe(403);
    const noReason = await server.json(`/Patient/${pid}/$erase`, {
      method: "POST",
      body: JSON.stringify({ resourceType: "Parameters" }),
      headers: as(SYSTEM),
    });
    expect(noReason.status).toBe(400);
    // free text is not a reason: it would be kept forever in the audit trail
    const freeText = await server.json(`/Patient/${pid}/$erase`, {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Parameters",
        parameter: [{ name: "reason", valueString: "GDPR art. 17 request #4411" }],
      }),
      headers: as(SYSTEM),
    });
    expect(freeText.status).toBe(400);
    expect(JSON.stringify(freeText.body)).toContain("patient-request");
    expect((await server.json(`/Patient/${pid}`, { headers: as(SYSTEM) })).status).toBe(200);

    const erased = await server.json<{ parameter: { name: string }[] }>(`/Patient/${pid}/$erase`, {
      method: "POST",
      body: reasonBody("patient-request", "GDPR art. 17 request #4411"),
      headers: as(SYSTEM),
    });
    expect(erased.status).toBe(200);
    expect(param(erased.body, "erasedResources")).toBe(2);
    expect(param(erased.body, "erasedVersions")).toBe(2);
    expect(param(erased.body, "deletedBlobs")).toBe(2);
    expect(param(erased.body, "destroyedKeys")).toBeGreaterThanOrEqual(1);

    for (const ref of refs) expect((await server.json(`/${ref}`, { headers: as(SYSTEM) })).status).toBe(404);
    for (const c of copies) {
      expect(await server.blobs.has(c.cid)).toBe(false);
      await expect(
        openEnvelope({ envelope: c.bytes, keyFor: (k) => server.keys.dataKey(k), aad: c.aad }),
      ).rejects.toMatchObject({ code: "integrity" });
    }
    // other patients are untouched
    expect((await server.json(`/Patient/${other.body.id}`, { headers: as(SYSTEM) })).status).toBe(200);

    const auditRef = (param(erased.body, "auditEvent") as { reference: string }).reference;
    const audit = await server.json<Record<string, unknown>>(`/${auditRef}`, { headers: as(SYSTEM) });
    expect(audit.status).toBe(200);
    expect(audit.body).toMatchObject({
      resourceType: "AuditEvent",
      action: "D",
      outcome: "0",
      subtype: expect.arrayContaining([{ system: "urn:fhirledger:audit-subtype", code: "erase" }]),
      entity: expect.arrayContaining([expect.objectContaining({ what: { reference: `Patient/${pid}` } })]),
    });
    const text = JSON.stringify(audit.body);
    for (const clinical of ["Forgetmenot", "Ada", "1950-01-01", "2339-0", "Glucose", "5.4321"])
      expect(text).not.toContain(clinical);
    expect(text).toContain("patient-request");
    expect(text).not.toContain("GDPR art. 17 request #4411");
    // the refusal was audited too (every other request has its own AuditEvent besides)
    const erasures = await server.json<{ total: number }>(
      `/AuditEvent?subtype=${encodeURIComponent("urn:fhirledger:audit-subtype|erase")}&_summary=count`,
      { headers: as(SYSTEM) },
    );
    expect(erasures.body.total).toBe(2);
  });

  it("keeps anchoring when a patient is erased before their writes were batched", async () => {
    await server.anchorer.stop();
    const p = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Quickgone" }] }),
      headers: as(SYSTEM),
    });
    const keep = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Staying" }] }),
      headers: as(SYSTEM),
    });
    expect(
      (
        await server.json(`/Patient/${p.body.id}/$erase`, {
          method: "POST",
          body: reasonBody("entered-in-error"),
          headers: as(SYSTEM),
        })
      ).status,
    ).toBe(200);
    expect(await server.anchorer.flush()).toBeGreaterThanOrEqual(3);
    const { body } = await server.json(`/Patient/${keep.body.id}/$verify`, { headers: as(SYSTEM) });
    expect(param(body, "verdict")).toBe("verified");
    expect((await server.anchorer.status()).pendingLeaves).toBe(0);
  });
  it("erases what names the patient through any compartment parameter or by identifier, and reports what also named others", async () => {
    const post = (type: string, body: object) =>
      server.json<{ id: string }>(`/${type}`, { method: "POST", body: JSON.stringify(body), headers: as(SYSTEM) });
    const gone = (
      await post("Patient", {
        resourceType: "Patient",
        identifier: [{ system: "urn:mrn", value: "MRN-ERASE-7" }],
        name: [{ family: "Secondparam" }],
      })
    ).body.id;
    const stays = (await post("Patient", { resourceType: "Patient", name: [{ family: "Firstparam" }] })).body.id;
    // subject is another patient; the erased one is only the performer (a second compartment parameter)
    const performed = await post("Observation", {
      resourceType: "Observation",
      status: "final",
      code: { text: "witnessed by Secondparam" },
      subject: { reference: `Patient/${stays}` },
      performer: [{ reference: `Patient/${gone}` }],
    });
    // names the patient by identifier only
    const byIdentifier = await post("Observation", {
      resourceType: "Observation",
      status: "final",
      code: { text: "by MRN" },
      subject: { identifier: { system: "urn:mrn", value: "MRN-ERASE-7" } },
    });
    const unrelated = await post("Observation", {
      resourceType: "Observation",
      status: "final",
      code: { text: "unrelated" },
      subject: { reference: `Patient/${stays}` },
    });
    const erased = await server.json<{ parameter: { name: string; part?: unknown[] }[] }>(`/Patient/${gone}/$erase`, {
      method: "POST",
      body: reasonBody("patient-request"),
      headers: as(SYSTEM),
    });
    expect(erased.status).toBe(200);
    expect(param(erased.body, "erasedResources")).toBe(3);
    for (const ref of [`Patient/${gone}`, `Observation/${performed.body.id}`, `Observation/${byIdentifier.body.id}`])
      expect((await server.json(`/${ref}`, { headers: as(SYSTEM) })).status, ref).toBe(404);
    for (const ref of [`Patient/${stays}`, `Observation/${unrelated.body.id}`])
      expect((await server.json(`/${ref}`, { headers: as(SYSTEM) })).status, ref).toBe(200);
    const shared = erased.body.parameter.filter((p) => p.name === "sharedResource");
    expect(shared).toEqual([
      {
        name: "sharedResource",
        part: [
          { name: "resource", valueReference: { reference: `Observation/${performed.body.id}` } },
          { name: "alsoNames", valueReference: { reference: `Patient/${stays}` } },
        ],
      },
    ]);
  });

  it("erases a resource an earlier version of which named the patient, when its current one no longer does", async () => {
    const post = (type: string, body: object) =>
      server.json<{ id: string }>(`/${type}`, { method: "POST", body: JSON.stringify(body), headers: as(SYSTEM) });
    const gone = (await post("Patient", { resourceType: "Patient", name: [{ family: "Formerperformer" }] })).body.id;
    const stays = (await post("Patient", { resourceType: "Patient", name: [{ family: "Subjectstays" }] })).body.id;
    const observation = {
      resourceType: "Observation",
      status: "final",
      code: { text: "first performed by the erased patient" },
      subject: { reference: `Patient/${stays}` },
      performer: [{ reference: `Patient/${gone}` }],
    };
    const created = await post("Observation", observation);
    const { performer: _performer, ...withoutPerformer } = observation;
    const updated = await server.json(`/Observation/${created.body.id}`, {
      method: "PUT",
      body: JSON.stringify({ ...withoutPerformer, id: created.body.id }),
      headers: as(SYSTEM),
    });
    expect(updated.status).toBe(200);
    const erased = await server.json(`/Patient/${gone}/$erase`, {
      method: "POST",
      body: reasonBody("patient-request"),
      headers: as(SYSTEM),
    });
    expect(erased.status).toBe(200);
    // version 1 named the erased patient: the resource goes, with its history
    expect((await server.json(`/Observation/${created.body.id}`, { headers: as(SYSTEM) })).status).toBe(404);
    expect((await server.json(`/Observation/${created.body.id}/_history/1`, { headers: as(SYSTEM) })).status).toBe(404);
    expect((await server.json(`/Patient/${stays}`, { headers: as(SYSTEM) })).status).toBe(200);
  });

  it("leaves no erased value in the index files, WAL included, while the server runs", async () => {
    const marker = "Zyxwvutsrqerased";
    const p = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: marker }] }),
      headers: as(SYSTEM),
    });
    const files = async () => {
      const names = (await readdir(server.dataDir, { recursive: true })).filter((n) => /index\.sqlite/.test(n));
      expect(names.length).toBeGreaterThan(0);
      return Promise.all(names.map(async (n) => [n, await readFile(join(server.dataDir, n))] as const));
    };
    // The index holds the name sealed (deterministic under the index's search key), never in
    // clear; the test seals it too and looks for those bytes.
    const sealed = Buffer.from(new SearchKey(await server.keys.searchIndexKey()).seal(marker));
    expect((await files()).some(([, bytes]) => bytes.includes(sealed))).toBe(true);
    expect((await files()).some(([, bytes]) => bytes.includes(marker))).toBe(false);
    const erased = await server.json(`/Patient/${p.body.id}/$erase`, {
      method: "POST",
      body: reasonBody("test-data"),
      headers: as(SYSTEM),
    });
    expect(erased.status).toBe(200);
    for (const [name, bytes] of await files()) expect(bytes.includes(sealed), name).toBe(false);
  });

  it("serialises erasure with writes into the compartment: no committed version is left unreadable", async () => {
    const p = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Racer" }] }),
      headers: as(SYSTEM),
    });
    const pid = p.body.id;
    const observation = (i: number) => ({
      resource: {
        resourceType: "Observation",
        status: "final",
        code: { text: `race ${i}` },
        subject: { reference: `Patient/${pid}` },
      },
      request: { method: "POST", url: "Observation" },
    });
    const transactions = Array.from({ length: 60 }, (_, t) =>
      server.json<{ entry?: { response: { location: string } }[] }>("/", {
        method: "POST",
        body: JSON.stringify({
          resourceType: "Bundle",
          type: "transaction",
          entry: Array.from({ length: 20 }, (_, i) => observation(t * 20 + i)),
        }),
        headers: as(SYSTEM),
      }),
    );
    await Promise.race(transactions); // writes are in flight
    const erase = server.json(`/Patient/${pid}/$erase`, {
      method: "POST",
      body: reasonBody("test-data"),
      headers: as(SYSTEM),
    });
    const results = await Promise.all(transactions);
    expect((await erase).status).toBe(200);
    // every committed Observation either was erased (404) or reads back (written after the erasure)
    const locations = results
      .flatMap((r) => (r.status === 200 ? (r.body.entry ?? []) : []))
      .map((e) => e.response.location);
    expect(locations.length).toBeGreaterThan(0);
    for (const location of locations) {
      const ref = location.split("/_history/")[0]!;
      const status = (await server.json(`/${ref}`, { headers: as(SYSTEM) })).status;
      expect([200, 404], `${ref}: ${status}`).toContain(status);
    }
  });

  it("searches by a patient's identifiers in runs, not one by one: 250 identifiers, the last one found", async () => {
    const identifier = Array.from({ length: 250 }, (_, i) => ({ system: "urn:many", value: `id-${i}` }));
    const p = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", identifier }),
      headers: as(SYSTEM),
    });
    expect(p.status).toBe(201);
    const byLast = await server.json<{ id: string }>("/Observation", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Observation",
        status: "final",
        code: { text: "named by its last identifier" },
        subject: { identifier: { system: "urn:many", value: "id-249" } },
      }),
      headers: as(SYSTEM),
    });
    expect(byLast.status).toBe(201);
    const search = server.index.search.bind(server.index);
    let searches = 0;
    server.index.search = (...args) => {
      searches++;
      return search(...args);
    };
    try {
      const erased = await server.json(`/Patient/${p.body.id}/$erase`, {
        method: "POST",
        body: reasonBody("test-data"),
        headers: as(SYSTEM),
      });
      expect(erased.status).toBe(200);
    } finally {
      server.index.search = search;
    }
    expect((await server.json(`/Observation/${byLast.body.id}`, { headers: as(SYSTEM) })).status).toBe(404);
    // one search by reference and 5 runs of 50 identifiers per compartment parameter (~150 of
    // them); one search per identifier made ~38,000
    const params = [...patientCompartmentParams()]
      .filter(([type]) => type !== "Patient" && type !== "AuditEvent")
      .reduce((n, [, list]) => n + list.length, 0);
    expect(searches).toBe(params * 6);
  });

  it("erases a resource an earlier version of which named the patient only by an identifier the patient once held", async () => {
    const p = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", identifier: [{ system: "urn:old-mrn", value: "OLD-7731" }] }),
      headers: as(SYSTEM),
    });
    const other = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Other" }] }),
      headers: as(SYSTEM),
    });
    const observation = {
      resourceType: "Observation",
      status: "final",
      code: { text: "named by a retired MRN" },
      subject: { identifier: { system: "urn:old-mrn", value: "OLD-7731" } },
    };
    const o = await server.json<{ id: string }>("/Observation", {
      method: "POST",
      body: JSON.stringify(observation),
      headers: as(SYSTEM),
    });
    // the value alone (no system) names the patient too
    const bare = await server.json<{ id: string }>("/Observation", {
      method: "POST",
      body: JSON.stringify({ ...observation, subject: { identifier: { value: "OLD-7731" } } }),
      headers: as(SYSTEM),
    });
    // now the Observation names another patient, and the patient no longer holds the MRN
    const moved = await server.json(`/Observation/${o.body.id}`, {
      method: "PUT",
      body: JSON.stringify({ ...observation, id: o.body.id, subject: { reference: `Patient/${other.body.id}` } }),
      headers: as(SYSTEM),
    });
    expect(moved.status).toBe(200);
    await server.json(`/Observation/${bare.body.id}`, { method: "DELETE", headers: as(SYSTEM) });
    const renamed = await server.json(`/Patient/${p.body.id}`, {
      method: "PUT",
      body: JSON.stringify({
        resourceType: "Patient",
        id: p.body.id,
        identifier: [{ system: "urn:mrn", value: "NEW-1" }],
      }),
      headers: as(SYSTEM),
    });
    expect(renamed.status).toBe(200);

    // the index keeps those names, blinded: no identifier value in any row
    const rows = server.index.db.prepare("SELECT compartment FROM resource_compartments").all() as {
      compartment: string;
    }[];
    expect(rows.filter((r) => r.compartment.startsWith("#")).length).toBeGreaterThan(0);
    expect(rows.filter((r) => /OLD-7731|NEW-1|identifier/.test(r.compartment))).toEqual([]);

    const erased = await server.json(`/Patient/${p.body.id}/$erase`, {
      method: "POST",
      body: reasonBody("patient-request"),
      headers: as(SYSTEM),
    });
    expect(erased.status).toBe(200);
    for (const ref of [`Observation/${o.body.id}`, `Observation/${bare.body.id}`])
      expect((await server.json(`/${ref}/_history/1`, { headers: as(SYSTEM) })).status, ref).toBe(404);
    expect((await server.json(`/Patient/${other.body.id}`, { headers: as(SYSTEM) })).status).toBe(200);
  });
});
