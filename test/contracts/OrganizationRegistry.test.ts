import { beforeEach, describe, expect, it } from "vitest";
import { network } from "hardhat";
import { IACCESS_CONTROL_ID, IERC165_ID, deploy, eventsOf, expectRevert, gasUsed, interfaceId } from "./helpers.ts";
import type { Deployed } from "./helpers.ts";

const { ethers } = await network.connect();
const [admin, registrar, stranger] = await ethers.getSigners();
const REGISTRAR_ROLE = ethers.id("REGISTRAR_ROLE");
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const MAX_KEY_LENGTH = 2048n;

const rand32 = (): string => ethers.hexlify(ethers.randomBytes(32));
/** An organisation id is a hash, never a name. */
const orgIdOf = (label: string): string => ethers.id(`org:${label}:${rand32()}`);

describe("OrganizationRegistry", () => {
  let registry: Deployed;

  beforeEach(async () => {
    registry = await deploy(ethers, "OrganizationRegistry", [admin!.address, registrar!.address]);
  });

  async function register(orgId: string, key = rand32()): Promise<string> {
    await (await registry.connect(registrar!).register(orgId, key)).wait();
    return key;
  }

  const record = async (orgId: string) => (await registry.organization(orgId)).toArray();

  describe("constructor", () => {
    it("grants the admin and registrar roles, and nothing else", async () => {
      expect(await registry.REGISTRAR_ROLE()).toBe(REGISTRAR_ROLE);
      expect(await registry.MAX_KEY_LENGTH()).toBe(MAX_KEY_LENGTH);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, admin!.address)).toBe(true);
      expect(await registry.hasRole(REGISTRAR_ROLE, registrar!.address)).toBe(true);
      expect(await registry.hasRole(REGISTRAR_ROLE, admin!.address)).toBe(false);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, registrar!.address)).toBe(false);
    });
  });

  describe("register", () => {
    it("stores the key as version 1, active, and emits OrganizationRegistered", async () => {
      const orgId = orgIdOf("a");
      const key = rand32();
      const events = await eventsOf(registry, registry.connect(registrar!).register(orgId, key));
      expect(events.map((e) => [e.name, e.args])).toEqual([["OrganizationRegistered", [orgId, key]]]);
      expect(await record(orgId)).toEqual([key, 1n, true]);
    });

    it("accepts keys of 1 and MAX_KEY_LENGTH bytes", async () => {
      for (const length of [1, Number(MAX_KEY_LENGTH)]) {
        const orgId = orgIdOf(`len${length}`);
        const key = ethers.hexlify(ethers.randomBytes(length));
        await register(orgId, key);
        expect((await record(orgId))[0]).toBe(key);
      }
    });

    it("reverts OrganizationRegistryInvalidKeyLength for an empty or oversized key", async () => {
      for (const length of [0n, MAX_KEY_LENGTH + 1n]) {
        await expectRevert(
          registry.connect(registrar!).register(orgIdOf("x"), ethers.hexlify(ethers.randomBytes(Number(length)))),
          registry,
          "OrganizationRegistryInvalidKeyLength",
          [length, MAX_KEY_LENGTH],
        );
      }
    });

    it("reverts OrganizationRegistryZeroId for a zero id", async () => {
      await expectRevert(
        registry.connect(registrar!).register(ethers.ZeroHash, rand32()),
        registry,
        "OrganizationRegistryZeroId",
        [],
      );
    });

    it("reverts OrganizationRegistryAlreadyRegistered for a registered id, even once deactivated", async () => {
      const orgId = orgIdOf("dup");
      await register(orgId);
      await expectRevert(
        registry.connect(registrar!).register(orgId, rand32()),
        registry,
        "OrganizationRegistryAlreadyRegistered",
        [orgId],
      );
      await (await registry.connect(registrar!).deactivate(orgId)).wait();
      await expectRevert(
        registry.connect(registrar!).register(orgId, rand32()),
        registry,
        "OrganizationRegistryAlreadyRegistered",
        [orgId],
      );
    });

    it.each([
      ["a stranger", () => stranger!],
      ["the admin", () => admin!],
    ])("reverts AccessControlUnauthorizedAccount for %s", async (_label, who) => {
      await expectRevert(
        registry.connect(who()).register(orgIdOf("r"), rand32()),
        registry,
        "AccessControlUnauthorizedAccount",
        [who().address, REGISTRAR_ROLE],
      );
    });
  });

  describe("updateKey", () => {
    it("replaces the key, bumps the version and emits OrganizationKeyUpdated", async () => {
      const orgId = orgIdOf("u");
      await register(orgId);
      // A longer key than the first one, then a shorter one: storage of dynamic bytes must follow both ways.
      const long = ethers.hexlify(ethers.randomBytes(1184));
      let events = await eventsOf(registry, registry.connect(registrar!).updateKey(orgId, long));
      expect(events.map((e) => [e.name, e.args])).toEqual([["OrganizationKeyUpdated", [orgId, 2n, long]]]);
      expect(await record(orgId)).toEqual([long, 2n, true]);
      const short = rand32();
      events = await eventsOf(registry, registry.connect(registrar!).updateKey(orgId, short));
      expect(events[0]!.args).toEqual([orgId, 3n, short]);
      expect(await record(orgId)).toEqual([short, 3n, true]);
    });

    it("reverts OrganizationRegistryUnknownOrganization for an unregistered id", async () => {
      const orgId = orgIdOf("none");
      await expectRevert(
        registry.connect(registrar!).updateKey(orgId, rand32()),
        registry,
        "OrganizationRegistryUnknownOrganization",
        [orgId],
      );
    });

    it("reverts OrganizationRegistryInactiveOrganization once deactivated", async () => {
      const orgId = orgIdOf("gone");
      await register(orgId);
      await (await registry.connect(registrar!).deactivate(orgId)).wait();
      await expectRevert(
        registry.connect(registrar!).updateKey(orgId, rand32()),
        registry,
        "OrganizationRegistryInactiveOrganization",
        [orgId],
      );
    });

    it("reverts OrganizationRegistryInvalidKeyLength for an empty or oversized key", async () => {
      const orgId = orgIdOf("len");
      await register(orgId);
      for (const length of [0n, MAX_KEY_LENGTH + 1n]) {
        await expectRevert(
          registry.connect(registrar!).updateKey(orgId, ethers.hexlify(ethers.randomBytes(Number(length)))),
          registry,
          "OrganizationRegistryInvalidKeyLength",
          [length, MAX_KEY_LENGTH],
        );
      }
    });

    it("reverts AccessControlUnauthorizedAccount for a non-registrar", async () => {
      const orgId = orgIdOf("acl");
      await register(orgId);
      await expectRevert(
        registry.connect(stranger!).updateKey(orgId, rand32()),
        registry,
        "AccessControlUnauthorizedAccount",
        [stranger!.address, REGISTRAR_ROLE],
      );
    });
  });

  describe("deactivate", () => {
    it("marks the organisation inactive, keeps its key readable, and emits OrganizationDeactivated", async () => {
      const orgId = orgIdOf("d");
      const key = await register(orgId);
      const events = await eventsOf(registry, registry.connect(registrar!).deactivate(orgId));
      expect(events.map((e) => [e.name, e.args])).toEqual([["OrganizationDeactivated", [orgId]]]);
      expect(await record(orgId)).toEqual([key, 1n, false]);
    });

    it("reverts OrganizationRegistryUnknownOrganization for an unregistered id", async () => {
      const orgId = orgIdOf("none");
      await expectRevert(
        registry.connect(registrar!).deactivate(orgId),
        registry,
        "OrganizationRegistryUnknownOrganization",
        [orgId],
      );
    });

    it("reverts OrganizationRegistryInactiveOrganization when already deactivated", async () => {
      const orgId = orgIdOf("twice");
      await register(orgId);
      await (await registry.connect(registrar!).deactivate(orgId)).wait();
      await expectRevert(
        registry.connect(registrar!).deactivate(orgId),
        registry,
        "OrganizationRegistryInactiveOrganization",
        [orgId],
      );
    });

    it("reverts AccessControlUnauthorizedAccount for a non-registrar", async () => {
      const orgId = orgIdOf("acl");
      await register(orgId);
      await expectRevert(registry.connect(admin!).deactivate(orgId), registry, "AccessControlUnauthorizedAccount", [
        admin!.address,
        REGISTRAR_ROLE,
      ]);
    });
  });

  describe("organization", () => {
    it("reverts OrganizationRegistryUnknownOrganization for an unregistered id", async () => {
      const orgId = orgIdOf("none");
      await expectRevert(registry.organization(orgId), registry, "OrganizationRegistryUnknownOrganization", [orgId]);
      await expectRevert(registry.organization(ethers.ZeroHash), registry, "OrganizationRegistryUnknownOrganization", [
        ethers.ZeroHash,
      ]);
    });

    it("keeps organisations apart", async () => {
      const [a, b] = [orgIdOf("a"), orgIdOf("b")];
      const [ka, kb] = [await register(a), await register(b)];
      await (await registry.connect(registrar!).deactivate(a)).wait();
      expect(await record(a)).toEqual([ka, 1n, false]);
      expect(await record(b)).toEqual([kb, 1n, true]);
    });
  });

  it("reports gas for registering a 32-byte key", async () => {
    const used = await gasUsed(registry.connect(registrar!).register(orgIdOf("gas"), rand32()));
    // Three fresh slots: the key's length, its 32 bytes of data, and version + active.
    expect(used).toBeLessThan(100_000n);
  });
  describe("supportsInterface", () => {
    it("advertises IOrganizationRegistry, IAccessControl and IERC165, and nothing else", async () => {
      const id = interfaceId([
        "MAX_KEY_LENGTH()",
        "register(bytes32,bytes)",
        "updateKey(bytes32,bytes)",
        "deactivate(bytes32)",
        "organization(bytes32)",
      ]);
      for (const supported of [id, IACCESS_CONTROL_ID, IERC165_ID]) {
        expect(await registry.supportsInterface(supported)).toBe(true);
      }
      expect(await registry.supportsInterface("0xffffffff")).toBe(false);
      expect(await registry.supportsInterface("0x12345678")).toBe(false);
    });
  });
});
