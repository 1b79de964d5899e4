import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeString } from "../../src/fhir/search/normalizeString.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

/**
 * PHI planted in a patient's records, each value unlike anything else a server writes: after
 * writes, searches over every kind of string and token match and an erasure, no file under
 * the data directory may hold any of them in any form a reader of the file could find (as
 * written, case-folded or normalised; UTF-8 or UTF-16).
 */
const PLANTED = {
  family: "Quorbanzzle",
  given: "Xyliphant",
  ssn: "987-65-4329",
  mrn: "MRN-ZX-55830217",
  phone: "+1-555-014-27788",
  email: "xyliphant.quorbanzzle@example.org",
  line: "4711 Vermillion Hollow Rd",
  city: "Zanderbrook",
  postalCode: "98765-4321",
  narrative: "Plumwhistle narrative of Quorbanzzle",
  codeText: "Zibbleworth fasting panel",
  valueString: "Glimmerfrost residue",
  externalRef: "https://other.example.org/fhir/Practitioner/Snorkelwade-4411",
};

/**
 * The planted birth date: as text, and as the epoch-millisecond bounds a date index row holds
 * (SQLite stores integers this size as 6 big-endian bytes). Birth dates are sealed; other dates
 * stay in clear (see SEALED_DATE_PARAMS).
 */
const BIRTH_DATE = "1931-07-14";
const int48 = (n: number) => {
  const b = Buffer.alloc(6);
  b.writeIntBE(n, 0, 6);
  return b;
};
const BIRTH_DATE_BYTES = [Buffer.from(BIRTH_DATE), int48(Date.UTC(1931, 6, 14)), int48(Date.UTC(1931, 6, 15) - 1)];

/** Every byte pattern under which a planted value could sit in a file. */
function patterns(value: string): Buffer[] {
  const forms = new Set([value, value.toLowerCase(), normalizeString(value)]);
  return [...forms].flatMap((f) => [Buffer.from(f, "utf8"), Buffer.from(f, "utf16le")]);
}

/** Paths of files under `dir` holding a planted value, with the value's name. */
async function findPlanted(dir: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (path: string) => {
    const s = await lstat(path);
    if (s.isDirectory()) {
      for (const name of await readdir(path)) await visit(join(path, name));
      return;
    }
    if (!s.isFile()) return;
    const bytes = await readFile(path).catch(() => null); // a file removed meanwhile (a WAL after a checkpoint)
    if (!bytes) return;
    for (const [name, value] of Object.entries(PLANTED))
      if (patterns(value).some((p) => bytes.includes(p))) found.push(`${path}: ${name}`);
    if (BIRTH_DATE_BYTES.some((p) => bytes.includes(p))) found.push(`${path}: birthDate`);
  };
  await visit(dir);
  return found;
}

describe("no PHI in clear at rest: every file under the data directory", () => {
  let server: TestServer;
  let pid = "";
  let closed = false;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    if (!closed) await server?.close();
    await removeDir(server.dataDir);
  });

  it("after writes and every kind of search: the planted values are in no file, and the searches find them", async () => {
    const patient = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Patient",
        text: { status: "generated", div: `<div xmlns="http://www.w3.org/1999/xhtml">${PLANTED.narrative}</div>` },
        identifier: [
          { system: "http://hl7.org/fhir/sid/us-ssn", value: PLANTED.ssn },
          { system: "urn:oid:1.2.36.146.595.217.0.1", value: PLANTED.mrn, type: { text: "Medical record number" } },
        ],
        name: [{ family: PLANTED.family, given: [PLANTED.given] }],
        telecom: [
          { system: "phone", value: PLANTED.phone },
          { system: "email", value: PLANTED.email },
        ],
        address: [{ line: [PLANTED.line], city: PLANTED.city, postalCode: PLANTED.postalCode }],
        birthDate: BIRTH_DATE,
      }),
    });
    expect(patient.status).toBe(201);
    pid = patient.body.id;
    const observation = await server.json("/Observation", {
      method: "POST",
      body: JSON.stringify({
        resourceType: "Observation",
        status: "final",
        code: { text: PLANTED.codeText, coding: [{ system: "http://loinc.org", code: "1558-6" }] },
        subject: { reference: `Patient/${pid}` },
        performer: [{ reference: PLANTED.externalRef }],
        valueString: PLANTED.valueString,
      }),
    });
    expect(observation.status).toBe(201);
    await server.anchorer.flush();

    const found = async (query: string) => {
      const r = await server.json<{ total: number; entry?: { resource: { id: string } }[] }>(
        `${query}${query.includes("?") ? "&" : "?"}_total=accurate`,
      );
      expect(r.status, query).toBe(200);
      return r.body.total;
    };
    const enc = encodeURIComponent;
    const searches = [
      `/Patient?family=${PLANTED.family.slice(0, 3)}`, // a prefix blinded as such
      `/Patient?family=${PLANTED.family.slice(0, 5)}`, // a prefix checked on the opened value
      `/Patient?family=${PLANTED.family}`,
      `/Patient?name:exact=${PLANTED.family}`,
      `/Patient?name:contains=banzz`,
      `/Patient?given=${PLANTED.given.toLowerCase()}`,
      `/Patient?address-city=${PLANTED.city}`,
      `/Patient?address=${enc(PLANTED.line)}`,
      `/Patient?address-postalcode=${PLANTED.postalCode}`,
      `/Patient?identifier=${enc(`http://hl7.org/fhir/sid/us-ssn|${PLANTED.ssn}`)}`,
      `/Patient?identifier=${PLANTED.mrn}`,
      `/Patient?telecom=${enc(`phone|${PLANTED.phone}`)}`,
      `/Patient?email=${PLANTED.email}`,
      `/Patient?identifier:text=medical`,
      `/Patient?family=${PLANTED.family}&_sort=family`,
      `/Patient?birthdate=${BIRTH_DATE}`,
      `/Patient?birthdate=lt1931-08&birthdate=gt1931-07-13&_sort=birthdate`,
      `/Observation?code:text=zibble`,
      `/Observation?value-string=${enc(PLANTED.valueString)}`,
      `/Observation?performer=${enc(PLANTED.externalRef)}`,
      `/Observation?subject.family=${PLANTED.family}`,
      `/Observation?patient.identifier=${PLANTED.ssn}`,
    ];
    for (const query of searches) expect(await found(query), query).toBe(1);
    expect(await found(`/Patient?family=${PLANTED.family}x`)).toBe(0);
    expect(await found(`/Patient?identifier=${PLANTED.ssn.slice(0, -1)}`)).toBe(0);

    expect(await findPlanted(server.dataDir)).toEqual([]);
    // nor in what the server logged (debug level) while it did all this
    const logged = server.logs.join("\n");
    for (const [name, value] of Object.entries(PLANTED)) expect(logged.includes(value), name).toBe(false);
  });

  it("a next link sorted on names carries no name: its cursor is sealed, and a tampered one is a 400", async () => {
    const second = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: `${PLANTED.family}son` }] }),
    });
    expect(second.status).toBe(201);
    const first = await server.json<{
      link: { relation: string; url: string }[];
      entry: { resource: { id: string } }[];
    }>(`/Patient?family=${PLANTED.family}&_sort=-family&_count=1`);
    expect(first.body.entry.map((e) => e.resource.id)).toEqual([second.body.id]);
    const next = new URL(first.body.link.find((l) => l.relation === "next")!.url);
    const cursor = next.searchParams.get("_cursor")!;
    for (const text of [
      cursor,
      Buffer.from(cursor, "base64url").toString("latin1"),
      Buffer.from(cursor.slice(1), "base64url").toString("latin1"),
    ])
      expect(text.toLowerCase()).not.toContain(PLANTED.family.toLowerCase());
    const page2 = await server.json<{ entry: { resource: { id: string } }[] }>(`${next.pathname}${next.search}`);
    expect(page2.body.entry.map((e) => e.resource.id)).toEqual([pid]);
    const tampered = `${cursor.slice(0, -2)}${cursor.endsWith("A") ? "B" : "A"}A`;
    next.searchParams.set("_cursor", tampered);
    const refused = await server.json<{ resourceType: string }>(`${next.pathname}${next.search}`);
    expect(refused.status).toBe(400);
    expect(refused.body.resourceType).toBe("OperationOutcome");
    expect(await findPlanted(server.dataDir)).toEqual([]);
  });

  it("after an erasure of the patient, and after the server stops: still in no file", async () => {
    const erased = await server.json(`/Patient/${pid}/$erase`, {
      method: "POST",
      body: JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "reason", valueCode: "test-data" }] }),
    });
    expect(erased.status).toBe(200);
    expect(await findPlanted(server.dataDir)).toEqual([]);
    await server.close();
    closed = true;
    expect(await findPlanted(server.dataDir)).toEqual([]);
  });
});
