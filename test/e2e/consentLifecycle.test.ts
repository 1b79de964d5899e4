import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../../src/adapters/blob/MemoryBlobStore.ts";
import { MemoryLedger } from "../../src/adapters/ledger/MemoryLedger.ts";
import type { Actor } from "../../src/auth/Actor.ts";
import { FhirLedgerError } from "../../src/errors/FhirLedgerError.ts";
import { JWT_BEARER, assertion, clientKeys, postForm } from "../oauth/support/oauthHarness.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

/**
 * Consent over HTTP on a real server: the directory follows each write, so a Consent approved
 * or revoked decides the very next request of a token issued before it. Each token below
 * stands for one issued access token: the server turns it into the same actor on every request.
 */
const TOKENS: Record<string, Actor> = {
  "dr-token-0123456789": {
    id: "user-dr1",
    role: "practitioner",
    scopes: ["user/*.rs", "user/Consent.cu"],
    fhirUser: "Practitioner/dr1",
    tokenId: "jti-dr",
  },
  "pt-token-0123456789": {
    id: "user-p1",
    role: "patient",
    scopes: ["patient/*.*"],
    patient: "p1",
    fhirUser: "Patient/p1",
  },
  "lab-token-0123456789": { id: "lab", role: "system", scopes: ["system/*.rs"], clientId: "lab" },
  "billing-token-0123456789": { id: "billing", role: "system", scopes: ["system/*.rs"], clientId: "billing" },
};
const DR = "dr-token-0123456789";
const PT = "pt-token-0123456789";
const LAB = "lab-token-0123456789";
const BILLING = "billing-token-0123456789";

const SCOPE = { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] };
const CATEGORY = [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }];

async function startConsentServer(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startTestServer({
    env,
    overrides: {
      blobs: new MemoryBlobStore(),
      ledger: new MemoryLedger(),
      authenticate: async (header) => {
        const token = /^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "";
        if (token === server?.devToken) return { id: "dev", role: "system", scopes: ["system/*.*"] };
        const actor = TOKENS[token];
        if (!actor) throw new FhirLedgerError("unauthorized", "the bearer token is not valid");
        return actor;
      },
    },
  });
  // the clinical data, written by the institution (the development token: a system client consent does not bind)
  await server.putAll([
    { resourceType: "Patient", id: "p1", name: [{ family: "Consenting" }] } as never,
    { resourceType: "Patient", id: "p2", name: [{ family: "Other" }] } as never,
    { resourceType: "Practitioner", id: "dr1" } as never,
    {
      resourceType: "Observation",
      id: "o1",
      status: "final",
      code: { text: "glucose" },
      subject: { reference: "Patient/p1" },
    } as never,
    {
      resourceType: "Observation",
      id: "o2",
      status: "final",
      code: { text: "glucose" },
      subject: { reference: "Patient/p2" },
    } as never,
  ]);
  return server;
}

const as = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });

describe("consent lifecycle over HTTP (opt-in, the default)", () => {
  let server: TestServer;
  const read = async (token: string, path: string) => (await server.request(path, { headers: as(token) })).status;
  const total = async (token: string, query: string) => {
    const res = await server.json<{ total: number; entry?: unknown[] }>(`/${query}`, { headers: as(token) });
    expect(res.status).toBe(200);
    return res.body.total;
  };

  beforeAll(async () => {
    server = await startConsentServer();
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("denied → requests access → patient approves → reads → patient revokes → the same token is denied again", async () => {
    // no consent yet: the Observation is as absent as one that does not exist, and searches find nothing
    expect(await read(DR, "/Observation/o1")).toBe(404);
    expect(await total(DR, "Observation?_total=accurate")).toBe(0);
    expect(await read(PT, "/Observation/o1")).toBe(200); // patients always reach their own compartment

    // the practitioner asks: a proposed Consent naming itself, the one write it may make there
    const request = await server.json<{ id: string; status: string }>("/Consent", {
      method: "POST",
      headers: as(DR),
      body: JSON.stringify({
        resourceType: "Consent",
        status: "proposed",
        scope: SCOPE,
        category: CATEGORY,
        patient: { reference: "Patient/p1" },
        provision: {
          type: "permit",
          actor: [{ role: { text: "requester" }, reference: { reference: "Practitioner/dr1" } }],
        },
      }),
    });
    expect(request.status, JSON.stringify(request.body)).toBe(201);
    expect(await read(DR, "/Observation/o1")).toBe(404); // proposed counts for nothing

    // the practitioner may not approve its own request
    const selfApproval = await server.request(`/Consent/${request.body.id}`, {
      method: "PUT",
      headers: as(DR),
      body: JSON.stringify({ ...request.body, status: "active" }),
    });
    expect([403, 404]).toContain(selfApproval.status);
    expect(await read(DR, "/Observation/o1")).toBe(404);

    // the patient approves
    const approved = await server.json<Record<string, unknown>>(`/Consent/${request.body.id}`, {
      method: "PUT",
      headers: as(PT),
      body: JSON.stringify({ ...request.body, status: "active" }),
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(await read(DR, "/Observation/o1")).toBe(200);
    expect(await total(DR, "Observation?_total=accurate")).toBe(1); // p1's only: p2 gave no consent
    expect(await read(DR, "/Observation/o2")).toBe(404);

    // the patient revokes: the next request with the very same token is denied
    const revoked = await server.json(`/Consent/${request.body.id}`, {
      method: "PUT",
      headers: as(PT),
      body: JSON.stringify({ ...approved.body, status: "inactive" }),
    });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(await read(DR, "/Observation/o1")).toBe(404);
    expect(await total(DR, "Observation?_total=accurate")).toBe(0);
  });

  it("break-glass: the practitioner reads the patient's records for the minutes asked, and the patient sees the Consent", async () => {
    expect(await read(DR, "/Observation/o1")).toBe(404);
    const glass = await server.json<{ id: string; provision: { period: { start: string; end: string } } }>(
      "/Patient/p1/$break-glass",
      {
        method: "POST",
        headers: as(DR),
        body: JSON.stringify({
          resourceType: "Parameters",
          parameter: [
            { name: "reason", valueString: "unresponsive on arrival" },
            { name: "minutes", valueInteger: 5 },
          ],
        }),
      },
    );
    expect(glass.status, JSON.stringify(glass.body)).toBe(201);
    const { start, end } = glass.body.provision.period;
    expect(Date.parse(end) - Date.parse(start)).toBe(5 * 60_000);
    expect(await read(DR, "/Observation/o1")).toBe(200);
    expect(await total(DR, "Observation?_total=accurate")).toBe(1);
    expect(await read(DR, "/Observation/o2")).toBe(404); // one patient, not every one
    // writes still need the patient's consent
    const write = await server.request("/Observation/o1", {
      method: "PUT",
      headers: as(DR),
      body: JSON.stringify({
        resourceType: "Observation",
        id: "o1",
        status: "amended",
        code: { text: "x" },
        subject: { reference: "Patient/p1" },
      }),
    });
    expect(write.status).toBeGreaterThanOrEqual(400);
    expect(write.status).toBeLessThan(500);
    // the patient sees it among their consents, flagged BTG
    const mine = await server.json<{ entry: { resource: { id: string; meta: { security?: { code: string }[] } } }[] }>(
      "/Consent?patient=Patient/p1",
      { headers: as(PT) },
    );
    const seen = mine.body.entry.find((e) => e.resource.id === glass.body.id);
    expect(seen?.resource.meta.security?.map((s) => s.code)).toContain("BTG");
    // patients and system clients may not break the glass
    for (const token of [PT, LAB]) {
      const res = await server.request("/Patient/p2/$break-glass", {
        method: "POST",
        headers: as(token),
        body: JSON.stringify({ resourceType: "Parameters", parameter: [{ name: "reason", valueString: "x" }] }),
      });
      expect(res.status).toBe(403);
    }
  });

  it("system clients are not bound by default", async () => {
    expect(await read(LAB, "/Observation/o2")).toBe(200);
    expect(await total(LAB, "Observation?_total=accurate")).toBe(2);
  });
});

describe("consent configured opt-out, binding one system client", () => {
  let server: TestServer;
  const read = async (token: string, path: string) => (await server.request(path, { headers: as(token) })).status;

  beforeAll(async () => {
    server = await startConsentServer({
      FHIRLEDGER_CONSENT_DEFAULT: "opt-out",
      FHIRLEDGER_CONSENT_BINDS_CLIENTS: "lab",
    });
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("reads are permitted until the patient denies, for the practitioner and the bound client, not the unbound one", async () => {
    expect(await read(DR, "/Observation/o1")).toBe(200);
    expect(await read(LAB, "/Observation/o1")).toBe(200);
    const deny = await server.json<{ id: string }>("/Consent", {
      method: "POST",
      headers: as(PT),
      body: JSON.stringify({
        resourceType: "Consent",
        status: "active",
        scope: SCOPE,
        category: CATEGORY,
        patient: { reference: "Patient/p1" },
        provision: { type: "deny" },
      }),
    });
    expect(deny.status, JSON.stringify(deny.body)).toBe(201);
    expect(await read(DR, "/Observation/o1")).toBe(404);
    expect(await read(LAB, "/Observation/o1")).toBe(404);
    expect(await read(BILLING, "/Observation/o1")).toBe(200);
    expect(await read(DR, "/Observation/o2")).toBe(200); // p2 denied nothing
    // withdrawn (deleted): permitted again on the next request
    expect((await server.request(`/Consent/${deny.body.id}`, { method: "DELETE", headers: as(PT) })).status).toBe(204);
    expect(await read(DR, "/Observation/o1")).toBe(200);
  });
});

describe("a revocation holds for an access token issued before it (real SMART Backend Services token)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      env: { FHIRLEDGER_CONSENT_BINDS_CLIENTS: "lab-backend" },
      overrides: { blobs: new MemoryBlobStore(), ledger: new MemoryLedger() },
    });
    await server.putAll([
      { resourceType: "Patient", id: "p1" } as never,
      {
        resourceType: "Observation",
        id: "o1",
        status: "final",
        code: { text: "x" },
        subject: { reference: "Patient/p1" },
      } as never,
    ]);
  });
  afterAll(async () => {
    await server?.close();
    if (server) await removeDir(server.dataDir);
  });

  it("the bound client reads under the patient's permit, and the same token is refused on the request after the revocation", async () => {
    const keys = await clientKeys("ES384");
    server.auth.registerClient({
      clientId: "lab-backend",
      name: "Lab feed",
      authMethod: "private_key_jwt",
      scopes: ["system/Observation.rs"],
      jwks: keys.jwks,
    });
    const tokenUrl = `${server.baseUrl}/auth/token`;
    const issued = await postForm(tokenUrl, {
      grant_type: "client_credentials",
      client_assertion_type: JWT_BEARER,
      client_assertion: await assertion(keys, "lab-backend", tokenUrl),
      scope: "system/Observation.rs",
    });
    expect(issued.status).toBe(200);
    const token = String(((await issued.json()) as { access_token: string }).access_token);
    const read = async () => (await server.request("/Observation/o1", { headers: as(token) })).status;

    expect(await read()).toBe(404); // bound by consent, opt-in, no permit
    // the patient's permit for everyone, recorded by the institution (the development token)
    const consent = {
      resourceType: "Consent",
      id: "p1-open",
      status: "active",
      scope: SCOPE,
      category: CATEGORY,
      patient: { reference: "Patient/p1" },
      provision: { type: "permit" },
    };
    const put = (body: object) => server.request("/Consent/p1-open", { method: "PUT", body: JSON.stringify(body) });
    expect((await put(consent)).status).toBe(201);
    expect(await read()).toBe(200);
    expect((await put({ ...consent, status: "inactive" })).status).toBe(200);
    expect(await read()).toBe(404);
  });
});

describe("consent configuration the server cannot read", () => {
  it("refuses to start, saying which setting is wrong", async () => {
    const node = join(process.cwd(), "node_modules/.bin/node");
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(node, ["src/main.ts"], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, _o, stderr) =>
          resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stderr }),
        );
      });
    const bad = await run({
      FHIRLEDGER_DATA_DIR: "/nonexistent/never-created",
      FHIRLEDGER_CONSENT_DEFAULT: "everyone",
      FHIRLEDGER_CONSENT_BINDS_CLIENTS: "lab,,billing",
      FHIRLEDGER_BREAK_GLASS_MAX_MINUTES: "10000",
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/FHIRLEDGER_CONSENT_DEFAULT must be one of opt-in, opt-out/);
    expect(bad.stderr).toMatch(/FHIRLEDGER_CONSENT_BINDS_CLIENTS must be \*/);
    expect(bad.stderr).toMatch(/FHIRLEDGER_BREAK_GLASS_MAX_MINUTES must be an integer between 1 and 1440/);
  });
});
