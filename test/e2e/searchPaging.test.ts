import { afterEach, describe, expect, it } from "vitest";
import type { Searchset as Bundle } from "../support/fhirBundles.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

/**
 * Paging links that stay correct while data changes: a client walking the pages of a search
 * sorted on a value that changes on update gets every resource that matched throughout, even
 * one updated to sort before the page it is reading.
 */
describe("search paging while resources are updated, over HTTP", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
    server = undefined;
  });

  const patient = (n: number, extra: Record<string, unknown> = {}) => ({
    resourceType: "Patient",
    id: `pg-${n}`,
    name: [{ family: `Pager${"ABCDEFGHIJ"[n]}` }],
    ...extra,
  });

  /** Follows `next` links from `path`; `between(page)` runs after each page. Each page's entries as `id@versionId`. */
  async function walk(path: string, between: (page: number) => Promise<void>): Promise<string[][]> {
    const pages: string[][] = [];
    for (let url: string | undefined = path; url !== undefined; ) {
      const res: { status: number; body: Bundle } = await server!.json<Bundle>(url);
      expect(res.status, url).toBe(200);
      expect(res.body.total).toBe(10);
      pages.push(
        (res.body.entry ?? []).map((e) => `${e.resource.id}@${(e.resource.meta as { versionId: string }).versionId}`),
      );
      await between(pages.length - 1);
      url = res.body.link.find((l) => l.relation === "next")?.url.replace(server!.baseUrl, "");
      expect(pages.length).toBeLessThan(10);
    }
    return pages;
  }

  const update = async (resource: Record<string, unknown>) => {
    const res = await server!.request(`/Patient/${resource.id as string}`, {
      method: "PUT",
      body: JSON.stringify(resource),
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
  };

  it.each([
    ["_sort=-_lastUpdated", patient(3, { gender: "female" })],
    // PagerAA sorts before PagerC, the last family of the first page
    ["_sort=family", patient(7, { name: [{ family: "PagerAA" }] })],
  ])(
    "Patient?family=Pager&_count=3&%s returns all 10 when one not yet returned is updated after page 1",
    async (sort, updated) => {
      server = await startTestServer();
      await server.putAll(Array.from({ length: 10 }, (_, n) => patient(n)));
      const pages = await walk(`/Patient?family=Pager&_count=3&${sort}`, async (page) => {
        if (page !== 0) return;
        await update(updated);
      });
      const seen = pages.flat();
      const ids = new Set(seen.map((e) => e.split("@")[0]));
      expect([...ids].sort()).toEqual(Array.from({ length: 10 }, (_, n) => `pg-${n}`).sort());
      // the updated one at its new version; every other exactly once; no empty last page
      expect(seen).toContain(`${updated.id}@2`);
      expect(seen.filter((e) => e !== `${updated.id}@2`)).toHaveLength(9);
      expect(pages.at(-1)!.length).toBeGreaterThan(0);
    },
    60_000,
  );
});
