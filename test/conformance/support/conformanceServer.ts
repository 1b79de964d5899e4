/** A real fhirledger with the conformance suite's users, clients and patient data, and the suite's config for it. */
import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair } from "jose";
import type { JWK } from "jose";
import { MemoryBlobStore } from "../../../src/adapters/blob/MemoryBlobStore.ts";
import { MemoryLedger } from "../../../src/adapters/ledger/MemoryLedger.ts";
import { withDefaults } from "../../../conformance/config.ts";
import type { ConformanceConfig } from "../../../conformance/config.ts";
import { removeDir, startTestServer } from "../../support/testServer.ts";
import type { TestServer } from "../../support/testServer.ts";

export const PASSWORD = "violet tractor under moonlight";
export const REDIRECT = "http://127.0.0.1:4567/smart/redirect";
export const PATIENT_ID = "conf-patient";
export const PRACTITIONER_ID = "conf-practitioner";

const APP_SCOPES = [
  "launch",
  "launch/patient",
  "openid",
  "fhirUser",
  "offline_access",
  "online_access",
  "patient/*.rs",
  "patient/*.read",
  "user/*.rs",
];
const LAB = "http://terminology.hl7.org/CodeSystem/observation-category";

async function keyPair(alg: "RS384" | "ES384"): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomBytes(8).toString("hex");
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" },
  };
}

function observation(id: string, category: string, code: string) {
  return {
    resourceType: "Observation",
    id,
    status: "final",
    category: [{ coding: [{ system: LAB, code: category }] }],
    code: { coding: [{ system: "http://loinc.org", code }] },
    subject: { reference: `Patient/${PATIENT_ID}` },
  };
}

export interface ConformanceServer {
  server: TestServer;
  config: ConformanceConfig;
  close(): Promise<void>;
}

/**
 * Starts fhirledger (in-memory blobs and ledger: the suite is about authorization), seeds a
 * patient with a few resources, creates a patient and a practitioner account, registers a
 * public, a client_secret_basic, two private_key_jwt (RS384, ES384) app clients and two
 * backend clients, and returns the suite's config for it.
 */
export async function startConformanceServer(): Promise<ConformanceServer> {
  const server = await startTestServer({ overrides: { blobs: new MemoryBlobStore(), ledger: new MemoryLedger() } });
  try {
    await server.putAll([
      {
        resourceType: "Patient",
        id: PATIENT_ID,
        name: [{ given: ["Ada"], family: "Conformance" }],
        gender: "female",
      } as {
        resourceType: string;
        id: string;
      },
      { resourceType: "Practitioner", id: PRACTITIONER_ID, name: [{ given: ["Grace"], family: "Doctor" }] } as {
        resourceType: string;
        id: string;
      },
      observation("conf-lab", "laboratory", "2345-7"),
      observation("conf-vitals", "vital-signs", "8867-4"),
      {
        resourceType: "Condition",
        id: "conf-condition",
        subject: { reference: `Patient/${PATIENT_ID}` },
        code: { text: "Hypertension" },
      } as { resourceType: string; id: string },
      // consent is opt-in: the patient permits the practitioner whose EHR launch the suite runs
      {
        resourceType: "Consent",
        id: "conf-consent",
        status: "active",
        scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
        category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
        patient: { reference: `Patient/${PATIENT_ID}` },
        provision: {
          type: "permit",
          actor: [{ role: { text: "clinician" }, reference: { reference: `Practitioner/${PRACTITIONER_ID}` } }],
        },
      } as { resourceType: string; id: string },
    ]);
    const users = server.accounts.users;
    await users.createUser({
      username: "conf-patient",
      email: "ada@conformance.invalid",
      password: PASSWORD,
      role: "patient",
      fhirUser: `Patient/${PATIENT_ID}`,
    });
    await users.createUser({
      username: "conf-doctor",
      password: PASSWORD,
      role: "practitioner",
      fhirUser: `Practitioner/${PRACTITIONER_ID}`,
    });
    const auth = server.auth;
    const app = { redirectUris: [REDIRECT], scopes: APP_SCOPES };
    auth.registerClient({ clientId: "conf-public", name: "Conformance public app", authMethod: "none", ...app });
    const { clientSecret } = auth.registerClient({
      clientId: "conf-symmetric",
      name: "Conformance confidential app",
      authMethod: "client_secret_basic",
      ...app,
    });
    const asymmetric = [];
    for (const alg of ["RS384", "ES384"] as const) {
      const keys = await keyPair(alg);
      const clientId = `conf-asymmetric-${alg.toLowerCase()}`;
      auth.registerClient({
        clientId,
        name: `Conformance asymmetric app ${alg}`,
        authMethod: "private_key_jwt",
        grantTypes: ["authorization_code", "refresh_token"],
        jwks: { keys: [keys.publicJwk] },
        ...app,
      });
      asymmetric.push({ clientId, privateJwk: keys.privateJwk });
    }
    const backend = [];
    for (const alg of ["ES384", "RS384"] as const) {
      const keys = await keyPair(alg);
      const clientId = `conf-backend-${alg.toLowerCase()}`;
      auth.registerClient({
        clientId,
        name: `Conformance backend ${alg}`,
        authMethod: "private_key_jwt",
        grantTypes: ["client_credentials"],
        jwks: { keys: [keys.publicJwk] },
        scopes: ["system/Patient.rs", "system/Observation.rs"],
      });
      backend.push({ clientId, privateJwk: keys.privateJwk, scope: "system/Patient.rs" });
    }
    const config = withDefaults({
      fhirBaseUrl: server.baseUrl,
      redirectUri: REDIRECT,
      patientId: PATIENT_ID,
      patientUser: { username: "conf-patient", password: PASSWORD },
      practitionerUser: { username: "conf-doctor", password: PASSWORD },
      clients: {
        public: { clientId: "conf-public" },
        symmetric: { clientId: "conf-symmetric", clientSecret: clientSecret! },
        asymmetric,
        backend,
      },
      ehrLaunch: { launchToken: server.devToken! },
    });
    return {
      server,
      config,
      async close() {
        await server.close();
        await removeDir(server.dataDir);
      },
    };
  } catch (error) {
    await server.close();
    await removeDir(server.dataDir);
    throw error;
  }
}
