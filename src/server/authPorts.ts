import type { Actor } from "../auth/Actor.ts";
import { OAuthError } from "../auth/oauth/OAuthError.ts";
import type { ClientRegistration as OAuthClientRegistration } from "../auth/oauth/ClientRegistry.ts";
import type { AuthorizationServer } from "../auth/oauth/createAuthorizationServer.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { FhirEngine } from "../fhir/engine/FhirEngine.ts";
import type { PatientPicker } from "../auth/oauth/ports.ts";
/** The consent pages' port (its own files: src/server/consentPortal/). */
export { consentPortalOf } from "./consentPortal/consentPortalOf.ts";
import type { ClientAdmin, ClientSummary, PatientRegistrar, SessionUser, UserGrants } from "../ui/ports.ts";

/** The admin page's apps, through the authorization server's client registry. */
export function clientAdminOf(auth: AuthorizationServer): ClientAdmin {
  return {
    async list() {
      return auth.listClients().map(
        (client): ClientSummary => ({
          clientId: client.clientId,
          name: client.name,
          type:
            client.authMethod === "none"
              ? "public"
              : client.authMethod === "client_secret_basic"
                ? "confidential-symmetric"
                : "confidential-asymmetric",
          redirectUris: client.redirectUris,
          scope: client.scopes.join(" "),
        }),
      );
    },
    async register(input) {
      const registration: OAuthClientRegistration = {
        name: input.name,
        authMethod:
          input.type === "public"
            ? "none"
            : input.type === "confidential-symmetric"
              ? "client_secret_basic"
              : "private_key_jwt",
        redirectUris: input.redirectUris,
        scopes: input.scope.split(/\s+/).filter((s) => s.length > 0),
        grantTypes:
          input.type === "confidential-asymmetric"
            ? ["authorization_code", "refresh_token", "client_credentials"]
            : ["authorization_code", "refresh_token"],
        ...(input.jwksUri ? { jwksUri: input.jwksUri } : {}),
        ...(input.jwks ? { jwks: parseJwks(input.jwks) } : {}),
      };
      try {
        const { client, clientSecret } = auth.registerClient(registration);
        return { clientId: client.clientId, ...(clientSecret === undefined ? {} : { clientSecret }) };
      } catch (error) {
        if (error instanceof OAuthError) throw new FhirLedgerError("invalid", error.message);
        throw error;
      }
    },
    async remove(clientId) {
      if (!auth.deleteClient(clientId)) throw new FhirLedgerError("not-found", "no such app");
    },
  };
}

function parseJwks(text: string): NonNullable<OAuthClientRegistration["jwks"]> {
  try {
    return JSON.parse(text) as NonNullable<OAuthClientRegistration["jwks"]>;
  } catch {
    throw new FhirLedgerError("invalid", "the JWKS is not valid JSON");
  }
}

/** The "connected apps" page, through the authorization server's grants. */
export function userGrantsOf(auth: AuthorizationServer): UserGrants {
  return {
    async list(userId) {
      return auth.connectedApps(userId).map((app) => ({
        grantId: app.grantId,
        clientName: app.clientName,
        scopes: app.scopes,
        grantedAt: app.issuedAt.getTime(),
        ...(app.patient === undefined ? {} : { patient: app.patient }),
      }));
    },
    async revoke(userId, grantId) {
      if (!auth.revokeConnectedApp(userId, grantId)) throw new FhirLedgerError("not-found", "no such connected app");
    },
  };
}

/** The server itself, creating a registering patient's Patient: a system actor through the engine's one door. */
const REGISTRATION_ACTOR: Actor = Object.freeze({
  id: "patient-registration",
  role: "system",
  scopes: ["system/Patient.c"],
}) as Actor;

/** Self-registration's Patient, created through the FHIR engine like any other write. */
export function patientRegistrarOf(engine: FhirEngine, baseUrl: () => string): PatientRegistrar {
  return {
    async createPatient(input) {
      const body = {
        resourceType: "Patient",
        active: true,
        name: [{ given: [input.given], family: input.family }],
        telecom: [{ system: "email", value: input.email }],
        ...(input.birthDate === undefined ? {} : { birthDate: input.birthDate }),
      };
      const response = await engine.handle(REGISTRATION_ACTOR, {
        method: "POST",
        path: ["Patient"],
        query: new URLSearchParams(),
        rawQuery: "",
        headers: {},
        body,
        baseUrl: baseUrl(),
      });
      const id = response.version?.id;
      if (response.status !== 201 || id === undefined)
        throw new FhirLedgerError("internal", "the Patient resource was not created");
      return id;
    },
  };
}

/**
 * The user at the picker and the approval page, as the engine sees them, reading patients
 * only: a practitioner with their role; a patient confined to their own record (the approval
 * page names them); anyone else as anonymous, who reads nothing.
 */
function pickerActor(user: SessionUser): Actor {
  const own = user.fhirUser?.startsWith("Patient/") ? user.fhirUser.slice("Patient/".length) : undefined;
  if (user.role === "patient" && own !== undefined)
    return { id: user.userId, role: "patient", scopes: ["patient/Patient.rs"], patient: own, fhirUser: user.fhirUser! };
  return {
    id: user.userId,
    role: user.role === "practitioner" ? "practitioner" : "anonymous",
    scopes: ["user/Patient.rs"],
    ...(user.fhirUser === undefined ? {} : { fhirUser: user.fhirUser }),
  };
}

function displayName(patient: Record<string, unknown>): string {
  const names = Array.isArray(patient.name) ? (patient.name as Record<string, unknown>[]) : [];
  const first = names[0];
  if (!first) return String(patient.id);
  const given = Array.isArray(first.given) ? (first.given as unknown[]).map(String).join(" ") : "";
  const text = typeof first.text === "string" ? first.text : `${given} ${first.family ?? ""}`.trim();
  return text.length > 0 ? text.slice(0, 200) : String(patient.id);
}

/** The standalone-launch patient picker: a Patient search through the engine, as the practitioner. */
export function patientPickerOf(engine: FhirEngine, baseUrl: () => string): PatientPicker {
  const request = (path: string[], query: URLSearchParams) => ({
    method: "GET",
    path,
    query,
    rawQuery: query.toString(),
    headers: {},
    baseUrl: baseUrl(),
  });
  return {
    async search(user, text, limit) {
      const query = new URLSearchParams({ _count: String(Math.max(1, Math.min(limit, 50))) });
      if (text.trim().length > 0) query.set("name", text.trim().slice(0, 100));
      const response = await engine.handle(pickerActor(user), request(["Patient"], query));
      const entries = ((response.resource?.entry as { resource?: Record<string, unknown> }[] | undefined) ?? [])
        .map((e) => e.resource)
        .filter((r): r is Record<string, unknown> => r !== undefined && r.resourceType === "Patient");
      return entries.map((p) => ({ id: String(p.id), name: displayName(p) }));
    },
    async get(user, id) {
      try {
        const response = await engine.handle(pickerActor(user), request(["Patient", id], new URLSearchParams()));
        const patient = response.resource;
        return patient ? { id: String(patient.id), name: displayName(patient) } : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
