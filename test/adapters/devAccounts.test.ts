import { HDNodeWallet, Mnemonic } from "ethers";
import { describe, expect, it } from "vitest";
import {
  DEV_ACCOUNT_ADDRESSES,
  devAccountIndex,
  devKeyIndex,
  isLoopbackUrl,
  refuseDevAccountOffLoopback,
} from "../../src/adapters/ledger/devAccounts.ts";
import { ANVIL_DEV_ADMIN_PRIVATE_KEY, ANVIL_DEV_PRIVATE_KEY } from "../../src/adapters/ledger/EmbeddedChain.ts";

describe("development accounts (anvil/Hardhat defaults)", () => {
  it("are the 20 accounts of the public test mnemonic, the embedded chain's two keys among them", () => {
    const root = HDNodeWallet.fromMnemonic(
      Mnemonic.fromPhrase("test test test test test test test test test test test junk"),
      "m/44'/60'/0'/0",
    );
    expect(DEV_ACCOUNT_ADDRESSES).toEqual(Array.from({ length: 20 }, (_, i) => root.deriveChild(i).address));
    expect(devKeyIndex(ANVIL_DEV_PRIVATE_KEY)).toBe(0);
    expect(devKeyIndex(ANVIL_DEV_ADMIN_PRIVATE_KEY)).toBe(9);
    expect(devKeyIndex(ANVIL_DEV_PRIVATE_KEY.slice(2))).toBe(0);
    expect(devKeyIndex(`0x${"11".repeat(32)}`)).toBe(-1);
    expect(devKeyIndex("not a key")).toBe(-1);
    expect(devAccountIndex("0x8626f6940e2eb28930efb4cef49b2d1f2c9c1199")).toBe(19);
    expect(devAccountIndex("0x0000000000000000000000000000000000000001")).toBe(-1);
  });

  it("tells loopback endpoints from the rest", () => {
    for (const url of ["http://127.0.0.1:8545", "http://127.1.2.3", "http://localhost:8545/rpc", "http://[::1]:8545"])
      expect(isLoopbackUrl(url), url).toBe(true);
    for (const url of [
      "https://rpc.example.com",
      "http://10.0.0.5:8545",
      "http://0.0.0.0:8545",
      "http://127.0.0.1.example.com",
      "http://[::ffff:7f00:1]:8545",
      "not a url",
    ])
      expect(isLoopbackUrl(url), url).toBe(false);
  });

  it("are refused off loopback only, naming the account and never the key or the URL's secrets", () => {
    expect(() =>
      refuseDevAccountOffLoopback("http://127.0.0.1:8545", { privateKey: ANVIL_DEV_PRIVATE_KEY, role: "anchoring" }),
    ).not.toThrow();
    expect(() =>
      refuseDevAccountOffLoopback("https://rpc.example.com", { privateKey: `0x${"11".repeat(32)}`, role: "anchoring" }),
    ).not.toThrow();
    let message = "";
    try {
      refuseDevAccountOffLoopback("https://user:pw@rpc.example.com/v3/KEY", {
        privateKey: ANVIL_DEV_PRIVATE_KEY,
        role: "anchoring",
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^the anchoring key is anvil\/Hardhat development account #0 /);
    expect(message).not.toContain(ANVIL_DEV_PRIVATE_KEY.slice(2, 20));
    expect(message).not.toMatch(/KEY|pw/);
  });
});
