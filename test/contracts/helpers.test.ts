import { describe, expect, it } from "vitest";
import { network } from "hardhat";
import { deploy, expectRevert } from "./helpers.ts";

const { ethers } = await network.connect();
const [admin, anchorer, stranger] = await ethers.getSigners();
const anchor = await deploy(ethers, "RecordAnchor", [admin!.address, anchorer!.address]);
const ANCHORER_ROLE = ethers.id("ANCHORER_ROLE");
const root = ethers.hexlify(ethers.randomBytes(32));

// The other suites are only as good as this helper: prove it fails when it should.
describe("expectRevert", () => {
  it("fails when the call succeeds", async () => {
    await expect(
      expectRevert(anchor.connect(anchorer!).anchor(root, 1n, root, root), anchor, "RecordAnchorZeroRoot"),
    ).rejects.toThrow(/succeeded/);
  });

  it("fails on another error name", async () => {
    await expect(
      expectRevert(anchor.connect(anchorer!).anchor(root, 0n, root, root), anchor, "RecordAnchorZeroRoot"),
    ).rejects.toThrow();
  });

  it("fails on other arguments, and passes on the right ones", async () => {
    const call = () => anchor.connect(stranger!).anchor(root, 1n, root, root);
    await expect(
      expectRevert(call(), anchor, "AccessControlUnauthorizedAccount", [admin!.address, ANCHORER_ROLE]),
    ).rejects.toThrow();
    await expectRevert(call(), anchor, "AccessControlUnauthorizedAccount", [stranger!.address, ANCHORER_ROLE]);
  });
});
