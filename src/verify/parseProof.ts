import { FhirLedgerError } from "../errors/FhirLedgerError.ts";

/**
 * A `$verify` proof reduced to its fields, whichever form it came in. Values are taken as
 * written (trimmed strings, integers); each check validates the fields it uses, so a
 * malformed field fails that check with a reason instead of failing the whole proof.
 */
export interface ParsedProof {
  reference: string | null;
  leafData: string | null;
  leafHash: string | null;
  cid: string | null;
  contentHash: string | null;
  leafIndex: number | null;
  treeSize: number | null;
  /** Sibling hashes, leaf to root, in order. */
  path: string[];
  root: string | null;
  prevRoot: string | null;
  manifestDigest: string | null;
  chainId: string | null;
  contract: string | null;
  transactionHash: string | null;
  blockNumber: number | null;
}

/** More parameters than any proof has (16 names plus a path of at most 64 steps). */
const MAX_PARAMETERS = 128;
const MAX_PATH = 64;

type Field = Exclude<keyof ParsedProof, "path">;
const STRING_FIELDS = [
  "reference",
  "leafData",
  "leafHash",
  "cid",
  "contentHash",
  "root",
  "prevRoot",
  "manifestDigest",
  "chainId",
  "contract",
  "transactionHash",
] as const;
const INTEGER_FIELDS = ["leafIndex", "treeSize", "blockNumber"] as const;

/**
 * Reads a proof as returned by `GET [type]/[id]/_history/[vid]/$verify` (a FHIR Parameters
 * resource) or as the plain RecordProof JSON (`txHash` or `transactionHash`).
 * Throws FhirLedgerError "invalid" when the input is neither.
 */
export function parseProof(input: unknown): ParsedProof {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new FhirLedgerError("invalid", "proof is not a JSON object");
  }
  const record = input as Record<string, unknown>;
  const values = new Map<string, unknown>();
  const path: unknown[] = [];
  if (record.resourceType === "Parameters") {
    const parameters = record.parameter;
    if (!Array.isArray(parameters)) throw new FhirLedgerError("invalid", "proof Parameters has no parameter list");
    if (parameters.length > MAX_PARAMETERS)
      throw new FhirLedgerError("invalid", `proof Parameters has more than ${MAX_PARAMETERS} parameters`);
    for (const p of parameters as unknown[]) {
      if (p === null || typeof p !== "object") continue;
      const { name, ...rest } = p as Record<string, unknown>;
      if (typeof name !== "string") continue;
      const key = Object.keys(rest).find((k) => k.startsWith("value"));
      const value = key === undefined ? undefined : rest[key];
      if (name === "path") path.push(value);
      else if (!values.has(name)) values.set(name, value);
    }
  } else if (record.resourceType === undefined && ("leafHash" in record || "reference" in record)) {
    for (const [name, value] of Object.entries(record)) values.set(name, value);
    if (!values.has("transactionHash")) values.set("transactionHash", record.txHash);
    if (Array.isArray(record.path)) path.push(...(record.path as unknown[]));
  } else {
    throw new FhirLedgerError("invalid", "proof is neither a $verify Parameters resource nor a RecordProof object");
  }
  if (path.length > MAX_PATH) throw new FhirLedgerError("invalid", `proof path has more than ${MAX_PATH} steps`);

  const proof = { path: path.map((step) => (typeof step === "string" ? step.trim() : "")) } as ParsedProof;
  for (const field of STRING_FIELDS) proof[field] = asString(values.get(field));
  for (const field of INTEGER_FIELDS) proof[field] = asInteger(values.get(field));
  parsed.add(proof);
  return proof satisfies Record<Field | "path", unknown>;
}

const parsed = new WeakSet<ParsedProof>();

/** True for objects returned by {@link parseProof} (so callers may pass either form). */
export function isParsedProof(value: unknown): value is ParsedProof {
  return value !== null && typeof value === "object" && parsed.has(value as ParsedProof);
}

function asString(value: unknown): string | null {
  if (typeof value === "string") return value.trim() || null;
  // chainId may arrive as a number from hand-written proofs.
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return null;
}

function asInteger(value: unknown): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : null;
  if (typeof value === "string" && /^[0-9]{1,15}$/.test(value.trim())) return Number(value.trim());
  return null;
}
