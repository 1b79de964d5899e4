import { createHash } from "node:crypto";
import type { Item } from "./importTypes.ts";

/**
 * The idempotency key of a transaction: this import, and each file's path and content. A
 * resumed run forms the same packs, so it sends the same keys: keep this derivation stable.
 */
export function idempotencyKey(importId: string, items: readonly Item[]): string {
  const hash = createHash("sha256").update(importId);
  for (const item of items)
    hash.update(`\n${item.file}\n`).update(createHash("sha256").update(item.text).digest("hex"));
  return hash.digest("hex");
}
