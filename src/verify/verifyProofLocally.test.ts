import { describe, expect, it } from "vitest";
import { parseProof } from "./parseProof.ts";
import { buildProofBatch, sampleObservation } from "./testSupport/proofBatch.ts";
import { verifyProofLocally } from "./verifyProofLocally.ts";
import type { CheckName, CheckStatus } from "./VerificationCheck.ts";

type Parameter = { name: string; [value: string]: unknown };
type Parameters = { resourceType: "Parameters"; parameter: Parameter[] };

const anchor = {
  chainId: "31337",
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  transactionHash: `0x${"ab".repeat(32)}`,
  blockNumber: 7,
};
const batch = buildProofBatch(Array.from({ length: 13 }, (_, i) => sampleObservation(i)));
const INDEX = 5;
const resource = () => structuredClone(batch.resources[INDEX]) as Record<string, unknown>;
const proof = () => structuredClone(batch.proofs(anchor)[INDEX]) as Parameters;

function statuses(result: { checks: { name: CheckName; status: CheckStatus }[] }): Record<string, CheckStatus> {
  return Object.fromEntries(result.checks.map((c) => [c.name, c.status]));
}

/** The proof with one parameter's value replaced (the first one of that name). */
function withParam(name: string, value: unknown): Parameters {
  const p = proof();
  const entry = p.parameter.find((x) => x.name === name)!;
  const key = Object.keys(entry).find((k) => k.startsWith("value"))!;
  entry[key] = value;
  return p;
}

const flip = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);
const ALL_PASS = { contentHash: "pass", leafHash: "pass", inclusionPath: "pass" };

describe("verifyProofLocally", () => {
  it("passes every check for an untouched resource and its proof, and names the resource", () => {
    const result = verifyProofLocally({ resource: resource(), proof: proof() });
    expect(statuses(result)).toEqual(ALL_PASS);
    expect(result.reference).toBe(`Observation/${batch.resources[INDEX]!.id}/_history/1`);
    expect(result.checks.map((c) => c.name)).toEqual(["contentHash", "leafHash", "inclusionPath"]);
  });

  it("passes for every leaf of the batch, whitespace and key order of the resource notwithstanding", () => {
    const proofs = batch.proofs(anchor);
    batch.resources.forEach((r, i) => {
      const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(r).reverse()), null, 2));
      expect(statuses(verifyProofLocally({ resource: reordered, proof: proofs[i] })), `leaf ${i}`).toEqual(ALL_PASS);
    });
  });

  it("accepts the plain RecordProof JSON shape and an already parsed proof", () => {
    const parsed = parseProof(proof());
    const recordProof = {
      ...parsed,
      verdict: "verified",
      reason: null,
      txHash: parsed.transactionHash,
      transactionHash: undefined,
    };
    expect(
      statuses(verifyProofLocally({ resource: resource(), proof: JSON.parse(JSON.stringify(recordProof)) })),
    ).toEqual(ALL_PASS);
    expect(statuses(verifyProofLocally({ resource: resource(), proof: parsed }))).toEqual(ALL_PASS);
  });

  it("a changed field of the resource fails the content hash (and so the leaf and the path)", () => {
    const r = resource();
    r.status = "amended";
    const result = verifyProofLocally({ resource: r, proof: proof() });
    expect(statuses(result)).toEqual({ contentHash: "fail", leafHash: "fail", inclusionPath: "fail" });
    expect(result.checks[0]!.reason).toMatch(/not the stored resource/);
  });

  it("a resource without meta.versionId (not saved as served) fails the leaf check", () => {
    const r = resource();
    delete (r.meta as Record<string, unknown>).versionId;
    const result = verifyProofLocally({ resource: r, proof: proof() });
    expect(statuses(result).leafHash).toBe("fail");
    expect(result.checks[1]!.reason).toMatch(/meta\.versionId/);
  });

  it("the proof of another record fails leaf and path, even with the other record's hashes", () => {
    const other = batch.proofs(anchor)[INDEX + 1]!;
    const result = verifyProofLocally({ resource: resource(), proof: other });
    expect(statuses(result)).toEqual({ contentHash: "fail", leafHash: "fail", inclusionPath: "fail" });
    expect(result.checks[1]!.reason).toMatch(/the proof is for Observation\/.+ but the resource is/);
  });

  it("a resource claiming another version fails the leaf and the path", () => {
    const r = resource();
    (r.meta as Record<string, unknown>).versionId = "2";
    const p = withParam(
      "contentHash",
      verifyProofLocally({ resource: r, proof: proof() }).checks[0]!.reason.match(/hashes to (\w+)/)?.[1] ?? "",
    );
    const result = verifyProofLocally({ resource: r, proof: p });
    expect(statuses(result).leafHash).toBe("fail");
    expect(statuses(result).inclusionPath).toBe("fail");
  });

  const tampered: [string, (p: Parameters) => Parameters, Partial<Record<CheckName, CheckStatus>>][] = [
    [
      "contentHash",
      () => withParam("contentHash", flip(String(parseProof(proof()).contentHash))),
      { contentHash: "fail", leafHash: "pass", inclusionPath: "pass" },
    ],
    [
      "leafHash",
      () => withParam("leafHash", flip(String(parseProof(proof()).leafHash))),
      { contentHash: "pass", leafHash: "fail", inclusionPath: "pass" },
    ],
    [
      "cid",
      () => withParam("cid", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"),
      { contentHash: "pass", leafHash: "fail", inclusionPath: "fail" },
    ],
    [
      "reference",
      () => withParam("reference", "Observation/someone-else/_history/1"),
      { leafHash: "fail", inclusionPath: "pass" },
    ],
    [
      "leafIndex",
      () => withParam("leafIndex", INDEX + 1),
      { contentHash: "pass", leafHash: "pass", inclusionPath: "fail" },
    ],
    // (Some other sizes verify too: RFC 6962 roots do not commit to n. The anchored batch size
    // does, which is why the chain checks compare it with treeSize.)
    ["treeSize", () => withParam("treeSize", 64), { contentHash: "pass", leafHash: "pass", inclusionPath: "fail" }],
    [
      "root",
      () => withParam("root", flip(String(parseProof(proof()).root))),
      { contentHash: "pass", leafHash: "pass", inclusionPath: "fail" },
    ],
    [
      "a path step",
      (p) => {
        p.parameter.find((x) => x.name === "path")!.valueString = flip(
          String(p.parameter.find((x) => x.name === "path")!.valueString),
        );
        return p;
      },
      { inclusionPath: "fail" },
    ],
    [
      "a dropped path step",
      (p) => {
        p.parameter.splice(
          p.parameter.findIndex((x) => x.name === "path"),
          1,
        );
        return p;
      },
      { inclusionPath: "fail" },
    ],
    [
      "the path order",
      (p) => {
        const steps = p.parameter.filter((x) => x.name === "path");
        const rest = p.parameter.filter((x) => x.name !== "path");
        p.parameter = [...rest, ...steps.reverse()];
        return p;
      },
      { inclusionPath: "fail" },
    ],
    ["a malformed root", () => withParam("root", "not hex"), { inclusionPath: "fail" }],
  ];
  for (const [field, tamper, expected] of tampered) {
    it(`a tampered ${field} fails exactly the check that covers it`, () => {
      const result = verifyProofLocally({ resource: resource(), proof: tamper(proof()) });
      expect(statuses(result)).toMatchObject(expected);
      for (const check of result.checks) expect(check.reason.length).toBeGreaterThan(10);
    });
  }

  it("a proof taken before anchoring (no root, no path) fails the path check and says why", () => {
    const p = proof();
    p.parameter = p.parameter.filter((x) => !["path", "root", "leafIndex", "treeSize"].includes(x.name));
    const result = verifyProofLocally({ resource: resource(), proof: p });
    expect(statuses(result)).toEqual({ contentHash: "pass", leafHash: "pass", inclusionPath: "fail" });
    expect(result.checks[2]!.reason).toMatch(/not yet anchored/);
  });

  it("ignores the server's own verdict: a proof claiming verified for a changed resource still fails", () => {
    const r = resource();
    r.effectiveDateTime = "2020-01-01T00:00:00Z";
    expect(statuses(verifyProofLocally({ resource: r, proof: proof() })).contentHash).toBe("fail");
  });

  it("rejects input that is not a proof at all, and fails (not throws) on a resource that is not JSON data", () => {
    expect(() => verifyProofLocally({ resource: resource(), proof: { resourceType: "Patient" } })).toThrow(/neither/);
    expect(() => verifyProofLocally({ resource: resource(), proof: [] })).toThrow(/not a JSON object/);
    const result = verifyProofLocally({ resource: "just a string", proof: proof() });
    expect(statuses(result)).toEqual({ contentHash: "fail", leafHash: "fail", inclusionPath: "unchecked" });
  });
});

describe("parseProof", () => {
  it("reads every field of the Parameters form, path steps in order", () => {
    const p = proof();
    const parsed = parseProof(p);
    expect(parsed.path).toEqual(p.parameter.filter((x) => x.name === "path").map((x) => x.valueString));
    expect(parsed).toMatchObject({
      leafIndex: INDEX,
      treeSize: 13,
      chainId: "31337",
      contract: anchor.contract,
      transactionHash: anchor.transactionHash,
      blockNumber: 7,
    });
  });

  it("caps the number of parameters and path steps a file may hold", () => {
    const p = proof();
    p.parameter.push(...Array.from({ length: 200 }, () => ({ name: "path", valueString: "00".repeat(32) })));
    expect(() => parseProof(p)).toThrow(/more than/);
  });
});
