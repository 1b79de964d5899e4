import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlockFiles } from "./blockFiles.ts";
import { rawCidPath } from "./rawCidPath.ts";

describe("BlockFiles.readSync", () => {
  let dir: string;
  let files: BlockFiles;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "block-files-"));
    files = new BlockFiles(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([0, 1, 1000, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 700_000])("reads back a block of %i bytes exactly", (size) => {
    const bytes = randomBytes(size);
    const { dir: shard, file } = rawCidPath(files.writeSync(bytes))!;
    expect(files.readSync(shard, file).equals(bytes)).toBe(true);
  });

  it("returns a copy: a later read does not change an earlier result", () => {
    const a = randomBytes(500);
    const b = randomBytes(500);
    const pa = rawCidPath(files.writeSync(a))!;
    const pb = rawCidPath(files.writeSync(b))!;
    const first = files.readSync(pa.dir, pa.file);
    files.readSync(pb.dir, pb.file);
    expect(first.equals(a)).toBe(true);
  });

  it("fails with ENOENT for a missing block", () => {
    expect(() => files.readSync("ZZ", "BCIQNOPE.data")).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });
});
