import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Top-level folders holding tracked files; null outside a git checkout. */
function trackedTopLevelFolders(): string[] | null {
  try {
    const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0");
    return [...new Set(files.filter((f) => f.includes("/")).map((f) => f.slice(0, f.indexOf("/"))))].sort();
  } catch {
    return null;
  }
}

/** The relative link targets of a Markdown text: `[text](target)`, without anchors; URLs left out. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!.split("#")[0]!)
    .filter((target) => target !== "" && !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

const folders = trackedTopLevelFolders();

describe("README layout and the documents' links", () => {
  it.skipIf(folders === null)("the README's Layout section links every top-level folder", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const layout = readme.slice(readme.indexOf("## Layout"));
    const linked = new Set(relativeLinks(layout).map((target) => target.replace(/\/$/, "")));
    expect(folders!.filter((folder) => !linked.has(folder))).toEqual([]);
  });

  it("every relative link in README.md and docs/ names a file or folder of the repository", () => {
    const documents = [
      "README.md",
      ...readdirSync(join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
    ];
    const broken = documents.flatMap((document) =>
      relativeLinks(readFileSync(join(ROOT, document), "utf8"))
        .filter((target) => !existsSync(resolve(ROOT, dirname(document), target)))
        .map((target) => `${document} → ${target}`),
    );
    expect(broken).toEqual([]);
  });
});
