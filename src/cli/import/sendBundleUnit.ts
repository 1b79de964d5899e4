import { idempotencyKey } from "./idempotencyKey.ts";
import type { ImportContext, Item } from "./importTypes.ts";
import { transactionText } from "./transactionText.ts";

/**
 * Sends one file's Bundle, or a pack of files' transactions as one transaction (with an
 * idempotency key either way). A pack the server refuses kept nothing: its files are sent
 * again one by one, so each file's outcome and errors are its own.
 */
export async function sendBundleUnit(items: Item[], ctx: ImportContext): Promise<void> {
  const { post, tracker } = ctx;
  const transaction = items[0]!.bundle.type === "transaction";
  const body = transaction
    ? transactionText(
        items.map((i) => i.text),
        idempotencyKey(tracker.state.importId, items),
      )
    : items[0]!.text;
  const answer = await post(body);
  if (!answer.ok && items.length > 1) {
    for (const item of items) await sendBundleUnit([item], ctx);
    return;
  }
  let offset = 0;
  for (const item of items) {
    const n = item.bundle.entry?.length ?? 0;
    if (!answer.ok) {
      tracker.summary.failedEntries += n;
      tracker.addError(`${item.file}: ${answer.message}`);
      tracker.fail(item.file, answer.message);
    } else if (
      tracker.count(
        item.bundle.entry ?? [],
        answer.entries.slice(offset, offset + n),
        (i) => `${item.file}: entry ${i}`,
      )
    ) {
      await tracker.finish(item.file, item.fingerprint);
    } else {
      tracker.fail(item.file, "entries failed");
    }
    offset += n;
  }
}
