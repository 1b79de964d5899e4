import { beforeEach, describe, expect, it } from "vitest";
import { network } from "hardhat";
import { IACCESS_CONTROL_ID, IERC165_ID, deploy, eventsOf, expectRevert, gasUsed, interfaceId } from "./helpers.ts";
import type { Deployed } from "./helpers.ts";

const { ethers } = await network.connect();
const [admin, anchorer, stranger] = await ethers.getSigners();
const ANCHORER_ROLE = ethers.id("ANCHORER_ROLE");
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;

const rand32 = (): string => ethers.hexlify(ethers.randomBytes(32));

describe("RecordAnchor", () => {
  let anchor: Deployed;

  beforeEach(async () => {
    anchor = await deploy(ethers, "RecordAnchor", [admin!.address, anchorer!.address]);
  });

  describe("constructor", () => {
    it("grants the admin and anchorer roles, and nothing else", async () => {
      expect(await anchor.ANCHORER_ROLE()).toBe(ANCHORER_ROLE);
      expect(await anchor.hasRole(DEFAULT_ADMIN_ROLE, admin!.address)).toBe(true);
      expect(await anchor.hasRole(ANCHORER_ROLE, anchorer!.address)).toBe(true);
      expect(await anchor.hasRole(ANCHORER_ROLE, admin!.address)).toBe(false);
      expect(await anchor.hasRole(DEFAULT_ADMIN_ROLE, anchorer!.address)).toBe(false);
      expect(await anchor.getRoleAdmin(ANCHORER_ROLE)).toBe(DEFAULT_ADMIN_ROLE);
    });
  });

  describe("anchor", () => {
    it("emits RootAnchored with root, prevRoot, size and manifest digest", async () => {
      const [root, digest, prev] = [rand32(), rand32(), rand32()];
      const events = await eventsOf(anchor, anchor.connect(anchorer!).anchor(root, 4096n, digest, prev));
      expect(events).toHaveLength(1);
      expect(events[0]!.name).toBe("RootAnchored");
      expect(events[0]!.args).toEqual([root, prev, 4096n, digest]);
      // root and prevRoot are indexed topics, so verifiers can look a root up by topic.
      expect(events[0]!.log.topics).toEqual([anchor.interface.getEvent("RootAnchored")!.topicHash, root, prev]);
    });

    it("accepts a zero prevRoot for the first batch of a log", async () => {
      const root = rand32();
      const events = await eventsOf(anchor, anchor.connect(anchorer!).anchor(root, 1n, rand32(), ethers.ZeroHash));
      expect(events[0]!.args[1]).toBe(ethers.ZeroHash);
    });

    it("accepts the largest batch size", async () => {
      const max = 2n ** 64n - 1n;
      const events = await eventsOf(anchor, anchor.connect(anchorer!).anchor(rand32(), max, rand32(), rand32()));
      expect(events[0]!.args[2]).toBe(max);
    });

    it("leaves a prevRoot chain that orders the anchored roots", async () => {
      let prev = ethers.ZeroHash;
      const roots: string[] = [];
      for (let i = 0; i < 3; i++) {
        const root = rand32();
        await (await anchor.connect(anchorer!).anchor(root, BigInt(i + 1), rand32(), prev)).wait();
        roots.push(root);
        prev = root;
      }
      const logs = await anchor.queryFilter(anchor.filters.RootAnchored!());
      const chain = logs.map((l) => ("args" in l ? [l.args[0], l.args[1]] : []));
      expect(chain).toEqual([
        [roots[0], ethers.ZeroHash],
        [roots[1], roots[0]],
        [roots[2], roots[1]],
      ]);
      // Look one root up by its indexed topic, as a verifier would.
      const found = await anchor.queryFilter(anchor.filters.RootAnchored!(roots[1]));
      expect(found).toHaveLength(1);
    });

    it("reverts RecordAnchorEmptyBatch when size is zero", async () => {
      await expectRevert(
        anchor.connect(anchorer!).anchor(rand32(), 0n, rand32(), rand32()),
        anchor,
        "RecordAnchorEmptyBatch",
        [],
      );
    });

    it("reverts RecordAnchorZeroRoot when root is zero", async () => {
      await expectRevert(
        anchor.connect(anchorer!).anchor(ethers.ZeroHash, 1n, rand32(), rand32()),
        anchor,
        "RecordAnchorZeroRoot",
        [],
      );
    });

    it("checks the empty batch before the zero root", async () => {
      await expectRevert(
        anchor.connect(anchorer!).anchor(ethers.ZeroHash, 0n, rand32(), rand32()),
        anchor,
        "RecordAnchorEmptyBatch",
      );
    });

    it.each([
      ["a stranger", () => stranger!],
      ["the admin", () => admin!],
    ])("reverts AccessControlUnauthorizedAccount for %s", async (_label, who) => {
      await expectRevert(
        anchor.connect(who()).anchor(rand32(), 1n, rand32(), rand32()),
        anchor,
        "AccessControlUnauthorizedAccount",
        [who().address, ANCHORER_ROLE],
      );
    });

    it("follows role changes made by the admin", async () => {
      await (await anchor.connect(admin!).grantRole(ANCHORER_ROLE, stranger!.address)).wait();
      await (await anchor.connect(stranger!).anchor(rand32(), 1n, rand32(), rand32())).wait();
      await (await anchor.connect(admin!).revokeRole(ANCHORER_ROLE, anchorer!.address)).wait();
      await expectRevert(
        anchor.connect(anchorer!).anchor(rand32(), 1n, rand32(), rand32()),
        anchor,
        "AccessControlUnauthorizedAccount",
        [anchorer!.address, ANCHORER_ROLE],
      );
    });

    it("writes no storage and costs at most 30,000 gas per transaction", async () => {
      // Random 32-byte values: almost every calldata byte is non-zero, the worst case.
      const used = await gasUsed(anchor.connect(anchorer!).anchor(rand32(), 2n ** 64n - 1n, rand32(), rand32()));
      expect(used).toBeLessThanOrEqual(30_000n);
      expect(used).toBeGreaterThan(21_000n);
    });
  });

  describe("supportsInterface", () => {
    it("advertises IRecordAnchor, IAccessControl and IERC165, and nothing else", async () => {
      const id = interfaceId(["anchor(bytes32,uint64,bytes32,bytes32)"]);
      for (const supported of [id, IACCESS_CONTROL_ID, IERC165_ID]) {
        expect(await anchor.supportsInterface(supported)).toBe(true);
      }
      expect(await anchor.supportsInterface("0xffffffff")).toBe(false);
      expect(await anchor.supportsInterface("0x12345678")).toBe(false);
    });
  });

  describe("privacy", () => {
    it("declares one event carrying only root, prevRoot, size and manifest digest", () => {
      const events: string[] = [];
      anchor.interface.forEachEvent((e) => events.push(e.format("full")));
      expect(events.filter((e) => !e.match(/^event Role/))).toEqual([
        "event RootAnchored(bytes32 indexed root, bytes32 indexed prevRoot, uint64 size, bytes32 manifestDigest)",
      ]);
    });
  });
});
