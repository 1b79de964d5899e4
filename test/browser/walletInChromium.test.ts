import { Wallet, getBytes } from "ethers";
import type { HDNodeWallet, TypedDataField } from "ethers";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { consentFor } from "../../src/consent/wallet/testSupport/memoryConsentRecords.ts";
import { type WalletPageServer, startWalletPageServer } from "../../src/consent/wallet/testSupport/walletPageServer.ts";
import { type WalletWorld, startWalletWorld } from "../../src/consent/wallet/testSupport/walletWorld.ts";
import {
  PHONE,
  accessibilityProblems,
  describeInBrowser,
  launchChromium,
  lowContrastText,
  screenshot,
  scrollWidth,
} from "./support/browserHarness.ts";

const MARY = { userId: "u-mary", patient: "Patient/mary" };

/**
 * An EIP-1193 provider injected into the page (as MetaMask and the like inject window.ethereum),
 * whose every request is answered in Node by a local ethers Wallet through page.exposeFunction.
 */
async function injectWallet(page: Page, wallet: Wallet | HDNodeWallet, log: string[]): Promise<void> {
  // Starts on Ethereum mainnet, as a wallet often does: the page asks to switch to the registry's chain (anvil, 31337).
  let chainId = "0x1";
  await page.exposeFunction("__fhirledgerTestWallet", async (method: string, paramsJson: string) => {
    const params = JSON.parse(paramsJson) as unknown[];
    log.push(method);
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return JSON.stringify([wallet.address]);
      case "eth_chainId":
        return JSON.stringify(chainId);
      case "wallet_switchEthereumChain":
        chainId = String((params[0] as { chainId: string }).chainId);
        return JSON.stringify(null);
      case "personal_sign": {
        if (String(params[1]).toLowerCase() !== wallet.address.toLowerCase()) throw new Error("unknown account");
        return JSON.stringify(await wallet.signMessage(getBytes(String(params[0]))));
      }
      case "eth_signTypedData_v4": {
        if (String(params[0]).toLowerCase() !== wallet.address.toLowerCase()) throw new Error("unknown account");
        const typed = JSON.parse(String(params[1])) as {
          domain: Record<string, unknown>;
          types: Record<string, TypedDataField[]>;
          message: Record<string, unknown>;
        };
        const { EIP712Domain: _domain, ...types } = typed.types;
        return JSON.stringify(await wallet.signTypedData(typed.domain, types, typed.message));
      }
      default:
        throw new Error(`unsupported method ${method}`);
    }
  });
  await page.addInitScript(() => {
    const bridge = (window as unknown as { __fhirledgerTestWallet: (m: string, p: string) => Promise<string> })
      .__fhirledgerTestWallet;
    (window as unknown as { ethereum: unknown }).ethereum = {
      isMetaMask: false,
      async request(args: { method: string; params?: unknown[] }) {
        return JSON.parse(await bridge(args.method, JSON.stringify(args.params ?? [])));
      },
      on() {},
      removeListener() {},
    };
  });
}

describeInBrowser("the wallet page in Chromium with an injected EIP-1193 wallet", () => {
  let browser: Browser;
  let w: WalletWorld;
  let s: WalletPageServer;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [browser, w] = await Promise.all([launchChromium(), startWalletWorld()]);
    s = await startWalletPageServer(w.service);
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await s?.close();
    await w?.close();
  });

  async function patientPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    await context.addCookies([{ name: "fhirledger-session", value: s.sessionFor(s.patientId), url: s.base }]);
    return context.newPage();
  }

  const status = (page: Page) => page.locator("#wallet-status");
  const row = (page: Page, id: string) => page.locator(`tr[data-consent-row="${id}"]`);

  it("links the wallet, grants a proposed consent and revokes it, each with the wallet's signature", async () => {
    const wallet = Wallet.createRandom();
    const calls: string[] = [];
    const page = await patientPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // Every answer the page got but the browser's own favicon request (the wallet routes serve none).
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(`${r.status()} ${r.url()}`);
    });
    await injectWallet(page, wallet, calls);
    const { id } = w.records.put(consentFor("Patient/mary", "Practitioner/doc"));

    await page.goto(`${s.base}/wallet`);
    await page.getByRole("button", { name: "Link a wallet" }).click();
    await expect.poll(() => status(page).textContent()).toBe("Your wallet is linked.");
    await expect.poll(() => page.locator("main").textContent()).toContain(wallet.address.toLowerCase());
    expect(w.check.walletOf("Patient/mary")).toBe(wallet.address.toLowerCase());
    expect(await row(page, id).textContent()).toContain("does not count while a wallet is linked");

    await page.getByRole("button", { name: `Grant with wallet consent ${id}` }).click();
    await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toBe("Consent granted with your wallet.");
    expect(await row(page, id).textContent()).toContain("held by your wallet");
    expect(await row(page, id).textContent()).toContain("active");
    const granted = (await w.records.get(MARY, id))!.resource;
    expect(w.check.honoured(granted, wallet.address, new Date())).toBe(true);

    await page.getByRole("button", { name: `Revoke with wallet consent ${id}` }).click();
    await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toBe("Consent revoked with your wallet.");
    expect(await row(page, id).textContent()).toContain("inactive");
    expect(await row(page, id).textContent()).toContain("revoked or not granted on chain");
    expect(w.check.honoured((await w.records.get(MARY, id))!.resource, wallet.address, new Date())).toBe(false);

    expect(calls).toEqual(
      expect.arrayContaining([
        "eth_requestAccounts",
        "personal_sign",
        "wallet_switchEthereumChain",
        "eth_signTypedData_v4",
      ]),
    );
    expect(errors).toEqual([]);
  });

  it("is accessible and fits a phone, linked with consents listed", async () => {
    const wallet = Wallet.createRandom();
    const page = await patientPage();
    await page.setViewportSize(PHONE);
    await injectWallet(page, wallet, []);
    w.records.put(consentFor("Patient/mary", "Practitioner/doc", { end: "2030-01-01" }));
    await page.goto(`${s.base}/wallet`);
    if (await page.getByRole("button", { name: "Unlink the wallet" }).isVisible()) {
      await page.getByRole("button", { name: "Unlink the wallet" }).click();
      await expect.poll(() => status(page).textContent()).toBe("Your wallet is unlinked.");
    }
    await page.getByRole("button", { name: "Link a wallet" }).click();
    await expect.poll(() => status(page).textContent()).toBe("Your wallet is linked.");
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(await lowContrastText(page)).toEqual([]);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, "wallet", "phone");
  });

  it("tells a browser without a wallet what to install, and does nothing", async () => {
    await w.links.unlink("Patient/mary");
    const page = await patientPage();
    await page.goto(`${s.base}/wallet`);
    await page.getByRole("button", { name: "Link a wallet" }).click();
    await expect.poll(() => status(page).textContent()).toMatch(/No Ethereum wallet was found/);
    expect(w.check.walletOf("Patient/mary")).toBeUndefined();
  });
});
