import { Contract, JsonRpcProvider, Wallet, hexlify, randomBytes } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertChainPrivacy } from "../support/chainPrivacy.ts";
import { ChainConsentFollower } from "../../src/consent/wallet/ChainConsentFollower.ts";
import { consentCommitment, withCommitment } from "../../src/consent/wallet/consentCommitment.ts";
import { loadContractArtifact } from "../../src/adapters/ledger/artifacts.ts";
import { REVOKE_TYPES, patientCommitment } from "../../src/consent/consentTypedData.ts";
import type { WalletUser } from "../../src/consent/wallet/WalletConsents.ts";
import { consentFor } from "../../src/consent/wallet/testSupport/memoryConsentRecords.ts";
import {
  STRANGER_KEY,
  type WalletWorld,
  signTypedRequest,
  startWalletWorld,
} from "../../src/consent/wallet/testSupport/walletWorld.ts";

const PATIENT: WalletUser = { userId: "u-mary", patient: "Patient/mary" };
const SITE = "http://127.0.0.1:1";
const NO_END = 2n ** 64n - 1n;

describe("wallet-held consents on a real anvil", () => {
  let w: WalletWorld;
  const patientWallet = Wallet.createRandom();
  let address: string;

  beforeAll(async () => {
    w = await startWalletWorld();
    const challenge = w.service.linkChallenge(PATIENT, patientWallet.address, SITE);
    address = await w.service.link(PATIENT, challenge.nonce, await patientWallet.signMessage(challenge.message));
  });
  afterAll(async () => {
    await w?.close();
  });

  /** A new proposed Consent, granted through the wallet flow; returns its id and stored resource. */
  async function grantNew(options: { expiresAt?: bigint; end?: string } = {}) {
    const { id } = w.records.put(
      consentFor(PATIENT.patient, "Practitioner/doc", options.end ? { end: options.end } : {}),
    );
    const prepared = await w.service.prepareGrant(
      PATIENT,
      id,
      options.expiresAt === undefined ? undefined : Number(options.expiresAt),
    );
    const signed = await w.service.submitGrant(
      PATIENT,
      prepared.id,
      await signTypedRequest(patientWallet, prepared.typedData),
    );
    return signed;
  }

  const honoured = async (id: string, now = new Date()) => {
    const c = await w.records.get(PATIENT, id);
    return w.check.honoured(c!.resource, address, now);
  };

  it("links the wallet that signed the challenge", () => {
    expect(address).toBe(patientWallet.address.toLowerCase());
    expect(w.check.walletOf(PATIENT.patient)).toBe(address);
    expect(w.events.map((e) => e.type)).toContain("wallet-linked");
  });

  it("grants with the wallet's signature: the Consent is active, carries its commitment, and counts", async () => {
    const granted = await grantNew();
    expect(granted.resource.status).toBe("active");
    expect(await honoured(granted.id)).toBe(true);
    const overview = await w.service.overview(PATIENT);
    expect(overview.wallet).toBe(address);
    expect(overview.consents.find((c) => c.id === granted.id)).toMatchObject({ walletHeld: true, honoured: true });
    expect(w.events.at(-1)).toMatchObject({ type: "consent-granted", consent: `Consent/${granted.id}` });
  });

  it("refuses to grant again a Consent the wallet's grant still holds (revoke first)", async () => {
    const granted = await grantNew();
    await expect(w.service.prepareGrant(PATIENT, granted.id)).rejects.toMatchObject({ code: "conflict" });
  });

  it("the operator cannot forge one: an active Consent it writes, with or without a copied commitment, does not count", async () => {
    const plain = w.records.put(consentFor(PATIENT.patient, "Practitioner/evil", { status: "active" }));
    expect(await honoured(plain.id)).toBe(false);
    // It copies the salt and commitment of a real grant onto its own Consent.
    const real = await grantNew();
    const copied = w.records.put(
      withCommitment(
        consentFor(PATIENT.patient, "Practitioner/evil", { status: "active" }),
        (real.resource.extension as { valueString: string }[])[0]!.valueString,
        (real.resource.extension as { valueString: string }[])[1]!.valueString,
      ),
    );
    expect(await honoured(copied.id)).toBe(false);
  });

  it("the operator cannot forge one with its own grant(): controller zero never counts, under either key", async () => {
    const salt = hexlify(randomBytes(32));
    const content = consentFor(PATIENT.patient, "Practitioner/evil", { status: "active" });
    const commitment = consentCommitment(content, salt);
    const forged = w.records.put(withCommitment(content, commitment, salt));
    const key = patientCommitment(commitment, address);
    await (await w.operatorRegistry.getFunction("grant")(key, NO_END)).wait();
    await (await w.operatorRegistry.getFunction("grant")(commitment, NO_END)).wait();
    await waitFor(() => w.follower.consent(key) !== undefined && w.follower.consent(commitment) !== undefined);
    expect(w.follower.consent(key)?.controller).toBe(`0x${"00".repeat(20)}`);
    expect(await honoured(forged.id)).toBe(false);
  });

  it("the operator cannot alter one: a change after signing breaks the commitment", async () => {
    const granted = await grantNew();
    const altered = structuredClone(granted.resource);
    (altered.provision as { actor: { reference: { reference: string } }[] }).actor[0]!.reference.reference =
      "Practitioner/evil";
    w.records.put(altered);
    expect(await honoured(granted.id)).toBe(false);
  });

  it("the operator cannot extend one: a later period end breaks the commitment, and the chain's expiry caps it anyway", async () => {
    const chainNow = await w.relay.chainTime();
    const granted = await grantNew({ end: "2099-01-01T00:00:00Z", expiresAt: chainNow + 3600n });
    expect(w.follower.consent(patientCommitment(commitmentOf(granted.resource), address))?.expiresAt).toBe(
      chainNow + 3600n,
    );
    expect(await honoured(granted.id)).toBe(true);
    // Past the wallet's chosen expiry, the period end (2099) does not keep it alive.
    expect(await honoured(granted.id, new Date(Number(chainNow + 3600n) * 1000))).toBe(false);
    const extended = structuredClone(granted.resource);
    (extended.provision as { period: { end: string } }).period.end = "2199-01-01T00:00:00Z";
    w.records.put(extended);
    expect(await honoured(granted.id)).toBe(false);
  });

  it("a chosen expiry past the period end is capped to the period end", async () => {
    const granted = await grantNew({ end: "2090-01-01T00:00:00Z", expiresAt: 4_000_000_000n });
    const key = patientCommitment(commitmentOf(granted.resource), address);
    expect(w.follower.consent(key)?.expiresAt).toBe(BigInt(Date.parse("2090-01-01T00:00:00Z") / 1000));
  });

  it("a revocation sent straight to the chain by anyone holding the patient's signature counts within 2 s", async () => {
    const granted = await grantNew();
    expect(await honoured(granted.id)).toBe(true);
    const key = patientCommitment(commitmentOf(granted.resource), address);
    const provider = new JsonRpcProvider(w.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const registry = new Contract(
        w.registryAddress,
        loadContractArtifact("ConsentRegistry").abi,
        new Wallet(STRANGER_KEY, provider),
      );
      const domain = await w.relay.domain();
      const deadline = (await w.relay.chainTime()) + 600n;
      const nonce = (await registry.getFunction("nonces")(address)) as bigint;
      const signature = await patientWallet.signTypedData(domain, REVOKE_TYPES, {
        commitment: key,
        patient: address,
        nonce,
        deadline,
      });
      const versionBefore = w.check.version();
      const receipt = await (await registry.getFunction("revokeBySig")(key, address, deadline, signature)).wait();
      const mined = Date.now();
      expect(receipt?.status).toBe(1);
      await waitFor(async () => !(await honoured(granted.id)), 2000);
      expect(Date.now() - mined).toBeLessThan(2000);
      expect(w.check.version()).toBeGreaterThan(versionBefore);
    } finally {
      provider.destroy();
    }
    // The page says so: the consent is wallet-held but no longer on chain.
    const summary = (await w.service.overview(PATIENT)).consents.find((c) => c.id === granted.id);
    expect(summary).toMatchObject({ walletHeld: true, honoured: false });
    expect(summary?.chainExpiresAt).toBeUndefined();
  });

  it("revokes through the page flow: relayed revokeBySig, Consent inactive, no longer counted", async () => {
    const granted = await grantNew();
    const prepared = await w.service.prepareRevoke(PATIENT, granted.id);
    expect(prepared.typedData.primaryType).toBe("Revoke");
    const revoked = await w.service.submitRevoke(
      PATIENT,
      prepared.id,
      await signTypedRequest(patientWallet, prepared.typedData),
    );
    expect(revoked.resource.status).toBe("inactive");
    expect(w.follower.consent(patientCommitment(commitmentOf(granted.resource), address))).toBeUndefined();
    expect(await honoured(granted.id)).toBe(false);
    expect(w.events.at(-1)).toMatchObject({ type: "consent-revoked", consent: `Consent/${granted.id}` });
    await expect(w.service.prepareRevoke(PATIENT, granted.id)).rejects.toMatchObject({ code: "invalid" });
  });

  it("refuses a signature by another wallet, a replayed request, and a Consent changed since the request", async () => {
    const { id } = w.records.put(consentFor(PATIENT.patient, "Practitioner/doc"));
    const a = await w.service.prepareGrant(PATIENT, id);
    await expect(
      w.service.submitGrant(PATIENT, a.id, await signTypedRequest(Wallet.createRandom(), a.typedData)),
    ).rejects.toMatchObject({ code: "invalid", message: expect.stringMatching(/linked wallet/) });
    // That request was used up by the failed attempt.
    await expect(
      w.service.submitGrant(PATIENT, a.id, await signTypedRequest(patientWallet, a.typedData)),
    ).rejects.toMatchObject({ code: "invalid" });
    const b = await w.service.prepareGrant(PATIENT, id);
    w.records.put({ ...(await w.records.get(PATIENT, id))!.resource, status: "draft" });
    await expect(
      w.service.submitGrant(PATIENT, b.id, await signTypedRequest(patientWallet, b.typedData)),
    ).rejects.toMatchObject({ code: "conflict" });
    // Another account may not use this patient's request, nor reach another patient's Consent.
    const c = await w.service.prepareGrant(PATIENT, id);
    await expect(
      w.service.submitGrant(
        { userId: "u-other", patient: PATIENT.patient },
        c.id,
        await signTypedRequest(patientWallet, c.typedData),
      ),
    ).rejects.toMatchObject({ code: "invalid" });
    const research = w.records.put({
      ...consentFor(PATIENT.patient, "Practitioner/doc"),
      scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "research" }] },
    });
    await expect(w.service.prepareGrant(PATIENT, research.id)).rejects.toMatchObject({ code: "invalid" });
    const foreign = w.records.put(consentFor("Patient/other", "Practitioner/doc"));
    await expect(w.service.prepareGrant(PATIENT, foreign.id)).rejects.toMatchObject({ code: "not-found" });
    for (const bad of [undefined, 1, "", "../x", "x".repeat(65)])
      await expect(w.service.prepareGrant(PATIENT, bad)).rejects.toMatchObject({ code: "invalid" });
    for (const bad of ["soon", -1, 1.5, 1])
      await expect(w.service.prepareGrant(PATIENT, id, bad)).rejects.toMatchObject({ code: "invalid" });
  });

  it("keeps at most 5 prepared requests per account", async () => {
    const { id } = w.records.put(consentFor(PATIENT.patient, "Practitioner/doc"));
    const prepared = [];
    for (let i = 0; i < 6; i++) prepared.push(await w.service.prepareGrant(PATIENT, id));
    await expect(
      w.service.submitGrant(PATIENT, prepared[0]!.id, await signTypedRequest(patientWallet, prepared[0]!.typedData)),
    ).rejects.toMatchObject({ code: "invalid" });
    const last = prepared.at(-1)!;
    const granted = await w.service.submitGrant(
      PATIENT,
      last.id,
      await signTypedRequest(patientWallet, last.typedData),
    );
    expect(granted.resource.status).toBe("active");
  });

  it("a follower started later from the deployment block rebuilds the same state", async () => {
    const granted = await grantNew();
    const key = patientCommitment(commitmentOf(granted.resource), address);
    const late = new ChainConsentFollower({
      rpcUrl: w.rpcUrl,
      registryAddress: w.registryAddress,
      fromBlock: w.deployBlock,
      maxBlockRange: 3,
    });
    try {
      expect(late.fresh()).toBe(false);
      await late.start();
      expect(late.fresh()).toBe(true);
      expect(late.consent(key)).toEqual(w.follower.consent(key));
    } finally {
      await late.close();
    }
  });

  it("bumps its version when a grant's chain expiry passes, so a decision built before it looks again", async () => {
    const chainNow = await w.relay.chainTime();
    const granted = await grantNew({ expiresAt: chainNow + 1000n });
    const key = patientCommitment(commitmentOf(granted.resource), address);
    let now = Date.now();
    const follower = new ChainConsentFollower({
      rpcUrl: w.rpcUrl,
      registryAddress: w.registryAddress,
      fromBlock: w.deployBlock,
      now: () => now,
      // The test moves the clock by minutes; the follower must not turn stale meanwhile.
      maxStalenessMs: 1e12,
    });
    try {
      await follower.start();
      expect(follower.consent(key)?.expiresAt).toBe(chainNow + 1000n);
      const before = follower.version();
      expect(follower.version()).toBe(before);
      now = Number(chainNow + 999n) * 1000;
      expect(follower.version()).toBe(before);
      now = Number(chainNow + 1000n) * 1000;
      expect(follower.version()).toBe(before + 1);
      expect(follower.version()).toBe(before + 1);
    } finally {
      await follower.close();
    }
  });

  it("puts nothing on chain that names the patient, the practitioner, the account, a Consent or a salt", async () => {
    const consents = await w.records.list(PATIENT, 200);
    const salts = consents
      .map((c) => (c.resource.extension as { url: string; valueString: string }[] | undefined)?.[1]?.valueString)
      .filter((x): x is string => x !== undefined);
    expect(salts.length).toBeGreaterThan(5);
    const { transactions, logs } = await assertChainPrivacy(w.rpcUrl, {
      strings: [
        "Patient/mary",
        "mary",
        "Practitioner/doc",
        PATIENT.userId,
        "patient-privacy",
        ...consents.map((c) => c.id),
      ],
      cids: [],
    });
    expect(transactions).toBeGreaterThan(10);
    expect(logs).toBeGreaterThan(10);
    // The salts, as bytes: the chain holds only keccak256(salt ‖ content).
    const provider = new JsonRpcProvider(w.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const latest = await provider.getBlockNumber();
      for (let n = 0; n <= latest; n++)
        for (const tx of (await provider.getBlock(n, true))?.prefetchedTransactions ?? [])
          for (const salt of salts) expect(tx.data.toLowerCase()).not.toContain(salt.slice(2).toLowerCase());
    } finally {
      provider.destroy();
    }
  });

  it("unlinking bumps the version: which consents count changes", async () => {
    const before = w.check.version();
    await w.service.unlink(PATIENT);
    expect(w.check.walletOf(PATIENT.patient)).toBeUndefined();
    expect(w.check.version()).toBeGreaterThan(before);
    await expect(w.service.unlink(PATIENT)).rejects.toMatchObject({ code: "not-found" });
    await expect(w.service.prepareGrant(PATIENT, "c1")).rejects.toMatchObject({ code: "invalid" });
  });
});

function commitmentOf(consent: Record<string, unknown>): string {
  return (consent.extension as { url: string; valueString: string }[]).find(
    (e) => e.url === "urn:fhirledger:consent-commitment",
  )!.valueString;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}
