import { Wallet } from "ethers";
import { describe, expect, it } from "vitest";
import { LinkChallenges } from "./LinkChallenges.ts";

const SITE = "https://ehr.example";
const wallet = Wallet.createRandom();
const other = Wallet.createRandom();

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("LinkChallenges", () => {
  it("proves an address signed with personal_sign, naming the site, account, patient and expiry", async () => {
    const challenges = new LinkChallenges();
    const c = challenges.issue("u1", "Patient/p1", wallet.address, SITE);
    expect(c.address).toBe(wallet.address.toLowerCase());
    expect(c.message).toContain(wallet.address);
    expect(c.message).toContain(`URI: ${SITE}`);
    expect(c.message).toContain("Account: u1");
    expect(c.message).toContain("Patient: Patient/p1");
    expect(c.message).toContain(`Nonce: ${c.nonce}`);
    const signature = await wallet.signMessage(c.message);
    expect(challenges.redeem("u1", c.nonce, signature)).toEqual({ address: c.address, patient: "Patient/p1" });
  });

  it("is single use, even after a failed attempt", async () => {
    const challenges = new LinkChallenges();
    const c = challenges.issue("u1", "Patient/p1", wallet.address, SITE);
    const good = await wallet.signMessage(c.message);
    expect(() => challenges.redeem("u1", c.nonce, good)).not.toThrow();
    expect(() => challenges.redeem("u1", c.nonce, good)).toThrow(/unknown or expired/);
    const d = challenges.issue("u1", "Patient/p1", wallet.address, SITE);
    expect(() => challenges.redeem("u1", d.nonce, other.signMessageSync(d.message))).toThrow(/not by that address/);
    expect(() => challenges.redeem("u1", d.nonce, wallet.signMessageSync(d.message))).toThrow(/unknown or expired/);
  });

  it("refuses another account's challenge, an expired one, a signature of another message", async () => {
    const t = clock();
    const challenges = new LinkChallenges({ now: t.now, ttlMs: 1000 });
    const a = challenges.issue("u1", "Patient/p1", wallet.address, SITE);
    expect(() => challenges.redeem("u2", a.nonce, wallet.signMessageSync(a.message))).toThrow(/unknown or expired/);
    const b = challenges.issue("u1", "Patient/p1", wallet.address, SITE);
    t.advance(1000);
    expect(() => challenges.redeem("u1", b.nonce, wallet.signMessageSync(b.message))).toThrow(/unknown or expired/);
    const c = challenges.issue("u1", "Patient/p1", wallet.address, SITE);
    expect(() => challenges.redeem("u1", c.nonce, wallet.signMessageSync(`${c.message} `))).toThrow(
      /not by that address/,
    );
  });

  it("refuses malformed input with 'invalid'", () => {
    const challenges = new LinkChallenges();
    for (const address of [undefined, 42, "", "0x1234", "x".repeat(100_000)])
      expect(() => challenges.issue("u1", "Patient/p1", address, SITE)).toThrow(
        expect.objectContaining({ code: "invalid" }),
      );
    const c = challenges.issue("u1", "Patient/p1", wallet.address, SITE);
    for (const nonce of [undefined, 1, "", "zz", c.nonce.toUpperCase(), `${c.nonce}0`])
      expect(() => challenges.redeem("u1", nonce, "0x")).toThrow(expect.objectContaining({ code: "invalid" }));
    for (const signature of [undefined, "", "0x12", `0x${"ab".repeat(66)}`, "y".repeat(100_000)]) {
      const d = challenges.issue("u1", "Patient/p1", wallet.address, SITE);
      expect(() => challenges.redeem("u1", d.nonce, signature)).toThrow(expect.objectContaining({ code: "invalid" }));
    }
    const e = challenges.issue("u1", "Patient/p1", wallet.address, SITE);
    expect(() => challenges.redeem("u1", e.nonce, `0x${"00".repeat(65)}`)).toThrow(
      expect.objectContaining({ code: "invalid" }),
    );
  });

  it("keeps at most maxPerUser per account and maxTotal in all, dropping the oldest", () => {
    const challenges = new LinkChallenges({ maxPerUser: 3, maxTotal: 5 });
    const mine = Array.from({ length: 4 }, () => challenges.issue("u1", "Patient/p1", wallet.address, SITE));
    expect(challenges.size).toBe(3);
    expect(() => challenges.redeem("u1", mine[0]!.nonce, wallet.signMessageSync(mine[0]!.message))).toThrow(
      /unknown or expired/,
    );
    expect(challenges.redeem("u1", mine[3]!.nonce, wallet.signMessageSync(mine[3]!.message)).address).toBe(
      wallet.address.toLowerCase(),
    );
    for (let i = 0; i < 20; i++) challenges.issue(`v${i}`, "Patient/p2", wallet.address, SITE);
    expect(challenges.size).toBe(5);
  });
});
