import { Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { patientCommitment } from "../consentTypedData.ts";
import type { ChainConsent } from "./ChainConsentFollower.ts";
import { chainWalletConsentCheck } from "./chainWalletConsentCheck.ts";
import { LinkChallenges } from "./LinkChallenges.ts";
import { MemoryConsentRecords, consentFor } from "./testSupport/memoryConsentRecords.ts";
import { signTypedRequest } from "./testSupport/walletWorld.ts";
import { type RegistryRelay, WalletConsents, type WalletUser } from "./WalletConsents.ts";
import { openWalletLinks } from "./WalletLinks.ts";

/** A registry that records relayed grants at once, as a follower would see them. */
function fakeRegistry(chainNow = 1_800_000_000n) {
  const consents = new Map<string, ChainConsent>();
  const relayed: string[] = [];
  const relay: RegistryRelay = {
    domain: async () => ({
      name: "FhirLedger ConsentRegistry",
      version: "1",
      chainId: 31337n,
      verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    }),
    nonce: async () => 0n,
    chainTime: async () => chainNow,
    grantBySig: async (commitment, expiresAt, patient) => {
      consents.set(patientCommitment(commitment, patient.toLowerCase()), {
        expiresAt,
        controller: patient.toLowerCase(),
      });
      relayed.push("grant");
      return "0xtx";
    },
    revokeBySig: async (key) => {
      consents.delete(key);
      relayed.push("revoke");
      return "0xtx";
    },
  };
  return { relay, chain: { consent: (k: string) => consents.get(k), fresh: () => true, version: () => 0 }, relayed };
}

async function setUp(options: { maxPendingTotal?: number } = {}) {
  const links = openWalletLinks(":memory:");
  const records = new MemoryConsentRecords();
  const registry = fakeRegistry();
  const service = new WalletConsents({
    links,
    challenges: new LinkChallenges(),
    records,
    relay: registry.relay,
    chain: registry.chain,
    check: chainWalletConsentCheck({ links, chain: registry.chain }),
    settleMs: 0,
    now: () => 1_800_000_000_000,
    ...options,
  });
  return { links, records, registry, service };
}

describe("WalletConsents (fake registry)", () => {
  it("keeps at most maxPendingTotal prepared requests in all, dropping the oldest", async () => {
    const { links, records, service } = await setUp({ maxPendingTotal: 3 });
    const users: WalletUser[] = [1, 2, 3, 4].map((i) => ({ userId: `u${i}`, patient: `Patient/p${i}` }));
    const wallets = users.map(() => Wallet.createRandom());
    const prepared = [];
    for (const [i, user] of users.entries()) {
      links.link(user.patient, wallets[i]!.address, user.userId);
      const { id } = records.put(consentFor(user.patient, "Practitioner/doc"));
      prepared.push(await service.prepareGrant(user, id));
    }
    await expect(
      service.submitGrant(users[0]!, prepared[0]!.id, await signTypedRequest(wallets[0]!, prepared[0]!.typedData)),
    ).rejects.toMatchObject({ code: "invalid" });
    const granted = await service.submitGrant(
      users[3]!,
      prepared[3]!.id,
      await signTypedRequest(wallets[3]!, prepared[3]!.typedData),
    );
    expect(granted.resource.status).toBe("active");
  });

  it("a grant's expiry is the period end, a chosen earlier one, never later, and never in the past", async () => {
    const { links, records, service } = await setUp();
    const user = { userId: "u1", patient: "Patient/p1" };
    links.link(user.patient, Wallet.createRandom().address, user.userId);
    const end = "2030-01-01T00:00:00Z";
    const endSeconds = String(Date.parse(end) / 1000);
    const { id } = records.put(consentFor(user.patient, "Practitioner/doc", { end }));
    expect((await service.prepareGrant(user, id)).typedData.message.expiresAt).toBe(endSeconds);
    expect((await service.prepareGrant(user, id, 1_850_000_000)).typedData.message.expiresAt).toBe("1850000000");
    expect((await service.prepareGrant(user, id, 4_000_000_000)).typedData.message.expiresAt).toBe(endSeconds);
    await expect(service.prepareGrant(user, id, 1_700_000_000)).rejects.toMatchObject({ code: "invalid" });
    const open = records.put(consentFor(user.patient, "Practitioner/doc"));
    expect((await service.prepareGrant(user, open.id)).typedData.message.expiresAt).toBe(String(2n ** 64n - 1n));
    const past = records.put(consentFor(user.patient, "Practitioner/doc", { end: "2020-01-01" }));
    await expect(service.prepareGrant(user, past.id)).rejects.toMatchObject({ code: "invalid" });
  });

  it("refuses an entered-in-error Consent and one without a provision", async () => {
    const { links, records, service } = await setUp();
    const user = { userId: "u1", patient: "Patient/p1" };
    links.link(user.patient, Wallet.createRandom().address, user.userId);
    const wrong = records.put(consentFor(user.patient, "Practitioner/doc", { status: "entered-in-error" }));
    await expect(service.prepareGrant(user, wrong.id)).rejects.toMatchObject({ code: "invalid" });
    const { provision: _p, ...bare } = consentFor(user.patient, "Practitioner/doc");
    const none = records.put(bare);
    await expect(service.prepareGrant(user, none.id)).rejects.toMatchObject({ code: "invalid" });
  });

  it("a request prepared for one wallet is refused after the patient links another", async () => {
    const { links, records, service } = await setUp();
    const user = { userId: "u1", patient: "Patient/p1" };
    const first = Wallet.createRandom();
    links.link(user.patient, first.address, user.userId);
    const { id } = records.put(consentFor(user.patient, "Practitioner/doc"));
    const prepared = await service.prepareGrant(user, id);
    links.link(user.patient, Wallet.createRandom().address, user.userId);
    await expect(
      service.submitGrant(user, prepared.id, await signTypedRequest(first, prepared.typedData)),
    ).rejects.toMatchObject({ code: "conflict" });
  });
});
