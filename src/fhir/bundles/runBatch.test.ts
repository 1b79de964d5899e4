import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { Index } from "../../ports/Index.ts";
import type { RecordRepository, WriteOperation } from "../../records/RecordRepository.ts";
import type { FhirInteractions } from "../FhirInteractions.ts";
import type { FhirValidator } from "../validation/createValidator.ts";
import type { BundleDeps } from "./BundleDeps.ts";
import { parseBundle } from "./parseBundle.ts";
import { runBatch } from "./runBatch.ts";

/** A records fake that refuses any write group holding a resource marked `reject`. */
function fakeDeps(calls: number[]): BundleDeps {
  const records = {
    async writeAll(ops: WriteOperation[]) {
      calls.push(ops.length);
      if (ops.some((op) => op.kind === "write" && op.resource.reject === true))
        throw new FhirLedgerError("conflict", "refused by the store");
      return ops.map((op) => ({
        created: true,
        resource: op.kind === "write" ? op.resource : null,
        row: {
          type: op.type,
          id: op.id,
          versionId: 1,
          lastUpdated: "2026-01-01T00:00:00.000Z",
          deleted: false,
          cid: "c",
          contentHash: "h",
          keyId: "k",
          compartment: null,
          leafSeq: 1,
        },
      }));
    },
  } as unknown as RecordRepository;
  const validator: FhirValidator = { validate() {}, warmUp() {} };
  return {
    records,
    validator,
    index: {} as Index,
    // No access guard: every write allowed, conditional criteria matched without a policy.
    fhir: {
      guardWrite: async () => undefined,
      guardExisting: async () => undefined,
      matchPolicy: () => undefined,
    } as unknown as FhirInteractions,
    baseUrl: "http://x",
    actor: {} as BundleDeps["actor"],
  };
}

describe("runBatch", () => {
  it("writes a group at once, and when the group fails retries each entry alone so only the bad one fails", async () => {
    const calls: number[] = [];
    const deps = fakeDeps(calls);
    const bundle = {
      resourceType: "Bundle",
      type: "batch",
      entry: [1, 2, 3].map((n) => ({
        resource: { resourceType: "Basic", ...(n === 2 ? { reject: true } : {}) },
        request: { method: "POST", url: "Basic" },
      })),
    };
    const parsed = parseBundle(bundle, { validator: deps.validator, baseUrl: deps.baseUrl });
    const responses = (await runBatch(deps, parsed.entries)) as { response: { status: string } }[];
    expect(responses.map((r) => r.response.status)).toEqual(["201 Created", "409 Conflict", "201 Created"]);
    expect(calls).toEqual([3, 1, 1, 1]);
  });

  it("commits pending writes before an entry that targets the same resource", async () => {
    const calls: number[] = [];
    const deps = fakeDeps(calls);
    const put = { resource: { resourceType: "Basic", id: "b1" }, request: { method: "PUT", url: "Basic/b1" } };
    const parsed = parseBundle(
      { resourceType: "Bundle", type: "batch", entry: [put, put] },
      { validator: deps.validator, baseUrl: deps.baseUrl },
    );
    await runBatch(deps, parsed.entries);
    expect(calls).toEqual([1, 1]);
  });
});

describe("runBatch with a conditional delete of several matches", () => {
  it("keeps the entry's delete markers together: written in the group, and again as one write when the group fails", async () => {
    const calls: number[] = [];
    const deps = fakeDeps(calls);
    const row = (id: string) => ({
      type: "Patient",
      id,
      versionId: 1,
      lastUpdated: "2026-01-01T00:00:00.000Z",
      deleted: false,
      cid: "c",
      contentHash: "h",
      keyId: "k",
      compartment: null,
      leafSeq: 1,
    });
    deps.index = {
      search: () => ({ matches: ["a", "b", "c"].map(row), included: [], total: null, nextCursor: null }),
    } as unknown as Index;
    const deletes = { request: { method: "DELETE", url: "Patient?identifier=urn:test|x" } };
    const post = (reject: boolean) => ({
      resource: { resourceType: "Basic", ...(reject ? { reject } : {}) },
      request: { method: "POST", url: "Basic" },
    });
    const parsed = parseBundle(
      { resourceType: "Bundle", type: "batch", entry: [post(true), deletes, post(false)] },
      { validator: deps.validator, baseUrl: deps.baseUrl },
    );
    const responses = (await runBatch(deps, parsed.entries)) as { response: { status: string; outcome?: unknown } }[];
    expect(responses.map((r) => r.response.status)).toEqual(["409 Conflict", "200 OK", "201 Created"]);
    expect(JSON.stringify(responses[1]!.response.outcome)).toContain("deleted 3 Patient resources");
    expect(calls).toEqual([5, 1, 3, 1]);
  });
});
