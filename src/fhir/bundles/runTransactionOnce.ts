import { deflateRawSync, inflateRawSync } from "node:zlib";
import { canonicalJson } from "../../crypto/canonicalJson.ts";
import { toHex } from "../../crypto/hex.ts";
import { sha256 } from "../../crypto/sha256.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { Index } from "../../ports/Index.ts";
import type { TransactionReceipt, TransactionReceiptKey } from "../../ports/TransactionReceipts.ts";
import { informationOutcome } from "../outcome/operationOutcome.ts";
import { IDEMPOTENCY_SYSTEM } from "./idempotencySystem.ts";

const MAX_KEY_LENGTH = 256;

/**
 * Runs a transaction at most once per idempotency key (Bundle.identifier, system
 * IDEMPOTENCY_SYSTEM): `run` gets the key, which the records layer commits in the same index
 * transaction as the writes. A repeat of a committed transaction (same key, same content) is
 * not applied again: it is answered with the response kept from the first time (entries
 * without resources; when the server stopped before keeping it, each entry says "already
 * committed"). The same key on different content is a 409: `requestHash` tells content apart
 * (the HTTP layer passes the hash of the body's bytes; the default hashes canonical JSON).
 * Without such an identifier `run` runs as it is. A transaction that writes nothing leaves no
 * receipt (repeating it writes nothing either).
 * @see https://hl7.org/fhir/R4/bundle-definitions.html#Bundle.identifier
 */
export async function runTransactionOnce(
  index: Index,
  body: unknown,
  entryCount: number,
  run: (receipt?: TransactionReceiptKey) => Promise<Record<string, unknown>[]>,
  requestHash: () => string = () => toHex(sha256(canonicalJson(body))),
): Promise<Record<string, unknown>[]> {
  const key = idempotencyKeyOf(body);
  if (key === null) return run();
  const receipt: TransactionReceiptKey = { key, requestHash: requestHash() };
  const earlier = await index.transactionReceipt(key);
  if (earlier) return replay(earlier, receipt, entryCount);
  let responses: Record<string, unknown>[];
  try {
    responses = await run(receipt);
  } catch (error) {
    // A concurrent request with the same key committed first: this one wrote nothing.
    const committed = await index.transactionReceipt(key);
    if (committed) return replay(committed, receipt, entryCount);
    throw error;
  }
  // Only ids, versions, statuses and outcomes: resources (PHI) never go into the index.
  const kept = responses.map(({ resource: _resource, ...rest }) => rest);
  try {
    await index.keepTransactionResponse(key, deflateRawSync(JSON.stringify(kept)));
  } catch {
    // The transaction is committed and its receipt stands: a repeat gets the short answer
    // (see replay) rather than this client a 500 for writes that were made.
  }
  return responses;
}

/** `system|value` of a Bundle.identifier in IDEMPOTENCY_SYSTEM, or null. */
function idempotencyKeyOf(body: unknown): string | null {
  const identifier = (body as { identifier?: { system?: unknown; value?: unknown } }).identifier;
  if (identifier === null || typeof identifier !== "object" || identifier.system !== IDEMPOTENCY_SYSTEM) return null;
  const { value } = identifier;
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw new FhirLedgerError(
      "invalid",
      `Bundle.identifier.value in ${IDEMPOTENCY_SYSTEM} must be a string of 1 to ${MAX_KEY_LENGTH} characters`,
      {
        issues: [
          {
            type: "invalid",
            diagnostics: "idempotency key missing or too long",
            expression: ["Bundle.identifier.value"],
          },
        ],
      },
    );
  }
  return `${IDEMPOTENCY_SYSTEM}|${value}`;
}

function replay(
  earlier: TransactionReceipt,
  receipt: TransactionReceiptKey,
  entryCount: number,
): Record<string, unknown>[] {
  if (earlier.requestHash !== receipt.requestHash) {
    throw new FhirLedgerError(
      "conflict",
      "Bundle.identifier names a transaction committed before with different content; use a new identifier for a new transaction",
    );
  }
  if (earlier.response !== null)
    return JSON.parse(inflateRawSync(earlier.response).toString("utf8")) as Record<string, unknown>[];
  const outcome = informationOutcome(
    `this transaction was committed at ${earlier.committedAt}; its response was not kept`,
  );
  return Array.from({ length: entryCount }, () => ({ response: { status: "200 OK", outcome } }));
}
