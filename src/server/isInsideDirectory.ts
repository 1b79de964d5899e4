import { isAbsolute, relative, sep } from "node:path";

/** Whether `path` is `dir` or lies somewhere below it (both absolute; no file system access). */
export function isInsideDirectory(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
