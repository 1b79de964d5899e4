import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryFhir } from "../testSupport/memoryFhir.ts";
import type { MemoryFhir } from "../testSupport/memoryFhir.ts";
import type { BundleDeps } from "./BundleDeps.ts";
import { processBundle } from "./processBundle.ts";

type Outcome = { resourceType: string; issue: { severity: string; code: string; diagnostics: string }[] };
type Entry = { resource?: Record<string, unknown>; response: { status: string; location?: string; outcome?: Outcome } };
type R = Record<string, unknown> & { resourceType: string };

const bundle = (type: "batch" | "transaction", ...entry: unknown[]) => ({ resourceType: "Bundle", type, entry });
const post = (resource: R, fullUrl?: string, request: Record<string, unknown> = {}) => ({
  ...(fullUrl ? { fullUrl } : {}),
  resource,
  request: { method: "POST", url: resource.resourceType, ...request },
});
const put = (resource: R & { id: string }, fullUrl?: string) => ({
  ...(fullUrl ? { fullUrl } : {}),
  resource,
  request: { method: "PUT", url: `${resource.resourceType}/${resource.id}` },
});
const get = (url: string) => ({ request: { method: "GET", url } });
const del = (url: string) => ({ request: { method: "DELETE", url } });
const patient = (value: string, extra: Record<string, unknown> = {}) => ({
  resourceType: "Patient",
  identifier: [{ system: "urn:test", value }],
  ...extra,
});
const observation = (subject: string, extra: Record<string, unknown> = {}) => ({
  resourceType: "Observation",
  status: "final",
  code: { text: "x" },
  subject: { reference: subject },
  ...extra,
});
const idOf = (entry: Entry) => entry.response.location!.split("/")[1]!;

describe("transactions (runEntries)", () => {
  let engine: MemoryFhir;
  beforeEach(async () => {
    engine = await memoryFhir();
    await engine.put(
      { resourceType: "Patient", id: "p1", identifier: [{ system: "urn:test", value: "one" }] },
      { resourceType: "Patient", id: "abc9", name: [{ family: "Existing" }] },
    );
  });
  afterEach(() => engine.close());

  const run = async (body: unknown, overrides: Partial<BundleDeps> = {}) =>
    ((await processBundle(engine.bundleDeps(overrides), body)).resource as { entry: Entry[] }).entry;
  const read = async (type: string, id: string) => (await engine.records.read(type, id)).resource as unknown as R;
  const total = async (type: string, query: string) =>
    (
      (
        await engine.fhir.search(engine.actor, type, new URLSearchParams(query), {
          baseUrl: "http://fhir.test",
          strict: false,
        })
      ).resource as { total: number }
    ).total;

  describe("a failing GET entry fails the whole transaction, and nothing is written", () => {
    it("a read of a resource that does not exist (404)", async () => {
      const attempt = processBundle(
        engine.bundleDeps(),
        bundle(
          "transaction",
          post(patient("tx-new")),
          put({ resourceType: "Patient", id: "txa" }),
          get("Patient/does-not-exist-xyz"),
        ),
      );
      await expect(attempt).rejects.toMatchObject({
        code: "not-found",
        message: expect.stringContaining("Bundle.entry[2] (GET Patient/does-not-exist-xyz)"),
      });
      expect(engine.state("Patient", "txa")).toBe("absent");
      expect(await total("Patient", "identifier=urn:test|tx-new")).toBe(0);
    });

    it("a search with a bad parameter value (400), and a read of a resource the transaction deletes (410)", async () => {
      const search = processBundle(
        engine.bundleDeps(),
        bundle("transaction", put({ resourceType: "Patient", id: "txb" }), get("Patient?birthdate=not-a-date")),
      );
      await expect(search).rejects.toMatchObject({
        code: "invalid",
        message: expect.stringContaining("Bundle.entry[1]"),
      });
      const deleted = processBundle(
        engine.bundleDeps(),
        bundle("transaction", put({ resourceType: "Patient", id: "txb" }), del("Patient/p1"), get("Patient/p1")),
      );
      await expect(deleted).rejects.toMatchObject({
        code: "gone",
        message: expect.stringContaining("Bundle.entry[2]"),
      });
      expect([engine.state("Patient", "txb"), engine.state("Patient", "p1")]).toEqual(["absent", "live v1"]);
    });

    it("reads are judged on the state the writes produce: new versions are found, versions beyond them are not", async () => {
      const ok = await run(
        bundle(
          "transaction",
          get("Patient/p1/_history/2"),
          get("Patient/txc"),
          get("Patient/p1/_history/1"),
          get("Patient?active=true"),
          put({ resourceType: "Patient", id: "p1", active: true }),
          put({ resourceType: "Patient", id: "txc" }),
        ),
      );
      expect(ok.map((e) => e.response.status)).toEqual([
        "200 OK",
        "200 OK",
        "200 OK",
        "200 OK",
        "200 OK",
        "201 Created",
      ]);
      expect(ok[0]!.resource).toMatchObject({ active: true, meta: { versionId: "2" } });
      expect(ok[2]!.resource!.active).toBeUndefined();
      expect((ok[3]!.resource as { total: number }).total).toBe(1); // the search sees the PUT
      const beyond = processBundle(
        engine.bundleDeps(),
        bundle("transaction", put({ resourceType: "Patient", id: "p1", gender: "male" }), get("Patient/p1/_history/4")),
      );
      await expect(beyond).rejects.toMatchObject({ code: "not-found" });
      const countOnRead = processBundle(
        engine.bundleDeps(),
        bundle(
          "transaction",
          put({ resourceType: "Patient", id: "p1", gender: "male" }),
          get("Patient/p1?_summary=count"),
        ),
      );
      await expect(countOnRead).rejects.toMatchObject({ code: "invalid" });
      expect(engine.state("Patient", "p1")).toBe("live v2");
    });

    it("a batch keeps per-entry results: the failing read is answered in its entry, the writes are kept", async () => {
      const entries = await run(
        bundle("batch", put({ resourceType: "Patient", id: "txd" }), get("Patient/does-not-exist-xyz")),
      );
      expect(entries.map((e) => e.response.status)).toEqual(["201 Created", "404 Not Found"]);
      expect(engine.state("Patient", "txd")).toBe("live v1");
    });
  });

  describe("relative references resolve against the referring entry's fullUrl", () => {
    it("to a POST entry under another server's base: rewritten to the new id", async () => {
      const entries = await run(
        bundle(
          "transaction",
          post({ resourceType: "Patient", name: [{ family: "New" }] }, "http://other.example/fhir/Patient/abc9"),
          post(
            observation("Patient/abc9", { performer: [{ reference: "Patient/p1" }] }),
            "http://other.example/fhir/Observation/ob9",
          ),
        ),
      );
      const created = idOf(entries[0]!);
      expect(created).not.toBe("abc9");
      const obs = await read("Observation", idOf(entries[1]!));
      expect(obs.subject).toEqual({ reference: `Patient/${created}` });
      // no entry has the fullUrl http://other.example/fhir/Patient/p1: left as it is
      expect(obs.performer).toEqual([{ reference: "Patient/p1" }]);
    });

    it("under the server's own base, and from an entry with a urn:uuid fullUrl (resolved against the server)", async () => {
      const entries = await run(
        bundle(
          "transaction",
          post({ resourceType: "Patient" }, "http://fhir.test/Patient/abc9"),
          post(observation("Patient/abc9"), "http://fhir.test/Observation/ob9"),
          post(observation("Patient/abc9"), "urn:uuid:0b7a1e1c-0000-4000-8000-000000000001"),
        ),
      );
      const created = idOf(entries[0]!);
      expect((await read("Observation", idOf(entries[1]!))).subject).toEqual({ reference: `Patient/${created}` });
      expect((await read("Observation", idOf(entries[2]!))).subject).toEqual({ reference: `Patient/${created}` });
    });

    it("with urn:uuid fullUrls a relative reference names the server's resource and stays", async () => {
      const entries = await run(
        bundle(
          "transaction",
          post({ resourceType: "Patient" }, "urn:uuid:0b7a1e1c-0000-4000-8000-000000000002"),
          post(observation("Patient/abc9"), "urn:uuid:0b7a1e1c-0000-4000-8000-000000000003"),
          post(observation("Patient/abc9"), "http://other.example/fhir/Observation/ob9"),
        ),
      );
      expect((await read("Observation", idOf(entries[1]!))).subject).toEqual({ reference: "Patient/abc9" });
      expect((await read("Observation", idOf(entries[2]!))).subject).toEqual({ reference: "Patient/abc9" });
    });
  });

  describe("urn:uuid links in uri elements and the narrative are replaced too", () => {
    it("attachment url, extension valueUri, narrative href/src become Type/id; string elements equal to the fullUrl stay", async () => {
      const binary = "urn:uuid:0b7a1e1c-0000-4000-8000-0000000000b1";
      const pat = "urn:uuid:0b7a1e1c-0000-4000-8000-0000000000a1";
      const entries = await run(
        bundle(
          "transaction",
          post({ resourceType: "Binary", contentType: "text/plain", data: "aGVsbG8=" }, binary),
          post({ resourceType: "Patient" }, pat),
          post({
            resourceType: "DocumentReference",
            status: "current",
            text: {
              status: "generated",
              div: `<div xmlns="http://www.w3.org/1999/xhtml"><a href="${pat}">patient</a><img src='${binary}'/><a href="urn:uuid:not-in-bundle">x</a></div>`,
            },
            extension: [
              { url: "http://example.org/source", valueUri: pat },
              { url: "http://example.org/note", valueString: pat },
            ],
            identifier: [{ system: "urn:ietf:rfc:3986", value: binary }],
            description: pat,
            subject: { reference: pat },
            content: [{ attachment: { contentType: "text/plain", url: binary } }],
          }),
        ),
      );
      const binaryId = idOf(entries[0]!);
      const patientId = idOf(entries[1]!);
      const doc = (await read("DocumentReference", idOf(entries[2]!))) as R & {
        content: { attachment: { url: string } }[];
        extension: Record<string, string>[];
        identifier: { value: string }[];
        text: { div: string };
      };
      expect(doc.content[0]!.attachment.url).toBe(`Binary/${binaryId}`);
      expect(doc.extension).toEqual([
        { url: "http://example.org/source", valueUri: `Patient/${patientId}` },
        { url: "http://example.org/note", valueString: pat },
      ]);
      expect(doc.text.div).toBe(
        `<div xmlns="http://www.w3.org/1999/xhtml"><a href="Patient/${patientId}">patient</a><img src='Binary/${binaryId}'/><a href="urn:uuid:not-in-bundle">x</a></div>`,
      );
      expect(doc.identifier[0]!.value).toBe(binary);
      expect(doc.description).toBe(pat);
      expect(doc.subject).toEqual({ reference: `Patient/${patientId}` });
    });
  });

  describe("conditional criteria see the transaction's deletes (processed first)", () => {
    it("a conditional reference matching only a resource deleted in the same transaction fails it; nothing is written", async () => {
      const attempt = processBundle(
        engine.bundleDeps(),
        bundle(
          "transaction",
          del("Patient?identifier=urn:test|one"),
          post(observation("Patient?identifier=urn:test|one")),
        ),
      );
      await expect(attempt).rejects.toMatchObject({
        code: "precondition-failed",
        message: expect.stringContaining("matches no resource"),
      });
      expect(engine.state("Patient", "p1")).toBe("live v1");
    });

    it("a conditional reference skips the deleted match and finds the live one; ifNoneExist no longer finds a deleted one", async () => {
      await engine.put(
        {
          resourceType: "Patient",
          id: "p2",
          identifier: [
            { system: "urn:test", value: "two" },
            { system: "urn:test", value: "shared" },
          ],
        },
        { resourceType: "Patient", id: "p3", identifier: [{ system: "urn:test", value: "shared" }] },
      );
      const entries = await run(
        bundle(
          "transaction",
          del("Patient/p2"),
          post(observation("Patient?identifier=urn:test|shared")),
          del("Patient?identifier=urn:test|one"),
          post(patient("one"), undefined, { ifNoneExist: "identifier=urn:test|one" }),
        ),
      );
      expect(entries.map((e) => e.response.status)).toEqual([
        "204 No Content",
        "201 Created",
        "204 No Content",
        "201 Created",
      ]);
      expect((await read("Observation", idOf(entries[1]!))).subject).toEqual({ reference: "Patient/p3" });
      expect(idOf(entries[3]!)).not.toBe("p1");
      expect([engine.state("Patient", "p1"), engine.state("Patient", "p2")]).toEqual(["deleted", "deleted"]);
    });
  });

  describe("Prefer return for the write entries", () => {
    const writes = () =>
      bundle(
        "transaction",
        post(patient("prefer")),
        put({ resourceType: "Patient", id: "p1", active: true }),
        del("Patient/abc9"),
      );

    it("OperationOutcome: each write entry carries an outcome about the write, no resource", async () => {
      const entries = await run(writes(), { preferReturn: "OperationOutcome" });
      expect(entries.map((e) => e.response.status)).toEqual(["201 Created", "200 OK", "204 No Content"]);
      expect(entries.every((e) => e.resource === undefined)).toBe(true);
      const texts = entries.map((e) => e.response.outcome!.issue[0]!);
      expect(texts.map((t) => [t.severity, t.code])).toEqual([
        ["information", "informational"],
        ["information", "informational"],
        ["information", "informational"],
      ]);
      expect(texts[0]!.diagnostics).toBe(`Patient/${idOf(entries[0]!)} created (version 1)`);
      expect(texts[1]!.diagnostics).toBe("Patient/p1 updated (version 2)");
      expect(texts[2]!.diagnostics).toBe("Patient/abc9 deleted (version 2)");
    });

    it("representation: the stored resources; minimal (the default): neither resource nor outcome", async () => {
      const shown = await run(bundle("batch", post(patient("shown"))), { preferReturn: "representation" });
      expect(shown[0]!.resource).toMatchObject({ resourceType: "Patient", meta: { versionId: "1" } });
      for (const overrides of [{}, { preferReturn: "minimal" as const }]) {
        const entries = await run(bundle("transaction", post(patient("minimal"))), overrides);
        expect([entries[0]!.resource, entries[0]!.response.outcome]).toEqual([undefined, undefined]);
      }
    });
  });

  describe("bad conditional criteria are a 400, not a 412", () => {
    it("ifNoneExist with an empty value, and a conditional reference with a malformed %-escape", async () => {
      const empty = processBundle(
        engine.bundleDeps(),
        bundle("transaction", post(patient("x"), undefined, { ifNoneExist: "_id=" })),
      );
      await expect(empty).rejects.toMatchObject({ code: "invalid", message: expect.stringContaining("_id no value") });
      const badEscape = processBundle(
        engine.bundleDeps(),
        bundle("transaction", post(observation("Patient?family=%ZZ"))),
      );
      await expect(badEscape).rejects.toMatchObject({
        code: "invalid",
        message: expect.stringContaining("malformed percent-encoding"),
      });
      const batch = await run(
        bundle(
          "batch",
          post(patient("x"), undefined, { ifNoneExist: "_id=" }),
          post(observation("Patient?family=%ZZ")),
        ),
      );
      expect(batch.map((e) => e.response.status)).toEqual(["400 Bad Request", "400 Bad Request"]);
    });
  });
});
