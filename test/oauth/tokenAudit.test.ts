import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditTrail } from "../../src/audit/AuditTrail.ts";
import type { TokenEvent } from "../../src/auth/oauth/createAuthorizationServer.ts";
import { auditTokenRequests } from "../../src/server/auditPorts.ts";
import { JWT_BEARER, assertion, clientKeys, postForm, startHarness } from "./support/oauthHarness.ts";
import type { Harness } from "./support/oauthHarness.ts";

/** IUA ITI-71: every token request, granted or refused, is recorded before it is answered, without its secrets. */
describe("token requests are audited (IUA ITI-71)", () => {
  let h: Harness;
  let keys: Awaited<ReturnType<typeof clientKeys>>;
  const events: TokenEvent[] = [];
  const audited: Record<string, unknown>[] = [];
  const trail = { append: async (e: Record<string, unknown>[]) => void audited.push(...e) } as unknown as AuditTrail;
  const record = auditTokenRequests(trail);

  beforeAll(async () => {
    h = await startHarness({
      onToken: async (event) => {
        events.push(event);
        await record(event);
      },
    });
    keys = await clientKeys("ES384");
    h.server.registerClient({
      clientId: "audited-bulk",
      name: "Audited",
      authMethod: "private_key_jwt",
      scopes: ["system/Observation.rs"],
      jwks: keys.jwks,
    });
  });
  afterAll(() => h.close());

  it("a granted token: the client, grant, scopes and the token's jti; never the token or the assertion", async () => {
    const tokenUrl = `${h.base}/auth/token`;
    const clientAssertion = await assertion(keys, "audited-bulk", tokenUrl);
    const response = await postForm(tokenUrl, {
      grant_type: "client_credentials",
      client_assertion_type: JWT_BEARER,
      client_assertion: clientAssertion,
      scope: "system/Observation.rs",
    });
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    const jti = decodeJwt(access_token).jti;
    const event = events.at(-1)!;
    expect(event).toMatchObject({
      clientId: "audited-bulk",
      grantType: "client_credentials",
      scope: "system/Observation.rs",
      tokenId: jti,
    });
    const auditEvent = JSON.stringify(audited.at(-1));
    expect(auditEvent).toContain("ITI-71");
    expect(auditEvent).toContain(String(jti));
    expect(auditEvent).not.toContain(access_token);
    expect(auditEvent).not.toContain(clientAssertion);
    expect(auditEvent).not.toContain(access_token.split(".")[2]!);
  });

  it("a refused request: the OAuth error and the client as sent, a serious failure", async () => {
    const tokenUrl = `${h.base}/auth/token`;
    const response = await postForm(tokenUrl, {
      grant_type: "client_credentials",
      client_assertion_type: JWT_BEARER,
      client_assertion: await assertion(keys, "audited-bulk", tokenUrl),
      scope: "system/Patient.rs",
    });
    expect(response.status).toBe(400);
    expect(events.at(-1)).toMatchObject({
      grantType: "client_credentials",
      scope: "system/Patient.rs",
      error: "invalid_scope",
    });
    expect(audited.at(-1)).toMatchObject({ outcome: "8", outcomeDesc: "invalid_scope" });
  });
});
