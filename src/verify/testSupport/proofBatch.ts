import { canonicalJson } from "../../crypto/canonicalJson.ts";
import { toHex } from "../../crypto/hex.ts";
import { sha256 } from "../../crypto/sha256.ts";
import { rawCid } from "../../adapters/blob/rawCid.ts";
import { inclusionProofs } from "../../merkle/inclusionProofs.ts";
import { merkleRoot } from "../../merkle/merkleRoot.ts";
import { recordLeafData, recordLeafHash } from "../../records/leaf.ts";
import type { Resource } from "../../fhir/types/r4.ts";

/** A resource before the server assigns id and meta. */
export type ResourceBody = { resourceType: string; [element: string]: unknown };

/** Where the batch root sits on chain; made up unless the caller anchored it. */
export interface BatchAnchor {
  chainId: string;
  contract: string;
  transactionHash: string;
  blockNumber: number;
}

export interface ProofBatch {
  root: Uint8Array;
  manifestDigest: Uint8Array;
  prevRoot: Uint8Array;
  /** The resources as a server would serve them (id and meta set). */
  resources: Resource[];
  /** Per resource, the $verify Parameters a server would return once anchored. */
  proofs(anchor: BatchAnchor): Record<string, unknown>[];
}

/**
 * One batch built the way the server builds it (canonical JSON → SHA-256 → record leaf →
 * RFC 6962 tree), for tests and the bench. The CID stands in for the encrypted envelope's.
 */
export function buildProofBatch(bodies: readonly ResourceBody[], options: { lastUpdated?: string } = {}): ProofBatch {
  const lastUpdated = options.lastUpdated ?? "2026-11-26T03:00:00.000Z";
  const resources = bodies.map(
    (body, i): Resource => ({
      ...body,
      id: `r${i.toString(36)}-${body.resourceType.toLowerCase()}`,
      meta: { versionId: "1", lastUpdated },
    }),
  );
  const rows = resources.map((resource) => {
    const plaintext = new TextEncoder().encode(canonicalJson(resource));
    const contentHash = toHex(sha256(plaintext));
    const cid = rawCid(sha256(`envelope of ${resource.id}`)).toString();
    const leaf = { type: resource.resourceType, id: resource.id as string, versionId: "1", cid, contentHash };
    return { leaf, leafHash: recordLeafHash(leaf), leafData: new TextDecoder().decode(recordLeafData(leaf)) };
  });
  const leafHashes = rows.map((r) => r.leafHash);
  const root = merkleRoot(leafHashes);
  const paths = inclusionProofs(leafHashes);
  const manifestDigest = sha256(`manifest of ${toHex(root)}`);
  const prevRoot = new Uint8Array(32);
  const proofs = (anchor: BatchAnchor) =>
    rows.map(({ leaf, leafHash, leafData }, index) => ({
      resourceType: "Parameters",
      parameter: [
        { name: "verdict", valueCode: "verified" },
        { name: "reference", valueString: `${leaf.type}/${leaf.id}/_history/${leaf.versionId}` },
        { name: "leafData", valueString: leafData },
        { name: "leafHash", valueString: toHex(leafHash) },
        { name: "cid", valueString: leaf.cid },
        { name: "contentHash", valueString: leaf.contentHash },
        { name: "leafIndex", valueInteger: index },
        { name: "treeSize", valueInteger: rows.length },
        ...(paths[index] as Uint8Array[]).map((step) => ({ name: "path", valueString: toHex(step) })),
        { name: "root", valueString: toHex(root) },
        { name: "prevRoot", valueString: toHex(prevRoot) },
        { name: "manifestDigest", valueString: toHex(manifestDigest) },
        { name: "chainId", valueString: anchor.chainId },
        { name: "contract", valueString: anchor.contract },
        { name: "transactionHash", valueString: anchor.transactionHash },
        { name: "blockNumber", valueInteger: anchor.blockNumber },
      ],
    }));
  return { root, manifestDigest, prevRoot, resources, proofs };
}

/** A realistic Observation of about 1 KB of canonical JSON. */
export function sampleObservation(i: number): ResourceBody {
  return {
    resourceType: "Observation",
    status: "final",
    category: [
      {
        coding: [
          {
            system: "http://terminology.hl7.org/CodeSystem/observation-category",
            code: "vital-signs",
            display: "Vital Signs",
          },
        ],
      },
    ],
    code: {
      coding: [
        { system: "http://loinc.org", code: "85354-9", display: "Blood pressure panel with all children optional" },
      ],
      text: "Blood pressure systolic & diastolic",
    },
    subject: { reference: `Patient/p${i % 977}`, display: `Patient number ${i % 977}` },
    encounter: { reference: `Encounter/e${i}` },
    effectiveDateTime: `2026-11-${String(1 + (i % 28)).padStart(2, "0")}T09:${String(i % 60).padStart(2, "0")}:00Z`,
    performer: [{ reference: `Practitioner/pr${i % 31}` }],
    interpretation: [
      {
        coding: [
          {
            system: "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
            code: "N",
            display: "Normal",
          },
        ],
      },
    ],
    bodySite: { coding: [{ system: "http://snomed.info/sct", code: "368209003", display: "Right arm" }] },
    component: [
      {
        code: { coding: [{ system: "http://loinc.org", code: "8480-6", display: "Systolic blood pressure" }] },
        valueQuantity: { value: 100 + (i % 60), unit: "mmHg", system: "http://unitsofmeasure.org", code: "mm[Hg]" },
      },
      {
        code: { coding: [{ system: "http://loinc.org", code: "8462-4", display: "Diastolic blood pressure" }] },
        valueQuantity: { value: 60 + (i % 40), unit: "mmHg", system: "http://unitsofmeasure.org", code: "mm[Hg]" },
      },
    ],
    note: [{ text: "Measured seated after five minutes of rest; cuff size adult regular." }],
  };
}
