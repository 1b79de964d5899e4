import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "fhir-kit-client";
import { exportJWK, generateKeyPair } from "jose";
import type { JWK } from "jose";
import smart from "fhirclient";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FormDriver } from "../../conformance/drivers.ts";
import { PATIENT_ID, PRACTITIONER_ID, startConformanceServer } from "./support/conformanceServer.ts";
import type { ConformanceServer } from "./support/conformanceServer.ts";

/**
 * A SMART app built on fhirclient's Node adapter: /launch starts the authorization (standalone
 * with ?iss=, EHR with ?iss=&launch=), /redirect completes it and reads the patient.
 */
function fhirclientApp(clientId: string, scope: string, extra: Record<string, unknown> = {}) {
  // fhirclient keeps its state in a storage; one app, one user at a time: a Map is enough.
  const values = new Map<string, unknown>();
  const storage = {
    get: async (key: string) => values.get(key),
    set: async (key: string, value: unknown) => {
      values.set(key, value);
      return value;
    },
    unset: async (key: string) => values.delete(key),
  };
  let result: { patient: Record<string, unknown>; fhirUser: string | null; patientId: string | null } | undefined;
  let failure: unknown;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const api = smart(req, res, storage);
    if (url.pathname === "/launch") {
      api.authorize({ clientId, scope, redirectUri: "/redirect", ...extra }).catch((error: unknown) => {
        failure = error;
        res.writeHead(500).end();
      });
      return;
    }
    api
      .ready()
      .then(async (client) => {
        const patient = (await client.patient.read()) as Record<string, unknown>;
        result = { patient, fhirUser: client.getFhirUser() ?? null, patientId: client.getPatientId() };
        res.writeHead(200, { "content-type": "text/plain" }).end("done");
      })
      .catch((error: unknown) => {
        failure = error;
        res.writeHead(500).end();
      });
  });
  return {
    server,
    result: () => result,
    failure: () => failure,
    async start(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let target: ConformanceServer;
beforeAll(async () => {
  target = await startConformanceServer();
}, 60_000);
afterAll(() => target?.close());

/** Runs one fhirclient launch: the browser opens the app's /launch, signs in and approves on fhirledger's pages, lands on /redirect. */
async function launchWithFhirclient(options: {
  clientId: string;
  scope: string;
  user: "patient" | "practitioner";
  launch?: string;
  /** A confidential asymmetric client: fhirclient signs its token request with this key (private_key_jwt). */
  key?: { privateJwk: JWK; publicJwk: JWK };
}) {
  const app = fhirclientApp(
    options.clientId,
    options.scope,
    options.key ? { clientPrivateJwk: options.key.privateJwk } : {},
  );
  const origin = await app.start();
  try {
    target.server.auth.registerClient({
      clientId: options.clientId,
      name: `fhirclient ${options.user}`,
      ...(options.key
        ? { authMethod: "private_key_jwt" as const, jwks: { keys: [options.key.publicJwk] } }
        : { authMethod: "none" as const }),
      grantTypes: ["authorization_code"],
      redirectUris: [`${origin}/redirect`],
      scopes: ["launch", "launch/patient", "openid", "fhirUser", "patient/*.rs"],
    });
    const { config } = target;
    const browser = new FormDriver({
      patientUser: config.patientUser!,
      practitionerUser: config.practitionerUser!,
      redirectUri: `${origin}/redirect`,
      timeoutMs: 15_000,
    });
    const query = new URLSearchParams({
      iss: config.fhirBaseUrl,
      ...(options.launch ? { launch: options.launch } : {}),
    });
    const outcome = await browser.authorize(`${origin}/launch?${query}`, { user: options.user, patientId: PATIENT_ID });
    expect(outcome.stopped).toBeUndefined();
    expect(outcome.redirect?.searchParams.get("code")).toBeTruthy();
    const done = await fetch(outcome.redirect!);
    expect(done.status, String(app.failure())).toBe(200);
    return app.result()!;
  } finally {
    await app.stop();
  }
}

describe("real SMART clients against fhirledger", () => {
  it("fhirclient (Node adapter) completes a standalone launch as the patient and reads the patient", async () => {
    const result = await launchWithFhirclient({
      clientId: "fhirclient-standalone",
      scope: "launch/patient openid fhirUser patient/Patient.rs",
      user: "patient",
    });
    expect(result.patientId).toBe(PATIENT_ID);
    expect(result.patient).toMatchObject({
      resourceType: "Patient",
      id: PATIENT_ID,
      name: [{ family: "Conformance" }],
    });
    expect(result.fhirUser).toBe(`Patient/${PATIENT_ID}`);
  });

  it("fhirclient completes an EHR launch (launch from fhirledger) as the practitioner and reads the launch's patient", async () => {
    const created = await fetch(`${target.config.fhirBaseUrl}/auth/launch`, {
      method: "POST",
      headers: { authorization: `Bearer ${target.server.devToken!}`, "content-type": "application/json" },
      body: JSON.stringify({ patient: PATIENT_ID }),
    });
    expect(created.status).toBe(201);
    const { launch } = (await created.json()) as { launch: string };
    const result = await launchWithFhirclient({
      clientId: "fhirclient-ehr",
      scope: "launch openid fhirUser patient/Patient.rs",
      user: "practitioner",
      launch,
    });
    expect(result.patientId).toBe(PATIENT_ID);
    expect(result.patient).toMatchObject({ resourceType: "Patient", id: PATIENT_ID });
    expect(result.fhirUser).toBe(`Practitioner/${PRACTITIONER_ID}`);
  });

  it("fhirclient as a confidential asymmetric client (private_key_jwt, ES384) completes a standalone launch", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES384", { extractable: true });
    const key = {
      privateJwk: { ...(await exportJWK(privateKey)), alg: "ES384", kid: "fhirclient-es384" },
      publicJwk: { ...(await exportJWK(publicKey)), alg: "ES384", kid: "fhirclient-es384" },
    };
    const result = await launchWithFhirclient({
      clientId: "fhirclient-asymmetric",
      scope: "launch/patient patient/Patient.rs",
      user: "patient",
      key,
    });
    expect(result.patient).toMatchObject({ resourceType: "Patient", id: PATIENT_ID });
  });

  it("fhir-kit-client discovers the authorize, token and registration endpoints through smartAuthMetadata()", async () => {
    const base = target.config.fhirBaseUrl;
    const metadata = await new Client({ baseUrl: base }).smartAuthMetadata();
    expect(metadata.authorizeUrl?.toString()).toBe(`${base}/auth/authorize`);
    expect(metadata.tokenUrl?.toString()).toBe(`${base}/auth/token`);
  });
});
