/**
 * The OperationDefinitions of this server's own operations, `$verify` and `$erase`. The
 * CapabilityStatement carries them as contained resources and points at them with `#verify`
 * and `#erase`, so every definition it names can be read where it is named.
 * @see https://hl7.org/fhir/R4/operationdefinition.html
 * @see https://hl7.org/fhir/R4/references.html#canonical
 */
export function operationDefinitions(): Record<string, unknown>[] {
  const out = (name: string, type: string, min: number, max: string, documentation: string) => ({
    name,
    use: "out",
    min,
    max,
    type,
    documentation,
  });
  return [
    {
      resourceType: "OperationDefinition",
      id: "verify",
      name: "Verify",
      title: "Verify a stored version against the ledger",
      status: "active",
      kind: "operation",
      description:
        "Checks a version (the current one, or [type]/[id]/_history/[vid]/$verify) against its encrypted blob, content hash, Merkle leaf, inclusion path and the root anchored on chain, and returns the verdict with the proof.",
      affectsState: false,
      code: "verify",
      resource: ["Resource"],
      system: false,
      type: false,
      instance: true,
      parameter: [
        out("verdict", "code", 1, "1", "verified, pending (not anchored yet) or mismatch"),
        out("reference", "string", 1, "1", "[type]/[id]/_history/[vid] of the version checked"),
        out("leafData", "string", 1, "1", "the data hashed into the Merkle leaf"),
        out("leafHash", "string", 1, "1", "the Merkle leaf"),
        out("cid", "string", 1, "1", "where the encrypted version is stored in IPFS"),
        out("contentHash", "string", 1, "1", "SHA-256 of the canonical JSON of the version"),
        out("reason", "string", 0, "1", "why the verdict is not verified"),
        out("leafIndex", "integer", 0, "1", "position of the leaf in the log"),
        out("treeSize", "integer", 0, "1", "size of the anchored tree"),
        out("path", "string", 0, "*", "the inclusion path, leaf to root"),
        out("root", "string", 0, "1", "the anchored Merkle root"),
        out("prevRoot", "string", 0, "1", "the root anchored before it"),
        out("manifestDigest", "string", 0, "1", "digest of the batch manifest"),
        out("chainId", "string", 0, "1", "chain the root was anchored on"),
        out("contract", "string", 0, "1", "RecordAnchor contract address"),
        out("transactionHash", "string", 0, "1", "the anchoring transaction"),
        out("blockNumber", "integer", 0, "1", "the block of the anchoring transaction"),
      ],
    },
    {
      resourceType: "OperationDefinition",
      id: "erase",
      name: "Erase",
      title: "Erase a patient's data (crypto-shredding)",
      status: "active",
      kind: "operation",
      description:
        "Administrators only: destroys the data keys, index rows and blobs of the patient's compartment. An AuditEvent without clinical content remains; the anchored hashes stay on chain but no longer lead to any data.",
      affectsState: true,
      code: "erase",
      resource: ["Patient"],
      system: false,
      type: false,
      instance: true,
      parameter: [
        {
          name: "reason",
          use: "in",
          min: 1,
          max: "1",
          type: "string",
          documentation: "why the patient is erased (at least 3 characters); kept in the AuditEvent",
        },
        out("erasedResources", "integer", 1, "1", "resources erased"),
        out("erasedVersions", "integer", 1, "1", "versions erased"),
        out("deletedBlobs", "integer", 1, "1", "blobs deleted"),
        out("destroyedKeys", "integer", 1, "1", "data keys destroyed"),
        out("auditEvent", "Reference", 1, "1", "the AuditEvent recording the erasure"),
      ],
    },
  ];
}
