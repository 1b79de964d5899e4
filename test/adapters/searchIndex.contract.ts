import { describe, expect, it } from "vitest";
import { parseSearchRequest } from "../../src/fhir/search/parseSearchRequest.ts";
import type { HistoryIndex } from "../../src/ports/HistoryIndex.ts";
import type { SearchIndex } from "../../src/ports/SearchIndex.ts";
import type { VersionStore, VersionWrite } from "../../src/ports/VersionStore.ts";

/** The read side of an index over what its VersionStore commits. */
export type SearchableIndex = VersionStore & SearchIndex & HistoryIndex;

export interface SearchIndexHarness {
  index: SearchableIndex;
  cleanup: () => Promise<void>;
}

type Resource = Record<string, unknown> & { resourceType: string; id: string };

let clock = 0;
function write(resource: Resource, versionId: number, deleted = false): VersionWrite {
  clock += 1;
  return {
    type: resource.resourceType,
    id: resource.id,
    versionId,
    expectedPreviousVersion: versionId - 1,
    lastUpdated: new Date(Date.UTC(2026, 0, 1) + clock * 1000).toISOString(),
    deleted,
    cid: deleted ? null : `cid-${resource.id}-${versionId}`,
    contentHash: "00",
    keyId: null,
    compartment:
      resource.resourceType === "Patient"
        ? `Patient/${resource.id}`
        : (((resource.subject as { reference?: string } | undefined)?.reference ?? null) as string | null),
    leafHash: new Uint8Array(32),
    ...(deleted ? {} : { resource }),
  };
}

const patient = (id: string, family: string): Resource => ({ resourceType: "Patient", id, name: [{ family }] });
const observation = (id: string, subject: string, code: string): Resource => ({
  resourceType: "Observation",
  id,
  status: "final",
  code: { coding: [{ system: "http://loinc.org", code }] },
  subject: { reference: subject },
});

const ids = (rows: { type: string; id: string }[]) => rows.map((r) => `${r.type}/${r.id}`);

/**
 * What the search, history and compartment ports promise over the versions a VersionStore
 * commits (src/ports/SearchIndex.ts, HistoryIndex.ts): current versions only, deletes gone,
 * exact totals, cursors that cover every match once, includes, newest-first history.
 */
export function searchIndexContract(name: string, factory: () => Promise<SearchIndexHarness>): void {
  const withIndex = (body: (index: SearchableIndex) => Promise<void>) => async () => {
    const h = await factory();
    try {
      await body(h.index);
    } finally {
      await h.cleanup();
    }
  };
  const search = (index: SearchableIndex, type: string, query: string) =>
    index.search(parseSearchRequest(type, new URLSearchParams(query)), { countTotal: true });

  describe(`SearchIndex and HistoryIndex contract: ${name}`, () => {
    it(
      "finds current versions by their values, not earlier or deleted ones, with an exact total",
      withIndex(async (index) => {
        await index.commit(write(patient("a", "Alpha"), 1));
        await index.commit(write(patient("b", "Beta"), 1));
        await index.commit(write(patient("b", "Gamma"), 2));
        await index.commit(write(patient("c", "Alpha"), 1));
        await index.commit(write(patient("c", "Alpha"), 2, true));
        const alpha = await search(index, "Patient", "family=Alpha");
        expect(ids(alpha.matches)).toEqual(["Patient/a"]);
        expect(alpha.total).toBe(1);
        expect(ids((await search(index, "Patient", "family=Beta")).matches)).toEqual([]);
        const gamma = await search(index, "Patient", "family=Gamma");
        expect(gamma.matches.map((v) => [v.id, v.versionId])).toEqual([["b", 2]]);
        expect((await search(index, "Patient", "_id=c")).total).toBe(0);
      }),
    );

    it(
      "pages with cursors that cover every match once",
      withIndex(async (index) => {
        for (let i = 0; i < 7; i++) await index.commit(write(patient(`p${i}`, "Same"), 1));
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await search(index, "Patient", `family=Same&_count=3${cursor ? `&_cursor=${cursor}` : ""}`);
          expect(page.total).toBe(7);
          seen.push(...ids(page.matches));
          cursor = page.nextCursor;
          pages += 1;
        } while (cursor !== null && pages < 10);
        expect(pages).toBe(3);
        expect([...seen].sort()).toEqual(Array.from({ length: 7 }, (_, i) => `Patient/p${i}`).sort());
      }),
    );

    it(
      "follows references: chains, _include and _revinclude",
      withIndex(async (index) => {
        await index.commit(write(patient("s", "Subject"), 1));
        await index.commit(write(patient("t", "Other"), 1));
        await index.commit(write(observation("o1", "Patient/s", "1234-5"), 1));
        await index.commit(write(observation("o2", "Patient/t", "1234-5"), 1));
        expect(ids((await search(index, "Observation", "subject.family=Subject")).matches)).toEqual(["Observation/o1"]);
        const withSubject = await search(
          index,
          "Observation",
          "code=http://loinc.org|1234-5&_include=Observation:subject",
        );
        expect(ids(withSubject.matches).sort()).toEqual(["Observation/o1", "Observation/o2"]);
        expect(ids(withSubject.included).sort()).toEqual(["Patient/s", "Patient/t"]);
        const rev = await search(index, "Patient", "_id=s&_revinclude=Observation:subject");
        expect(ids(rev.included)).toEqual(["Observation/o1"]);
      }),
    );

    it(
      "lists history newest first, by instance, type and system, paged by cursor",
      withIndex(async (index) => {
        await index.commit(write(patient("h", "One"), 1));
        await index.commit(write(observation("ho", "Patient/h", "1"), 1));
        await index.commit(write(patient("h", "Two"), 2));
        await index.commit(write(patient("h", "Two"), 3, true));
        const instance = await index.historyPage({ type: "Patient", id: "h", count: 10, countTotal: true });
        expect(instance.versions.map((v) => v.versionId)).toEqual([3, 2, 1]);
        expect(instance.total).toBe(3);
        expect(instance.versions[0]!.deleted).toBe(true);
        const first = await index.historyPage({ count: 2 });
        expect(first.versions.map((v) => `${v.id}/${v.versionId}`)).toEqual(["h/3", "h/2"]);
        const rest = await index.historyPage({ count: 10, cursor: first.nextCursor! });
        expect(rest.versions.map((v) => `${v.id}/${v.versionId}`)).toEqual(["ho/1", "h/1"]);
        expect(rest.nextCursor).toBeNull();
        const types = await index.historyPage({ type: "Observation", count: 10 });
        expect(types.versions.map((v) => v.id)).toEqual(["ho"]);
      }),
    );

    it(
      "pages a patient's compartment, the Patient first, with the shared resources it refers to",
      withIndex(async (index) => {
        await index.commit(write(patient("cp", "Compartment"), 1));
        await index.commit(write(observation("co1", "Patient/cp", "1"), 1));
        await index.commit(write(observation("co2", "Patient/elsewhere", "1"), 1));
        const page = await index.compartmentPage({ compartment: "Patient/cp", count: 10, countTotal: true });
        expect(ids(page.versions)).toEqual(["Patient/cp", "Observation/co1"]);
        expect(page.total).toBe(2);
        const every = await index.everyCompartmentPage({ count: 10 });
        expect(ids(every.versions)).toContain("Observation/co1");
      }),
    );
  });
}
