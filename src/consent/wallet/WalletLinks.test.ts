import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openWalletLinks } from "./WalletLinks.ts";

const ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("WalletLinks", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("links, answers walletOf in lower case, replaces, unlinks, and bumps its version each time", () => {
    const links = openWalletLinks(":memory:");
    expect(links.walletOf("Patient/p1")).toBeUndefined();
    const v0 = links.version();
    links.link("Patient/p1", ADDRESS, "u1");
    expect(links.walletOf("Patient/p1")).toBe(ADDRESS.toLowerCase());
    expect(links.version()).toBeGreaterThan(v0);
    const v1 = links.version();
    links.link("Patient/p1", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "u1");
    expect(links.walletOf("Patient/p1")).toBe("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc");
    expect(links.version()).toBeGreaterThan(v1);
    const v2 = links.version();
    expect(links.unlink("Patient/p1")).toBe(true);
    expect(links.walletOf("Patient/p1")).toBeUndefined();
    expect(links.version()).toBeGreaterThan(v2);
    expect(links.unlink("Patient/p1")).toBe(false);
    links.close();
  });

  it("refuses what is not an address or not a patient reference", () => {
    const links = openWalletLinks(":memory:");
    for (const bad of ["", "0x1234", "0xZZ97970C51812dc3A010C7d01b50e0d17dc79C8", "x".repeat(10_000)])
      expect(() => links.link("Patient/p1", bad, "u1")).toThrow(/address/);
    // A mixed-case address with a wrong checksum is a typo, not an address.
    expect(() => links.link("Patient/p1", "0x70997970c51812dc3A010C7d01b50e0d17dc79C8", "u1")).toThrow(/address/);
    for (const bad of ["Practitioner/x", "Patient/", `Patient/${"a".repeat(65)}`, "Patient/a/b"])
      expect(() => links.link(bad, ADDRESS, "u1")).toThrow(/patient/);
    expect(links.walletOf("Patient/p1")).toBeUndefined();
    links.close();
  });

  it("survives a reopen of the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wallet-links-"));
    dirs.push(dir);
    const path = join(dir, "accounts.sqlite");
    const first = openWalletLinks(path);
    first.link("Patient/p1", ADDRESS, "u1");
    first.close();
    const second = openWalletLinks(path);
    expect(second.get("Patient/p1")).toMatchObject({ address: ADDRESS.toLowerCase(), userId: "u1" });
    second.close();
  });
});
