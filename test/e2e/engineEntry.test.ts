import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../../src/adapters/blob/MemoryBlobStore.ts";
import { MemoryLedger } from "../../src/adapters/ledger/MemoryLedger.ts";
import type { Actor, Authenticator } from "../../src/auth/Actor.ts";
import type { InteractionDescriptor } from "../../src/fhir/engine/InteractionHook.ts";
import { INTERACTIONS } from "../../src/fhir/engine/interactions.ts";
import type { InteractionRoute } from "../../src/fhir/engine/InteractionRoute.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

const patient = (id?: string, extra: Record<string, unknown> = {}) => ({
  resourceType: "Patient",
  ...(id === undefined ? {} : { id }),
  name: [{ family: "Walker" }],
  ...extra,
});
const jsonPatch = JSON.stringify([{ op: "replace", path: "/name/0/family", value: "Patched" }]);
const PATCH_HEADERS = { "content-type": "application/json-patch+json" };

/** How to call each line of the table: a URL that reaches it, and a body when it takes one. */
const CALLS: Record<string, { url: string; body?: string; headers?: Record<string, string>; actor?: Actor }> = {
  "GET /metadata": { url: "/metadata" },
  "GET /_history": { url: "/_history" },
  "GET /:type/_history": { url: "/Patient/_history" },
  "GET /:type/:id/_history": { url: "/Patient/walk-p1/_history" },
  "GET /:type/:id/$verify": { url: "/Patient/walk-p1/$verify" },
  "GET /:type/:id/_history/:vid/$verify": { url: "/Patient/walk-p1/_history/1/$verify" },
  "POST /:type/:id/$verify": { url: "/Patient/walk-p1/$verify" },
  "POST /:type/:id/_history/:vid/$verify": {
    url: "/Patient/walk-p1/_history/1/$verify",
    body: JSON.stringify({ resourceType: "Parameters" }),
  },
  "POST /:type/$validate": { url: "/Patient/$validate", body: JSON.stringify(patient()) },
  "POST /:type/:id/$validate": { url: "/Patient/walk-p1/$validate", body: JSON.stringify(patient("walk-p1")) },
  "GET /Patient/$everything": { url: "/Patient/$everything" },
  "GET /Patient/:id/$everything": { url: "/Patient/walk-p1/$everything" },
  "POST /Patient/$everything": { url: "/Patient/$everything" },
  "POST /Patient/:id/$everything": {
    url: "/Patient/walk-p1/$everything",
    body: JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "_count", valueInteger: 5 }] }),
  },
  "GET /AuditEvent/$export": { url: "/AuditEvent/$export?action=R" },
  "POST /AuditEvent/$export": { url: "/AuditEvent/$export" },
  "GET /:type/:id": { url: "/Patient/walk-p1" },
  "GET /:type/:id/_history/:vid": { url: "/Patient/walk-p1/_history/1" },
  "GET /": { url: "/?_type=Patient" },
  "POST /_search": { url: "/_search?_type=Patient" },
  "POST /": {
    url: "/",
    body: JSON.stringify({
      resourceType: "Bundle",
      type: "transaction",
      entry: [{ request: { method: "GET", url: "Patient/walk-p1" } }],
    }),
  },
  "POST /:type/_search": { url: "/Patient/_search?family=walker" },
  "POST /:type": { url: "/Patient", body: JSON.stringify(patient()) },
  "PUT /:type": {
    url: "/Patient?identifier=urn:walk|c1",
    body: JSON.stringify(patient(undefined, { identifier: [{ system: "urn:walk", value: "c1" }] })),
  },
  "DELETE /:type": { url: "/Patient?identifier=urn:walk|nobody" },
  "PATCH /:type/:id": { url: "/Patient/walk-p1", body: jsonPatch, headers: PATCH_HEADERS },
  "PATCH /:type": { url: "/Patient?identifier=urn:walk|c1", body: jsonPatch, headers: PATCH_HEADERS },
  "GET /:type": { url: "/Patient?family=walker" },
  "PUT /:type/:id": { url: "/Patient/walk-p1", body: JSON.stringify(patient("walk-p1")) },
  "DELETE /:type/:id": { url: "/Patient/walk-del" },
  "POST /:type/:id/$erase": {
    url: "/Patient/walk-erase/$erase",
    body: JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "reason", valueCode: "test-data" }] }),
  },
  // practitioners only: called as one
  "POST /:type/:id/$break-glass": {
    url: "/Patient/walk-p1/$break-glass",
    body: JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "reason", valueString: "walk" }] }),
    actor: { id: "walk-dr", role: "practitioner", scopes: ["user/*.*"], fhirUser: "Practitioner/walk-dr" },
  },
};

const keyOf = (route: InteractionRoute) => `${route.methods.join(",")} ${route.path}`;

interface CapabilityStatement {
  rest: {
    interaction?: { code: string }[];
    operation?: { name: string }[];
    resource: { type: string; interaction: { code: string }[]; operation?: { name: string }[] }[];
  }[];
}

/**
 * The interaction table drives the routes, the CapabilityStatement and the one engine entry:
 * each line is called over HTTP, reaches an interaction (neither 404 nor 405), is listed in
 * the metadata, and passes the per-interaction hook with the caller's actor.
 */
describe("one engine entry, one interaction table", () => {
  let server: TestServer;
  const seen: { actor: Actor; interaction: InteractionDescriptor }[] = [];
  const walker: Actor = { id: "walker", role: "system", scopes: ["system/*.*"] };
  /** Who the next request is made as (a call of the table may name another actor). */
  let caller = walker;
  const authenticate: Authenticator = async (authorization) => {
    if (authorization === undefined) throw new Error("no credentials");
    return caller;
  };
  let metadata: CapabilityStatement;

  beforeAll(async () => {
    server = await startTestServer({
      overrides: {
        blobs: new MemoryBlobStore(),
        ledger: new MemoryLedger(),
        authenticate,
        hook: (actor, interaction) => {
          seen.push({ actor, interaction });
        },
      },
    });
    await server.putAll([patient("walk-p1"), patient("walk-del"), patient("walk-erase")] as never);
    metadata = (await server.json<CapabilityStatement>("/metadata")).body;
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("has a call for every line of the table (a new line needs one here)", () => {
    expect(INTERACTIONS.map(keyOf).sort()).toEqual(Object.keys(CALLS).sort());
  });

  it.each(INTERACTIONS.map((route) => [keyOf(route), route] as const))(
    "%s is routed, claimed in the metadata and seen by the hook with the actor",
    async (key, route) => {
      const call = CALLS[key]!;
      seen.length = 0;
      caller = call.actor ?? walker;
      const res = await server
        .request(call.url, {
          method: route.methods[0]!,
          ...(call.body === undefined ? {} : { body: call.body }),
          ...(call.headers === undefined ? {} : { headers: call.headers }),
        })
        .finally(() => {
          caller = walker;
        });
      const text = await res.text();
      expect([404, 405], `${key} answered ${res.status}: ${text.slice(0, 300)}`).not.toContain(res.status);
      expect(res.status, text.slice(0, 300)).toBeLessThan(300);

      const top = seen.filter((s) => !s.interaction.inBundle);
      expect(top).toHaveLength(1);
      expect(top[0]!.actor).toEqual(call.actor ?? walker);
      expect(route.interactions).toContain(top[0]!.interaction.interaction);
      if (route.operation) expect(top[0]!.interaction.operation).toBe(route.operation);

      const rest = metadata.rest[0]!;
      const patientResource = rest.resource.find((r) => r.type === "Patient")!;
      for (const code of route.interactions) {
        if (code === "capabilities") continue; // GET /metadata answering is the claim
        if (code === "operation") {
          const auditResource = rest.resource.find((r) => r.type === "AuditEvent")!;
          const names = [
            ...(patientResource.operation ?? []),
            ...(auditResource.operation ?? []),
            ...(rest.operation ?? []),
          ].map((o) => o.name);
          expect(names).toContain(route.operation);
        } else if (route.level === "system") {
          expect(rest.interaction?.map((i) => i.code)).toContain(code);
        } else {
          expect(patientResource.interaction.map((i) => i.code)).toContain(code);
        }
      }
    },
  );

  it("passes every transaction and batch entry through the hook with the same actor", async () => {
    for (const type of ["transaction", "batch"]) {
      seen.length = 0;
      const bundle = {
        resourceType: "Bundle",
        type,
        entry: [
          { request: { method: "POST", url: "Patient" }, resource: patient() },
          { request: { method: "PUT", url: "Patient/walk-entry" }, resource: patient("walk-entry") },
          { request: { method: "GET", url: "Patient/walk-p1" } },
          { request: { method: "GET", url: "Patient?family=walker" } },
        ],
      };
      const res = await server.request("/", { method: "POST", body: JSON.stringify(bundle) });
      expect(res.status, await res.text()).toBe(200);
      expect(seen.map((s) => s.actor)).toEqual(Array(5).fill(walker));
      expect(seen.map((s) => [s.interaction.interaction, s.interaction.inBundle])).toEqual([
        [type, false],
        ["create", true],
        ["update", true],
        ["read", true],
        ["search-type", true],
      ]);
    }
  });

  it("refuses what the hook refuses: a transaction entry fails the transaction, a batch entry only itself", async () => {
    const { FhirLedgerError } = await import("../../src/errors/FhirLedgerError.ts");
    const refusing = await startTestServer({
      overrides: {
        blobs: new MemoryBlobStore(),
        ledger: new MemoryLedger(),
        authenticate,
        hook: (_actor, interaction) => {
          if (interaction.interaction === "delete") throw new FhirLedgerError("forbidden", "no deletes here");
        },
      },
    });
    try {
      const entries = [
        { request: { method: "PUT", url: "Patient/r1" }, resource: patient("r1") },
        { request: { method: "DELETE", url: "Patient/r2" } },
      ];
      const transaction = await refusing.request("/", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: entries }),
      });
      expect(transaction.status).toBe(403);
      expect((await refusing.request("/Patient/r1")).status).toBe(404);
      const batch = await refusing.json<{ entry: { response: { status: string } }[] }>("/", {
        method: "POST",
        body: JSON.stringify({ resourceType: "Bundle", type: "batch", entry: entries }),
      });
      expect(batch.body.entry.map((e) => e.response.status.slice(0, 3))).toEqual(["201", "403"]);
      expect((await refusing.request("/Patient/r1", { method: "DELETE" })).status).toBe(403);
    } finally {
      await refusing.close();
      await removeDir(refusing.dataDir);
    }
  });

  it("serves this server's OperationDefinitions at /OperationDefinition/[id], as the metadata contains them", async () => {
    const contained = (metadata as unknown as { contained: { id: string }[] }).contained;
    expect(contained.map((r) => r.id)).toEqual(["verify", "erase", "break-glass", "export"]);
    for (const definition of contained) {
      const res = await server.json(`/OperationDefinition/${definition.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(definition);
    }
    expect((await server.request("/OperationDefinition/not-ours")).status).toBe(404);
  });
});
