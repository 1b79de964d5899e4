import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSearchRequest } from "../../../fhir/search/parseSearchRequest.ts";
import { MemoryBlobStore } from "../../blob/MemoryBlobStore.ts";
import { FileKeyStore } from "../../keys/FileKeyStore.ts";
import { prepareRecords } from "../../../records/prepareRecords.ts";
import type { RecordPreparer } from "../../../records/prepareRecords.ts";
import { RecordRepository } from "../../../records/RecordRepository.ts";
import type { FhirResource } from "../../../records/RecordRepository.ts";
import { sqliteSearchIndexer } from "./search/sqliteSearchIndexer.ts";
import { SqliteIndex } from "./SqliteIndex.ts";

const BASE = "http://127.0.0.1:8090";

const resources: FhirResource[] = [
  { resourceType: "Organization", id: "s-o1", name: "Own Base Clinic" },
  {
    resourceType: "Patient",
    id: "s-p2",
    name: [{ family: "Ownbase" }],
    managingOrganization: { reference: `${BASE}/Organization/s-o1` },
  },
  {
    resourceType: "Observation",
    id: "s-o-2",
    status: "final",
    code: { text: "x" },
    subject: { reference: `${BASE}/Patient/s-p2` },
  },
  {
    resourceType: "Observation",
    id: "s-o-3",
    status: "final",
    code: { text: "x" },
    subject: { reference: `${BASE}/Patient/s-p2/_history/1` },
  },
  {
    resourceType: "Observation",
    id: "s-ext",
    status: "final",
    code: { text: "x" },
    subject: { reference: "http://other.example.org/Patient/s-p2" },
  },
];

/** Rows packed on the writing side, as the preparation worker hands them over (it does not know the base). */
const packingPreparer: RecordPreparer = {
  prepare: async (items, keys) => prepareRecords(items, keys, { extract: true }),
  close: async () => undefined,
};

describe("references under the server's own base URL", () => {
  let dir: string;
  let keys: FileKeyStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "own-base-"));
    keys = await FileKeyStore.open({ dir });
  });
  afterAll(async () => {
    await keys.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [how, preparer] of [
    ["extracted in the index", undefined],
    ["packed before the commit", packingPreparer],
  ] as const) {
    it(`index and match like Type/id (rows ${how})`, async () => {
      // The base is asked for lazily: a server on port 0 learns it only once it listens.
      let base = "";
      const index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer, baseUrl: () => base });
      base = BASE;
      const records = new RecordRepository({
        index,
        blobs: new MemoryBlobStore(),
        keys,
        compartmentOf: () => null,
        ...(preparer ? { preparer } : {}),
      });
      await records.writeAll(
        resources.map((resource) => ({
          kind: "write" as const,
          type: resource.resourceType,
          id: String(resource.id),
          resource,
        })),
      );
      const search = async (type: string, query: string) => {
        const page = await index.search(parseSearchRequest(type, new URLSearchParams(query)));
        const refs = (rows: typeof page.matches) => rows.map((r) => `${r.type}/${r.id}`).sort();
        return { matches: refs(page.matches), included: refs(page.included) };
      };

      const own = ["Observation/s-o-2", "Observation/s-o-3"];
      expect((await search("Observation", "subject=Patient/s-p2")).matches).toEqual(own);
      expect((await search("Observation", `subject=${BASE}/Patient/s-p2`)).matches).toEqual(own);
      expect((await search("Observation", "subject:Patient=s-p2")).matches).toEqual(own);
      expect((await search("Observation", "patient=s-p2")).matches).toEqual(own);
      expect((await search("Observation", "subject=http://other.example.org/Patient/s-p2")).matches).toEqual([
        "Observation/s-ext",
      ]);
      expect((await search("Observation", "subject:Patient.family=Ownbase")).matches).toEqual(own);
      expect((await search("Observation", `subject:Patient.organization=${BASE}/Organization/s-o1`)).matches).toEqual(
        own,
      );
      expect((await search("Patient", "_has:Observation:subject:_id=s-o-3")).matches).toEqual(["Patient/s-p2"]);
      expect(
        (
          await search(
            "Observation",
            "_id=s-o-2,s-o-3&_include=Observation:subject&_include:iterate=Patient:organization",
          )
        ).included,
      ).toEqual(["Organization/s-o1", "Patient/s-p2"]);
      expect((await search("Organization", "_id=s-o1&_revinclude=Patient:organization")).included).toEqual([
        "Patient/s-p2",
      ]);
      index.close();
    });
  }

  it("treats every absolute reference as external when the base is not known", async () => {
    const index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer });
    const records = new RecordRepository({ index, blobs: new MemoryBlobStore(), keys, compartmentOf: () => null });
    await records.writeAll(
      resources.map((resource) => ({
        kind: "write" as const,
        type: resource.resourceType,
        id: String(resource.id),
        resource,
      })),
    );
    expect(
      (await index.search(parseSearchRequest("Observation", new URLSearchParams("subject=Patient/s-p2")))).matches,
    ).toEqual([]);
    expect(
      (
        await index.search(parseSearchRequest("Observation", new URLSearchParams(`subject=${BASE}/Patient/s-p2`)))
      ).matches.map((r) => r.id),
    ).toEqual(["s-o-2"]);
    index.close();
  });
});
