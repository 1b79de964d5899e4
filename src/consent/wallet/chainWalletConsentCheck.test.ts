import { Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { patientCommitment } from "../consentTypedData.ts";
import type { ChainConsent } from "./ChainConsentFollower.ts";
import { chainWalletConsentCheck } from "./chainWalletConsentCheck.ts";
import { consentCommitment, withCommitment } from "./consentCommitment.ts";

const WALLET = Wallet.createRandom().address.toLowerCase();
const SALT = `0x${"42".repeat(32)}`;
const NOW = new Date("2026-06-01T00:00:00Z");
const seconds = (iso: string) => BigInt(Date.parse(iso) / 1000);

function signedConsent(end = "2026-12-31T00:00:00Z") {
  const content: Record<string, unknown> = {
    resourceType: "Consent",
    status: "active",
    scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
    patient: { reference: "Patient/p1" },
    provision: { type: "permit", period: { end }, actor: [{ reference: { reference: "Practitioner/d1" } }] },
  };
  const commitment = consentCommitment(content, SALT);
  return { consent: withCommitment({ ...content, id: "c1" }, commitment, SALT), commitment };
}

/** A chain view the test sets by hand. */
function fakeChain() {
  const map = new Map<string, ChainConsent>();
  let fresh = true;
  let version = 0;
  return {
    view: {
      consent: (key: string) => map.get(key.toLowerCase()),
      fresh: () => fresh,
      version: () => version,
    },
    grant(key: string, expiresAt: bigint, controller: string) {
      map.set(key.toLowerCase(), { expiresAt, controller: controller.toLowerCase() });
      version++;
    },
    revoke(key: string) {
      map.delete(key.toLowerCase());
      version++;
    },
    setFresh(value: boolean) {
      fresh = value;
    },
  };
}

const links = (wallet: string | undefined) => ({ walletOf: () => wallet, version: () => 0 });

describe("chainWalletConsentCheck", () => {
  it("honours a consent whose commitment the wallet granted on chain, until the earlier of both ends", () => {
    const chain = fakeChain();
    const check = chainWalletConsentCheck({ links: links(WALLET), chain: chain.view });
    const { consent, commitment } = signedConsent();
    expect(check.honoured(consent, WALLET, NOW)).toBe(false);
    chain.grant(patientCommitment(commitment, WALLET), seconds("2026-09-01T00:00:00Z"), WALLET);
    expect(check.honoured(consent, WALLET, NOW)).toBe(true);
    expect(check.honoured(consent, WALLET.toUpperCase().replace("0X", "0x"), NOW)).toBe(true);
    // The chain's expiry comes first here: after it, no longer honoured though the period runs on.
    expect(check.honoured(consent, WALLET, new Date("2026-09-01T00:00:00Z"))).toBe(false);
    // A period that ends first ends it too.
    const short = signedConsent("2026-07-01T00:00:00Z");
    chain.grant(patientCommitment(short.commitment, WALLET), seconds("2027-01-01T00:00:00Z"), WALLET);
    expect(check.honoured(short.consent, WALLET, NOW)).toBe(true);
    expect(check.honoured(short.consent, WALLET, new Date("2026-07-01T00:00:00Z"))).toBe(false);
  });

  it("does not honour an operator's grant (controller zero), of the key or of the bare commitment", () => {
    const chain = fakeChain();
    const check = chainWalletConsentCheck({ links: links(WALLET), chain: chain.view });
    const { consent, commitment } = signedConsent();
    chain.grant(commitment, seconds("2027-01-01T00:00:00Z"), `0x${"00".repeat(20)}`);
    chain.grant(patientCommitment(commitment, WALLET), seconds("2027-01-01T00:00:00Z"), `0x${"00".repeat(20)}`);
    expect(check.honoured(consent, WALLET, NOW)).toBe(false);
  });

  it("does not honour another wallet's grant of the same commitment", () => {
    const chain = fakeChain();
    const check = chainWalletConsentCheck({ links: links(WALLET), chain: chain.view });
    const { consent, commitment } = signedConsent();
    const thief = Wallet.createRandom().address.toLowerCase();
    chain.grant(patientCommitment(commitment, thief), seconds("2027-01-01T00:00:00Z"), thief);
    expect(check.honoured(consent, WALLET, NOW)).toBe(false);
  });

  it("does not honour a consent altered or extended after signing, nor one without its extensions", () => {
    const chain = fakeChain();
    const check = chainWalletConsentCheck({ links: links(WALLET), chain: chain.view });
    const { consent, commitment } = signedConsent();
    chain.grant(patientCommitment(commitment, WALLET), seconds("2027-01-01T00:00:00Z"), WALLET);
    const extended = structuredClone(consent);
    (extended.provision as { period: { end: string } }).period.end = "2030-01-01T00:00:00Z";
    const widened = structuredClone(consent);
    delete (widened.provision as { actor?: unknown }).actor;
    const bare = structuredClone(consent);
    delete bare.extension;
    for (const c of [extended, widened, bare]) expect(check.honoured(c, WALLET, NOW)).toBe(false);
    // Status, meta and text are not part of the commitment.
    expect(check.honoured({ ...consent, meta: { versionId: "7" }, status: "active" }, WALLET, NOW)).toBe(true);
  });

  it("stops honouring on revocation, and while the chain view is stale", () => {
    const chain = fakeChain();
    const check = chainWalletConsentCheck({ links: links(WALLET), chain: chain.view });
    const { consent, commitment } = signedConsent();
    const key = patientCommitment(commitment, WALLET);
    chain.grant(key, seconds("2027-01-01T00:00:00Z"), WALLET);
    chain.setFresh(false);
    expect(check.honoured(consent, WALLET, NOW)).toBe(false);
    chain.setFresh(true);
    expect(check.honoured(structuredClone(consent), WALLET, NOW)).toBe(true);
    const before = check.version();
    chain.revoke(key);
    expect(check.version()).toBeGreaterThan(before);
    expect(check.honoured(consent, WALLET, NOW)).toBe(false);
  });

  it("fails closed on an unreadable period end, and passes walletOf through", () => {
    const chain = fakeChain();
    const check = chainWalletConsentCheck({ links: links(WALLET), chain: chain.view });
    const { consent, commitment } = signedConsent("not a date");
    chain.grant(patientCommitment(commitment, WALLET), seconds("2027-01-01T00:00:00Z"), WALLET);
    expect(check.honoured(consent, WALLET, NOW)).toBe(false);
    expect(check.walletOf("Patient/p1")).toBe(WALLET);
  });
});
