import { IDEMPOTENCY_SYSTEM } from "../../fhir/bundles/idempotencySystem.ts";
import { arrayItemsText, memberValueText } from "../../json/memberText.ts";

/**
 * One transaction of the files' entries, spliced as written (decimals keep their text), with the
 * idempotency key as its Bundle.identifier (a file's own identifier is not sent: a transaction
 * Bundle is not stored).
 */
export function transactionText(texts: string[], key: string): string {
  const items = texts.map((t) => arrayItemsText(memberValueText(t, "entry") ?? "[]")).filter((t) => t !== "");
  const identifier = JSON.stringify({ system: IDEMPOTENCY_SYSTEM, value: key });
  return `{"resourceType":"Bundle","type":"transaction","identifier":${identifier},"entry":[${items.join(",")}]}`;
}
