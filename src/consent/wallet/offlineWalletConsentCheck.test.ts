import { describe, expect, it } from "vitest";
import { offlineWalletConsentCheck } from "./offlineWalletConsentCheck.ts";
import { openWalletLinks } from "./WalletLinks.ts";

describe("offlineWalletConsentCheck", () => {
  it("keeps linked patients linked and honours none of their consents", () => {
    const links = openWalletLinks(":memory:");
    const check = offlineWalletConsentCheck(links);
    expect(check.walletOf("Patient/p1")).toBeUndefined();
    const before = check.version();
    links.link("Patient/p1", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "u1");
    expect(check.version()).toBeGreaterThan(before);
    expect(check.walletOf("Patient/p1")).toBe("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
    expect(check.honoured({ resourceType: "Consent", status: "active" }, "0x7099", new Date())).toBe(false);
    links.close();
  });
});
