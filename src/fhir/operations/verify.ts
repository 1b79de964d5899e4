import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { verifyRecord } from "../../records/verifyRecord.ts";
import type { RecordProof } from "../../records/verifyRecord.ts";
import definition from "../../../fhir-profiles/OperationDefinition-verify.json" with { type: "json" };
import { assertId, assertType, parseVersion } from "../FhirInteractions.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import type { EngineContext } from "../engine/InteractionRoute.ts";
import type { FhirOperation } from "./FhirOperation.ts";
import type { Actor } from "../../auth/Actor.ts";
import type { AccessGuard } from "../engine/AccessGuard.ts";
import { invokedByGetAndPost } from "./invokedByGetAndPost.ts";

/**
 * `$verify`: checks a version (the current one, or `[type]/[id]/_history/[vid]/$verify`)
 * against its blob, leaf, Merkle path and the root on chain, and returns the proof.
 */
export async function verify(
  ctx: Pick<EngineContext, "index" | "ledger" | "records">,
  type: string,
  id: string,
  vid?: string,
  caller?: { actor: Actor; access: AccessGuard | undefined },
): Promise<FhirResult> {
  assertType(type);
  assertId(id);
  let versionId: number;
  if (vid === undefined) {
    const current = await ctx.index.current(type, id);
    if (!current) throw new FhirLedgerError("not-found", `${type}/${id} is not known`);
    versionId = current.versionId;
  } else {
    versionId = parseVersion(vid);
  }
  const version = await ctx.index.version(type, id, versionId);
  if (!version) throw new FhirLedgerError("not-found", `${type}/${id}/_history/${versionId} is not known`);
  const access = caller?.access;
  if (access !== undefined && !access.unrestricted(caller!.actor, type, "r")) {
    // A proof tells that the version exists: only of one within the grant, as a read would.
    const stored = version.deleted ? undefined : await ctx.records.load(version);
    if (stored === undefined || !access.permits(caller!.actor, "r", stored.resource!, stored.row.compartment))
      throw new FhirLedgerError("not-found", `${type}/${id}/_history/${versionId} is not known`);
  }
  const proof = await verifyRecord(version, { index: ctx.index, ledger: ctx.ledger, records: ctx.records });
  return { status: 200, resource: proofToParameters(proof) };
}

export const verifyOperation: FhirOperation = {
  code: "verify",
  definitionUrl: "#verify",
  definition,
  // GET or POST (an empty body, or Parameters without parameters: $verify defines no inputs).
  routes: [
    ...invokedByGetAndPost(
      {
        methods: ["GET"],
        path: "/:type/:id/$verify",
        interactions: ["operation"],
        level: "instance",
        operation: "verify",
        handle: (ctx, actor, p) => verify(ctx, p.type!, p.id!, undefined, { actor, access: ctx.fhir.access }),
      },
      [],
    ),
    ...invokedByGetAndPost(
      {
        methods: ["GET"],
        path: "/:type/:id/_history/:vid/$verify",
        interactions: ["operation"],
        level: "instance",
        operation: "verify",
        handle: (ctx, actor, p) => verify(ctx, p.type!, p.id!, p.vid!, { actor, access: ctx.fhir.access }),
      },
      [],
    ),
  ],
};

function proofToParameters(proof: RecordProof): Record<string, unknown> {
  const p: { name: string; [k: string]: unknown }[] = [
    { name: "verdict", valueCode: proof.verdict },
    { name: "reference", valueString: proof.reference },
    { name: "leafData", valueString: proof.leafData },
    { name: "leafHash", valueString: proof.leafHash },
    { name: "cid", valueString: proof.cid },
    { name: "contentHash", valueString: proof.contentHash },
  ];
  if (proof.reason) p.push({ name: "reason", valueString: proof.reason });
  if (proof.leafIndex !== null) p.push({ name: "leafIndex", valueInteger: proof.leafIndex });
  if (proof.treeSize !== null) p.push({ name: "treeSize", valueInteger: proof.treeSize });
  for (const step of proof.path) p.push({ name: "path", valueString: step });
  if (proof.root) p.push({ name: "root", valueString: proof.root });
  if (proof.prevRoot) p.push({ name: "prevRoot", valueString: proof.prevRoot });
  if (proof.manifestDigest) p.push({ name: "manifestDigest", valueString: proof.manifestDigest });
  if (proof.chainId) p.push({ name: "chainId", valueString: proof.chainId });
  if (proof.contract) p.push({ name: "contract", valueString: proof.contract });
  if (proof.txHash) p.push({ name: "transactionHash", valueString: proof.txHash });
  if (proof.blockNumber !== null) p.push({ name: "blockNumber", valueInteger: proof.blockNumber });
  return { resourceType: "Parameters", parameter: p };
}
