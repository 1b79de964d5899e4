/**
 * The Bundle.identifier system that asks for exactly-once processing of a transaction (see
 * runTransactionOnce); the import CLI sends its keys in it. Other identifiers are processed as
 * before: existing clients may reuse a source system's identifier on bundles that are meant to
 * be applied each time.
 */
export const IDEMPOTENCY_SYSTEM = "urn:fhirledger:idempotency";
