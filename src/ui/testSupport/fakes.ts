import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type {
  ClientAdmin,
  ClientRegistration,
  ClientSummary,
  GrantSummary,
  PatientRegistrar,
  UserGrants,
} from "../ports.ts";

/** Records the Patients it "creates" and numbers them p1, p2, … */
export class FakePatientRegistrar implements PatientRegistrar {
  readonly created: { id: string; given: string; family: string; birthDate?: string; email: string }[] = [];
  async createPatient(input: { given: string; family: string; birthDate?: string; email: string }): Promise<string> {
    const id = `p${this.created.length + 1}`;
    this.created.push({ id, ...input });
    return id;
  }
}

/** Apps in memory; a confidential-symmetric one gets a secret. */
export class FakeClientAdmin implements ClientAdmin {
  readonly apps: ClientSummary[] = [];
  async list(): Promise<ClientSummary[]> {
    return [...this.apps];
  }
  async register(input: ClientRegistration): Promise<{ clientId: string; clientSecret?: string }> {
    if (input.redirectUris.some((u) => !u.startsWith("https://") && !u.startsWith("http://localhost")))
      throw new FhirLedgerError("invalid", "A redirect URI must be https (or http://localhost).");
    const clientId = `client-${this.apps.length + 1}`;
    this.apps.push({
      clientId,
      name: input.name,
      type: input.type,
      redirectUris: input.redirectUris,
      scope: input.scope,
    });
    return input.type === "confidential-symmetric" ? { clientId, clientSecret: `secret-of-${clientId}` } : { clientId };
  }
  async remove(clientId: string): Promise<void> {
    const i = this.apps.findIndex((a) => a.clientId === clientId);
    if (i === -1) throw new FhirLedgerError("not-found", "There is no such app; it may have been removed already.");
    this.apps.splice(i, 1);
  }
}

/** Grants per user in memory. */
export class FakeUserGrants implements UserGrants {
  readonly byUser = new Map<string, GrantSummary[]>();
  async list(userId: string): Promise<GrantSummary[]> {
    return [...(this.byUser.get(userId) ?? [])];
  }
  async revoke(userId: string, grantId: string): Promise<void> {
    const grants = this.byUser.get(userId) ?? [];
    const i = grants.findIndex((g) => g.grantId === grantId);
    if (i === -1) throw new FhirLedgerError("not-found", "no such grant");
    grants.splice(i, 1);
  }
}
