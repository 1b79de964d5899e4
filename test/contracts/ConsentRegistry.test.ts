import { beforeEach, describe, expect, it } from "vitest";
import { network } from "hardhat";
import type { Signer, TypedDataDomain } from "ethers";
import {
  IACCESS_CONTROL_ID,
  IERC165_ID,
  deploy,
  eventsOf,
  expectRevert,
  gasUsed,
  interfaceId,
  latestTimestamp,
  setNextBlockTimestamp,
} from "./helpers.ts";
import type { Deployed } from "./helpers.ts";
import { GRANT_TYPES, REVOKE_TYPES, consentDomain, patientCommitment } from "../../src/consent/consentTypedData.ts";

const { ethers } = await network.connect();
const [admin, operator, patient, relayer, stranger] = await ethers.getSigners();
const OPERATOR_ROLE = ethers.id("OPERATOR_ROLE");
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const NO_END = 2n ** 64n - 1n;
const Status = { None: 0n, Active: 1n, Expired: 2n } as const;

const rand32 = (): string => ethers.hexlify(ethers.randomBytes(32));

describe("ConsentRegistry", () => {
  let registry: Deployed;
  let domain: TypedDataDomain;
  let address: string;

  beforeEach(async () => {
    registry = await deploy(ethers, "ConsentRegistry", [admin!.address, operator!.address]);
    address = await registry.getAddress();
    const { chainId } = await ethers.provider.getNetwork();
    domain = consentDomain(chainId, address);
  });

  async function deadlineIn(seconds: bigint): Promise<bigint> {
    return (await latestTimestamp(ethers.provider)) + seconds;
  }

  async function signGrant(
    signer: Signer,
    v: { commitment: string; expiresAt: bigint; patient: string; nonce?: bigint; deadline: bigint },
    d: TypedDataDomain = domain,
  ): Promise<string> {
    const nonce = v.nonce ?? (await registry.nonces(v.patient));
    return signer.signTypedData(d, GRANT_TYPES, { ...v, nonce });
  }

  async function signRevoke(
    signer: Signer,
    v: { commitment: string; patient: string; nonce?: bigint; deadline: bigint },
  ): Promise<string> {
    const nonce = v.nonce ?? (await registry.nonces(v.patient));
    return signer.signTypedData(domain, REVOKE_TYPES, { ...v, nonce });
  }

  /** Grants a fresh commitment on the patient's signature, relayed by `relayer`; returns the key it is recorded under. */
  async function grantByPatient(expiresAt = NO_END): Promise<string> {
    const commitment = rand32();
    const deadline = await deadlineIn(3600n);
    const sig = await signGrant(patient!, { commitment, expiresAt, patient: patient!.address, deadline });
    await (await registry.connect(relayer!).grantBySig(commitment, expiresAt, patient!.address, deadline, sig)).wait();
    return patientCommitment(commitment, patient!.address);
  }

  describe("constructor and metadata", () => {
    it("grants the admin and operator roles, and nothing else", async () => {
      expect(await registry.OPERATOR_ROLE()).toBe(OPERATOR_ROLE);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, admin!.address)).toBe(true);
      expect(await registry.hasRole(OPERATOR_ROLE, operator!.address)).toBe(true);
      expect(await registry.hasRole(OPERATOR_ROLE, admin!.address)).toBe(false);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, operator!.address)).toBe(false);
    });

    it("publishes its EIP-712 domain and type hashes", async () => {
      expect(await registry.DOMAIN_SEPARATOR()).toBe(ethers.TypedDataEncoder.hashDomain(domain));
      const d = await registry.eip712Domain();
      expect([d.name, d.version, d.chainId, d.verifyingContract]).toEqual([
        domain.name,
        domain.version,
        domain.chainId,
        address,
      ]);
      expect(await registry.GRANT_TYPEHASH()).toBe(
        ethers.id(ethers.TypedDataEncoder.from(GRANT_TYPES).encodeType("Grant")),
      );
      expect(await registry.REVOKE_TYPEHASH()).toBe(
        ethers.id(ethers.TypedDataEncoder.from(REVOKE_TYPES).encodeType("Revoke")),
      );
    });
  });

  describe("grant", () => {
    it("records an active commitment with no controller and emits ConsentGranted", async () => {
      const commitment = rand32();
      const expiresAt = (await deadlineIn(86_400n)) as bigint;
      const events = await eventsOf(registry, registry.connect(operator!).grant(commitment, expiresAt));
      expect(events.map((e) => [e.name, e.args])).toEqual([
        ["ConsentGranted", [commitment, ethers.ZeroAddress, expiresAt]],
      ]);
      expect((await registry.status(commitment)).toArray()).toEqual([Status.Active, expiresAt, ethers.ZeroAddress]);
    });

    it("costs at most 50,000 gas", async () => {
      const used = await gasUsed(registry.connect(operator!).grant(rand32(), NO_END));
      expect(used).toBeLessThanOrEqual(50_000n);
    });

    it("reverts ConsentRegistryZeroCommitment for a zero commitment", async () => {
      await expectRevert(
        registry.connect(operator!).grant(ethers.ZeroHash, NO_END),
        registry,
        "ConsentRegistryZeroCommitment",
        [],
      );
    });

    it("reverts ConsentRegistryInvalidExpiry unless expiresAt is after the block time", async () => {
      const now = (await latestTimestamp(ethers.provider)) + 100n;
      for (const expiresAt of [now, now - 1n, 0n]) {
        await setNextBlockTimestamp(ethers.provider, now);
        await expectRevert(
          registry.connect(operator!).grant(rand32(), expiresAt),
          registry,
          "ConsentRegistryInvalidExpiry",
          [expiresAt, now],
        );
      }
      await setNextBlockTimestamp(ethers.provider, now + 1n);
      await (await registry.connect(operator!).grant(rand32(), now + 2n)).wait();
    });

    it("reverts ConsentRegistryAlreadyGranted for a granted commitment, even an expired one", async () => {
      const commitment = rand32();
      const expiresAt = await deadlineIn(100n);
      await (await registry.connect(operator!).grant(commitment, expiresAt)).wait();
      await expectRevert(
        registry.connect(operator!).grant(commitment, NO_END),
        registry,
        "ConsentRegistryAlreadyGranted",
        [commitment],
      );
      await setNextBlockTimestamp(ethers.provider, expiresAt + 1n);
      await expectRevert(
        registry.connect(operator!).grant(commitment, NO_END),
        registry,
        "ConsentRegistryAlreadyGranted",
        [commitment],
      );
    });

    it("may grant a revoked commitment again", async () => {
      const commitment = rand32();
      await (await registry.connect(operator!).grant(commitment, NO_END)).wait();
      await (await registry.connect(operator!).revoke(commitment)).wait();
      await (await registry.connect(operator!).grant(commitment, NO_END)).wait();
      expect((await registry.status(commitment))[0]).toBe(Status.Active);
    });

    it.each([
      ["a stranger", () => stranger!],
      ["the admin", () => admin!],
      ["a patient", () => patient!],
    ])("reverts AccessControlUnauthorizedAccount for %s", async (_label, who) => {
      await expectRevert(
        registry.connect(who()).grant(rand32(), NO_END),
        registry,
        "AccessControlUnauthorizedAccount",
        [who().address, OPERATOR_ROLE],
      );
    });
  });

  describe("revoke", () => {
    it("clears the commitment and emits ConsentRevoked by the operator", async () => {
      const commitment = rand32();
      await (await registry.connect(operator!).grant(commitment, NO_END)).wait();
      const events = await eventsOf(registry, registry.connect(operator!).revoke(commitment));
      expect(events.map((e) => [e.name, e.args])).toEqual([
        ["ConsentRevoked", [commitment, operator!.address.toLowerCase()]],
      ]);
      expect((await registry.status(commitment)).toArray()).toEqual([Status.None, 0n, ethers.ZeroAddress]);
    });

    it("costs at most 30,000 gas", async () => {
      const commitment = rand32();
      await (await registry.connect(operator!).grant(commitment, NO_END)).wait();
      const used = await gasUsed(registry.connect(operator!).revoke(commitment));
      expect(used).toBeLessThanOrEqual(30_000n);
    });

    it("revokes an expired commitment", async () => {
      const commitment = rand32();
      const expiresAt = await deadlineIn(100n);
      await (await registry.connect(operator!).grant(commitment, expiresAt)).wait();
      await setNextBlockTimestamp(ethers.provider, expiresAt + 1n);
      await (await registry.connect(operator!).revoke(commitment)).wait();
      expect((await registry.status(commitment))[0]).toBe(Status.None);
    });

    it("revokes a patient-controlled commitment", async () => {
      const commitment = await grantByPatient();
      const events = await eventsOf(registry, registry.connect(operator!).revoke(commitment));
      expect(events[0]!.args).toEqual([commitment, operator!.address.toLowerCase()]);
      expect((await registry.status(commitment))[0]).toBe(Status.None);
    });

    it("reverts ConsentRegistryUnknownCommitment for a never-granted or already revoked commitment", async () => {
      const commitment = rand32();
      await expectRevert(registry.connect(operator!).revoke(commitment), registry, "ConsentRegistryUnknownCommitment", [
        commitment,
      ]);
      await (await registry.connect(operator!).grant(commitment, NO_END)).wait();
      await (await registry.connect(operator!).revoke(commitment)).wait();
      await expectRevert(registry.connect(operator!).revoke(commitment), registry, "ConsentRegistryUnknownCommitment", [
        commitment,
      ]);
    });

    it.each([
      ["a stranger", () => stranger!],
      ["the admin", () => admin!],
      ["the controlling patient", () => patient!],
    ])("reverts AccessControlUnauthorizedAccount for %s", async (_label, who) => {
      const commitment = await grantByPatient();
      await expectRevert(registry.connect(who()).revoke(commitment), registry, "AccessControlUnauthorizedAccount", [
        who().address,
        OPERATOR_ROLE,
      ]);
    });
  });

  describe("status", () => {
    it("moves from None to Active to Expired, keeping expiry and controller", async () => {
      const expiresAt = await deadlineIn(1000n);
      const unsigned = rand32();
      expect((await registry.status(unsigned)).toArray()).toEqual([Status.None, 0n, ethers.ZeroAddress]);
      const commitment = await grantByPatient(expiresAt);
      expect((await registry.status(commitment)).toArray()).toEqual([Status.Active, expiresAt, patient!.address]);
      await setNextBlockTimestamp(ethers.provider, expiresAt - 1n);
      await ethers.provider.send("evm_mine", []);
      expect((await registry.status(commitment))[0]).toBe(Status.Active);
      await setNextBlockTimestamp(ethers.provider, expiresAt);
      await ethers.provider.send("evm_mine", []);
      expect((await registry.status(commitment)).toArray()).toEqual([Status.Expired, expiresAt, patient!.address]);
    });
  });

  describe("grantBySig", () => {
    it("records the patient as controller, consumes a nonce and may be relayed by anyone", async () => {
      const commitment = rand32();
      const deadline = await deadlineIn(3600n);
      const sig = await signGrant(patient!, { commitment, expiresAt: NO_END, patient: patient!.address, deadline });
      expect(await registry.nonces(patient!.address)).toBe(0n);
      const events = await eventsOf(
        registry,
        registry.connect(stranger!).grantBySig(commitment, NO_END, patient!.address, deadline, sig),
      );
      // Recorded under the commitment bound to the patient's address, which the contract computes too.
      const key = patientCommitment(commitment, patient!.address);
      expect(await registry.patientCommitment(commitment, patient!.address)).toBe(key);
      expect(events.map((e) => [e.name, e.args])).toEqual([
        ["ConsentGranted", [key, patient!.address.toLowerCase(), NO_END]],
      ]);
      expect(await registry.nonces(patient!.address)).toBe(1n);
      expect((await registry.status(key)).toArray()).toEqual([Status.Active, NO_END, patient!.address]);
    });

    it("cannot be front-run: another account's grant of the same commitment lands under its own key", async () => {
      const commitment = rand32();
      const deadline = await deadlineIn(3600n);
      const patientSig = await signGrant(patient!, {
        commitment,
        expiresAt: NO_END,
        patient: patient!.address,
        deadline,
      });
      // The attacker saw the commitment (in the mempool, say) and registers it to itself first.
      const attackerSig = await signGrant(stranger!, {
        commitment,
        expiresAt: NO_END,
        patient: stranger!.address,
        deadline,
      });
      await (
        await registry.connect(stranger!).grantBySig(commitment, NO_END, stranger!.address, deadline, attackerSig)
      ).wait();
      const events = await eventsOf(
        registry,
        registry.connect(relayer!).grantBySig(commitment, NO_END, patient!.address, deadline, patientSig),
      );
      const key = patientCommitment(commitment, patient!.address);
      expect(events.map((e) => [e.name, e.args])).toEqual([
        ["ConsentGranted", [key, patient!.address.toLowerCase(), NO_END]],
      ]);
      expect((await registry.status(key)).toArray()).toEqual([Status.Active, NO_END, patient!.address]);
      // The attacker holds only its own key, which no one asks about for this patient.
      expect((await registry.status(patientCommitment(commitment, stranger!.address)))[2]).toBe(stranger!.address);
      expect((await registry.status(commitment))[0]).toBe(Status.None);
    });

    it("accepts a signature on its deadline and rejects it after, with ConsentRegistryExpiredSignature", async () => {
      const deadline = (await latestTimestamp(ethers.provider)) + 100n;
      const commitment = rand32();
      const sig = await signGrant(patient!, { commitment, expiresAt: NO_END, patient: patient!.address, deadline });
      await setNextBlockTimestamp(ethers.provider, deadline + 1n);
      await expectRevert(
        registry.connect(relayer!).grantBySig(commitment, NO_END, patient!.address, deadline, sig),
        registry,
        "ConsentRegistryExpiredSignature",
        [deadline],
      );

      const onTime = await deadlineIn(100n);
      const sig2 = await signGrant(patient!, {
        commitment,
        expiresAt: NO_END,
        patient: patient!.address,
        deadline: onTime,
      });
      await setNextBlockTimestamp(ethers.provider, onTime);
      await (await registry.connect(relayer!).grantBySig(commitment, NO_END, patient!.address, onTime, sig2)).wait();
    });

    it("reverts ConsentRegistryInvalidSigner with the recovered signer for someone else's signature", async () => {
      const commitment = rand32();
      const deadline = await deadlineIn(3600n);
      const nonce = await registry.nonces(patient!.address);
      const sig = await signGrant(stranger!, {
        commitment,
        expiresAt: NO_END,
        patient: patient!.address,
        deadline,
        nonce,
      });
      await expectRevert(
        registry.connect(relayer!).grantBySig(commitment, NO_END, patient!.address, deadline, sig),
        registry,
        "ConsentRegistryInvalidSigner",
        [stranger!.address, patient!.address],
      );
    });

    it("reverts ConsentRegistryInvalidSigner when any signed field is changed", async () => {
      const commitment = rand32();
      const deadline = await deadlineIn(3600n);
      const expiresAt = await deadlineIn(86_400n);
      const sig = await signGrant(patient!, { commitment, expiresAt, patient: patient!.address, deadline });
      const p = patient!.address;
      const tampered: [string, bigint, string, bigint][] = [
        [rand32(), expiresAt, p, deadline],
        [commitment, NO_END, p, deadline],
        [commitment, expiresAt, p, deadline + 1n],
        [commitment, expiresAt, stranger!.address, deadline],
      ];
      for (const args of tampered) {
        await expectRevert(
          registry.connect(relayer!).grantBySig(...args, sig),
          registry,
          "ConsentRegistryInvalidSigner",
        );
      }
      await (await registry.connect(relayer!).grantBySig(commitment, expiresAt, p, deadline, sig)).wait();
    });

    it("rejects a replayed signature, because the nonce has moved on", async () => {
      const commitment = rand32();
      const deadline = await deadlineIn(3600n);
      const sig = await signGrant(patient!, { commitment, expiresAt: NO_END, patient: patient!.address, deadline });
      await (await registry.connect(relayer!).grantBySig(commitment, NO_END, patient!.address, deadline, sig)).wait();
      await (await registry.connect(operator!).revoke(patientCommitment(commitment, patient!.address))).wait();
      await expectRevert(
        registry.connect(relayer!).grantBySig(commitment, NO_END, patient!.address, deadline, sig),
        registry,
        "ConsentRegistryInvalidSigner",
      );
    });

    it("rejects a signature made for another contract or for a revocation", async () => {
      const commitment = rand32();
      const deadline = await deadlineIn(3600n);
      const p = patient!.address;
      const otherDomain = { ...domain, verifyingContract: stranger!.address };
      const sig = await signGrant(patient!, { commitment, expiresAt: NO_END, patient: p, deadline }, otherDomain);
      await expectRevert(
        registry.connect(relayer!).grantBySig(commitment, NO_END, p, deadline, sig),
        registry,
        "ConsentRegistryInvalidSigner",
      );
      const revokeSig = await signRevoke(patient!, { commitment, patient: p, deadline });
      await expectRevert(
        registry.connect(relayer!).grantBySig(commitment, NO_END, p, deadline, revokeSig),
        registry,
        "ConsentRegistryInvalidSigner",
      );
    });

    it("reverts ConsentRegistryInvalidSigner with a zero signer for a malformed signature, even for patient zero", async () => {
      const commitment = rand32();
      const deadline = await deadlineIn(3600n);
      for (const [who, sig] of [
        [patient!.address, "0x1234"],
        [ethers.ZeroAddress, "0x"],
        [ethers.ZeroAddress, "0x" + "00".repeat(65)],
      ] as const) {
        await expectRevert(
          registry.connect(relayer!).grantBySig(commitment, NO_END, who, deadline, sig),
          registry,
          "ConsentRegistryInvalidSigner",
          [ethers.ZeroAddress, who],
        );
      }
    });

    it("applies the grant checks: zero commitment, expiry, already granted", async () => {
      const deadline = await deadlineIn(3600n);
      const p = patient!.address;
      let sig = await signGrant(patient!, { commitment: ethers.ZeroHash, expiresAt: NO_END, patient: p, deadline });
      await expectRevert(
        registry.connect(relayer!).grantBySig(ethers.ZeroHash, NO_END, p, deadline, sig),
        registry,
        "ConsentRegistryZeroCommitment",
        [],
      );

      const commitment = rand32();
      const now = (await latestTimestamp(ethers.provider)) + 10n;
      sig = await signGrant(patient!, { commitment, expiresAt: now, patient: p, deadline });
      await setNextBlockTimestamp(ethers.provider, now);
      await expectRevert(
        registry.connect(relayer!).grantBySig(commitment, now, p, deadline, sig),
        registry,
        "ConsentRegistryInvalidExpiry",
        [now, now],
      );

      const key = patientCommitment(commitment, p);
      await (await registry.connect(operator!).grant(key, NO_END)).wait();
      sig = await signGrant(patient!, { commitment, expiresAt: NO_END, patient: p, deadline });
      await expectRevert(
        registry.connect(relayer!).grantBySig(commitment, NO_END, p, deadline, sig),
        registry,
        "ConsentRegistryAlreadyGranted",
        [key],
      );
      expect(await registry.nonces(p)).toBe(0n);
    });
  });

  describe("revokeBySig", () => {
    it("lets the controlling patient revoke, relayed by anyone, and emits ConsentRevoked by the patient", async () => {
      const commitment = await grantByPatient();
      const deadline = await deadlineIn(3600n);
      const sig = await signRevoke(patient!, { commitment, patient: patient!.address, deadline });
      const events = await eventsOf(
        registry,
        registry.connect(stranger!).revokeBySig(commitment, patient!.address, deadline, sig),
      );
      expect(events.map((e) => [e.name, e.args])).toEqual([
        ["ConsentRevoked", [commitment, patient!.address.toLowerCase()]],
      ]);
      expect(await registry.nonces(patient!.address)).toBe(2n);
      expect((await registry.status(commitment))[0]).toBe(Status.None);
    });

    it("reverts ConsentRegistryUnauthorizedController for an operator-granted commitment", async () => {
      const commitment = rand32();
      await (await registry.connect(operator!).grant(commitment, NO_END)).wait();
      const deadline = await deadlineIn(3600n);
      const sig = await signRevoke(patient!, { commitment, patient: patient!.address, deadline });
      await expectRevert(
        registry.connect(relayer!).revokeBySig(commitment, patient!.address, deadline, sig),
        registry,
        "ConsentRegistryUnauthorizedController",
        [commitment, ethers.ZeroAddress, patient!.address],
      );
    });

    it("reverts ConsentRegistryUnauthorizedController for another patient's commitment", async () => {
      const commitment = await grantByPatient();
      const deadline = await deadlineIn(3600n);
      const sig = await signRevoke(stranger!, { commitment, patient: stranger!.address, deadline });
      await expectRevert(
        registry.connect(relayer!).revokeBySig(commitment, stranger!.address, deadline, sig),
        registry,
        "ConsentRegistryUnauthorizedController",
        [commitment, patient!.address, stranger!.address],
      );
    });

    it("reverts ConsentRegistryUnknownCommitment for a never-granted or already revoked commitment", async () => {
      const commitment = rand32();
      const p = patient!.address;
      const deadline = await deadlineIn(3600n);
      let sig = await signRevoke(patient!, { commitment, patient: p, deadline });
      await expectRevert(
        registry.connect(relayer!).revokeBySig(commitment, p, deadline, sig),
        registry,
        "ConsentRegistryUnknownCommitment",
        [commitment],
      );
      const key = await grantByPatient();
      sig = await signRevoke(patient!, { commitment: key, patient: p, deadline });
      await (await registry.connect(relayer!).revokeBySig(key, p, deadline, sig)).wait();
      sig = await signRevoke(patient!, { commitment: key, patient: p, deadline });
      await expectRevert(
        registry.connect(relayer!).revokeBySig(key, p, deadline, sig),
        registry,
        "ConsentRegistryUnknownCommitment",
        [key],
      );
    });

    it("reverts ConsentRegistryExpiredSignature after the deadline", async () => {
      const commitment = await grantByPatient();
      const deadline = await deadlineIn(10n);
      const sig = await signRevoke(patient!, { commitment, patient: patient!.address, deadline });
      await setNextBlockTimestamp(ethers.provider, deadline + 1n);
      await expectRevert(
        registry.connect(relayer!).revokeBySig(commitment, patient!.address, deadline, sig),
        registry,
        "ConsentRegistryExpiredSignature",
        [deadline],
      );
    });

    it("reverts ConsentRegistryInvalidSigner for a forged, tampered or grant-typed signature", async () => {
      const commitment = await grantByPatient();
      const p = patient!.address;
      const deadline = await deadlineIn(3600n);
      const nonce = await registry.nonces(p);
      const forged = await signRevoke(stranger!, { commitment, patient: p, deadline, nonce });
      await expectRevert(
        registry.connect(relayer!).revokeBySig(commitment, p, deadline, forged),
        registry,
        "ConsentRegistryInvalidSigner",
        [stranger!.address, p],
      );
      const other = rand32();
      const sig = await signRevoke(patient!, { commitment: other, patient: p, deadline });
      await expectRevert(
        registry.connect(relayer!).revokeBySig(commitment, p, deadline, sig),
        registry,
        "ConsentRegistryInvalidSigner",
      );
      const grantSig = await signGrant(patient!, { commitment, expiresAt: NO_END, patient: p, deadline });
      await expectRevert(
        registry.connect(relayer!).revokeBySig(commitment, p, deadline, grantSig),
        registry,
        "ConsentRegistryInvalidSigner",
      );
      expect((await registry.status(commitment))[0]).toBe(Status.Active);
    });
  });

  describe("supportsInterface", () => {
    it("advertises IConsentRegistry, IAccessControl and IERC165, and nothing else", async () => {
      const id = interfaceId([
        "grant(bytes32,uint64)",
        "revoke(bytes32)",
        "grantBySig(bytes32,uint64,address,uint256,bytes)",
        "revokeBySig(bytes32,address,uint256,bytes)",
        "patientCommitment(bytes32,address)",
        "status(bytes32)",
      ]);
      for (const supported of [id, IACCESS_CONTROL_ID, IERC165_ID]) {
        expect(await registry.supportsInterface(supported)).toBe(true);
      }
      expect(await registry.supportsInterface("0xffffffff")).toBe(false);
      expect(await registry.supportsInterface("0x12345678")).toBe(false);
    });
  });

  describe("privacy", () => {
    it("declares only events that carry commitments, addresses and expiry", () => {
      const events: string[] = [];
      registry.interface.forEachEvent((e) => events.push(e.format("full")));
      expect(events.filter((e) => !e.match(/^event (Role|EIP712DomainChanged)/)).sort()).toEqual([
        "event ConsentGranted(bytes32 indexed commitment, address indexed controller, uint64 expiresAt)",
        "event ConsentRevoked(bytes32 indexed commitment, address indexed by)",
      ]);
    });
  });
});
