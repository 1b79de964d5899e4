import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, hexlify, randomBytes } from "ethers";
import { afterAll, describe, expect, it } from "vitest";
import { deployContracts } from "../../src/adapters/ledger/deployContracts.ts";
import { ANVIL_DEV_ADMIN_PRIVATE_KEY, EmbeddedChain } from "../../src/adapters/ledger/EmbeddedChain.ts";
import { GRANT_TYPES } from "../../src/consent/consentTypedData.ts";
import { ChainConsentFollower } from "../../src/consent/wallet/ChainConsentFollower.ts";
import { chainWalletConsentCheck } from "../../src/consent/wallet/chainWalletConsentCheck.ts";
import { ConsentRelay } from "../../src/consent/wallet/ConsentRelay.ts";
import { consentCommitment, withCommitment } from "../../src/consent/wallet/consentCommitment.ts";
import { consentFor } from "../../src/consent/wallet/testSupport/memoryConsentRecords.ts";
import { RELAYER_KEY } from "../../src/consent/wallet/testSupport/walletWorld.ts";
import type { Logger } from "../../src/ports/Logger.ts";

describe("ChainConsentFollower when the chain goes away", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it("stops honouring wallet-held consents once no poll has succeeded for maxStalenessMs, and says so once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fhirledger-stale-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const chain = await EmbeddedChain.start({ stateDir: dir, port: 0 });
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : chain.stop()));
    const deployed = await deployContracts({ rpcUrl: chain.rpcUrl, privateKey: ANVIL_DEV_ADMIN_PRIVATE_KEY });
    const registryAddress = deployed.consentRegistry.address;
    const warnings: string[] = [];
    const log = { warn: (m: string) => warnings.push(m), info: () => {} } as unknown as Logger;
    const follower = new ChainConsentFollower({
      rpcUrl: chain.rpcUrl,
      registryAddress,
      fromBlock: deployed.consentRegistry.blockNumber,
      pollMs: 100,
      maxStalenessMs: 700,
      log,
    });
    cleanups.push(() => follower.close());
    await follower.start();
    const relay = new ConsentRelay({ rpcUrl: chain.rpcUrl, registryAddress, privateKey: RELAYER_KEY });
    cleanups.push(() => relay.close());

    // The patient's wallet grants a Consent's commitment.
    const wallet = Wallet.createRandom();
    const address = wallet.address.toLowerCase();
    const salt = hexlify(randomBytes(32));
    const content = consentFor("Patient/mary", "Practitioner/doc", { status: "active" });
    const commitment = consentCommitment(content, salt);
    const deadline = (await relay.chainTime()) + 600n;
    const expiresAt = 2n ** 64n - 1n;
    const signature = await wallet.signTypedData(await relay.domain(), GRANT_TYPES, {
      commitment,
      expiresAt,
      patient: wallet.address,
      nonce: await relay.nonce(wallet.address),
      deadline,
    });
    await relay.grantBySig(commitment, expiresAt, wallet.address, deadline, signature);
    const check = chainWalletConsentCheck({ links: { walletOf: () => address, version: () => 0 }, chain: follower });
    const consent = withCommitment(content, commitment, salt);
    const until = Date.now() + 3000;
    while (!check.honoured(consent, address, new Date()) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(check.honoured(consent, address, new Date())).toBe(true);
    const version = check.version();

    await chain.stop();
    stopped = true;
    const staleBy = Date.now() + 5000;
    while (follower.fresh() && Date.now() < staleBy) await new Promise((r) => setTimeout(r, 50));
    expect(follower.fresh()).toBe(false);
    expect(check.honoured(consent, address, new Date())).toBe(false);
    expect(check.version()).toBeGreaterThan(version);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ConsentRegistry events failed/);
  });

  it("refuses a poll interval above 500 ms (a revocation must count within 2 s)", () => {
    expect(
      () =>
        new ChainConsentFollower({
          rpcUrl: "http://127.0.0.1:1",
          registryAddress: `0x${"11".repeat(20)}`,
          pollMs: 501,
        }),
    ).toThrow(/pollMs/);
  });
});
