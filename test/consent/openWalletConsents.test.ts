import { Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Accounts, openAccounts } from "../../src/accounts/openAccounts.ts";
import { FAST_SCRYPT } from "../../src/accounts/testSupport/fastScrypt.ts";
import { type WalletConsentsPart, openWalletConsents } from "../../src/consent/wallet/openWalletConsents.ts";
import { consentFor } from "../../src/consent/wallet/testSupport/memoryConsentRecords.ts";
import {
  RELAYER_KEY,
  type WalletWorld,
  signTypedRequest,
  startWalletWorld,
} from "../../src/consent/wallet/testSupport/walletWorld.ts";
import { type ScopedEngine, scopedEngine } from "../../src/policy/testSupport/scopedEngine.ts";
import type { FhirResource } from "../../src/records/RecordRepository.ts";
import { CookiePageSession } from "../../src/ui/CookiePageSession.ts";

const BASE = "http://fhir.test";

describe("openWalletConsents: the part as the server wires it (engine, accounts session, anvil)", () => {
  let world: WalletWorld;
  let e: ScopedEngine;
  let accounts: Accounts;
  let part: WalletConsentsPart;
  let cookie: string;
  let csrf: string;
  const events: string[] = [];

  beforeAll(async () => {
    [world, e] = await Promise.all([startWalletWorld(), scopedEngine()]);
    accounts = openAccounts(":memory:", { scrypt: FAST_SCRYPT });
    const mary = await accounts.users.createUser({
      username: "mary.s",
      email: "mary@example.org",
      password: "violet tractor harbour 42",
      role: "patient",
      fhirUser: "Patient/mary",
    });
    const session = new CookiePageSession({ users: accounts.users, sessions: accounts.sessions, secure: false });
    part = await openWalletConsents({
      rpcUrl: world.rpcUrl,
      registryAddress: world.registryAddress,
      fromBlock: world.deployBlock,
      relayerKey: RELAYER_KEY,
      accountsPath: ":memory:",
      engine: e.engine,
      baseUrl: () => BASE,
      session,
      onEvent: (event) => {
        events.push(event.type);
      },
    });
    cookie = `fhirledger-session=${accounts.sessions.create(mary.id)}`;
    const page = await part.routes.request(`${BASE}/wallet`, { headers: { cookie } });
    expect(page.status).toBe(200);
    csrf = /data-csrf="([^"]+)"/.exec(await page.text())![1]!;
    await e.put(
      { resourceType: "Patient", id: "mary" } as FhirResource,
      { ...consentFor("Patient/mary", "Practitioner/doc"), id: "c1" } as FhirResource,
    );
  });
  afterAll(async () => {
    await part?.close();
    accounts?.close();
    await e?.close();
    await world?.close();
  });

  const call = async (path: string, body: unknown) => {
    const response = await part.routes.request(`${BASE}${path}`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };

  it("links, then grants a proposed Consent stored in the engine: it is active there, with commitment and salt, and honoured", async () => {
    const wallet = Wallet.createRandom();
    const challenge = await call("/wallet/link/challenge", { address: wallet.address });
    await call("/wallet/link", {
      nonce: challenge.nonce,
      signature: await wallet.signMessage(String(challenge.message)),
    });
    expect(part.check.walletOf("Patient/mary")).toBe(wallet.address.toLowerCase());

    const prepared = await call("/wallet/grant/prepare", { consentId: "c1" });
    await call("/wallet/grant", {
      id: prepared.id,
      signature: await signTypedRequest(wallet, prepared.typedData as never),
    });
    const stored = await e.call(
      { id: "mary", role: "patient", scopes: ["patient/Consent.rs"], patient: "mary", fhirUser: "Patient/mary" },
      "GET",
      "Consent/c1",
    );
    expect(stored.status).toBe(200);
    const consent = stored.resource!;
    expect(consent.status).toBe("active");
    expect((consent.extension as { url: string }[]).map((x) => x.url)).toEqual([
      "urn:fhirledger:consent-commitment",
      "urn:fhirledger:consent-salt",
    ]);
    expect(part.check.honoured(consent, wallet.address.toLowerCase(), new Date())).toBe(true);
    expect(events).toEqual(["wallet-linked", "consent-granted"]);

    // The operator rewrites it with database access: the stored content no longer matches what the wallet signed.
    await e.put({
      ...consent,
      provision: { ...(consent.provision as object), actor: [{ reference: { reference: "Practitioner/evil" } }] },
    } as unknown as FhirResource);
    const altered = await e.call(
      { id: "mary", role: "patient", scopes: ["patient/Consent.rs"], patient: "mary", fhirUser: "Patient/mary" },
      "GET",
      "Consent/c1",
    );
    expect(part.check.honoured(altered.resource!, wallet.address.toLowerCase(), new Date())).toBe(false);
  });
});
