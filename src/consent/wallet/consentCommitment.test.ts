import { concat, getBytes, keccak256, toUtf8Bytes } from "ethers";
import { describe, expect, it } from "vitest";
import {
  COMMITMENT_EXTENSION,
  SALT_EXTENSION,
  commitmentExtensions,
  consentCommitment,
  enforceablePart,
  withCommitment,
} from "./consentCommitment.ts";

const SALT = `0x${"11".repeat(32)}`;
const consent = () => ({
  resourceType: "Consent",
  id: "c1",
  meta: { versionId: "3", lastUpdated: "2026-01-01T00:00:00Z" },
  text: { status: "generated", div: "<div>x</div>" },
  status: "proposed",
  scope: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] },
  category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
  patient: { reference: "Patient/p1" },
  provision: {
    type: "permit",
    period: { start: "2026-01-01", end: "2026-12-31" },
    actor: [{ reference: { reference: "Practitioner/d1" } }],
  },
});

describe("consentCommitment", () => {
  it("is keccak256 of the salt followed by the canonical JSON of the enforceable part", () => {
    const c = consent();
    const json =
      '{"category":[{"coding":[{"code":"59284-0","system":"http://loinc.org"}]}],"patient":{"reference":"Patient/p1"},' +
      '"provision":{"actor":[{"reference":{"reference":"Practitioner/d1"}}],"period":{"end":"2026-12-31","start":"2026-01-01"},"type":"permit"},' +
      '"resourceType":"Consent","scope":{"coding":[{"code":"patient-privacy","system":"http://terminology.hl7.org/CodeSystem/consentscope"}]}}';
    expect(consentCommitment(c, SALT)).toBe(keccak256(concat([getBytes(SALT), toUtf8Bytes(json)])));
  });

  it("does not change with id, meta, text, status or its own extensions (approving keeps the commitment)", () => {
    const before = consentCommitment(consent(), SALT);
    const after = withCommitment(
      { ...consent(), id: "other", meta: { versionId: "9" }, text: undefined, status: "active" },
      before,
      SALT,
    );
    delete (after as Record<string, unknown>).text;
    expect(consentCommitment(after, SALT)).toBe(before);
  });

  it("changes with anything that decides access, and with the salt", () => {
    const base = consentCommitment(consent(), SALT);
    const longer = consent();
    longer.provision.period.end = "2027-12-31";
    const otherActor = consent();
    otherActor.provision.actor[0]!.reference.reference = "Practitioner/d2";
    const otherPatient = { ...consent(), patient: { reference: "Patient/p2" } };
    const withDeny = { ...consent(), provision: { ...consent().provision, provision: [{ type: "deny" }] } };
    const otherExtension = { ...consent(), extension: [{ url: "urn:x", valueString: "y" }] };
    for (const changed of [longer, otherActor, otherPatient, withDeny, otherExtension])
      expect(consentCommitment(changed, SALT)).not.toBe(base);
    expect(consentCommitment(consent(), `0x${"12".repeat(32)}`)).not.toBe(base);
  });

  it("refuses a salt that is not 32 bytes of hex", () => {
    for (const salt of ["", "0x11", `${"11".repeat(32)}`, `0x${"1g".repeat(32)}`, `0x${"11".repeat(33)}`])
      expect(() => consentCommitment(consent(), salt)).toThrow(/salt/);
  });

  it("keeps other extensions in the enforceable part and drops an emptied extension array", () => {
    const c = withCommitment(
      { ...consent(), extension: [{ url: "urn:x", valueString: "y" }] },
      `0x${"aa".repeat(32)}`,
      SALT,
    );
    expect(enforceablePart(c).extension).toEqual([{ url: "urn:x", valueString: "y" }]);
    expect("extension" in enforceablePart(withCommitment(consent(), `0x${"aa".repeat(32)}`, SALT))).toBe(false);
  });
});

describe("commitmentExtensions", () => {
  const commitment = `0x${"AB".repeat(32)}`;
  it("reads a well-formed pair, lower-cased", () => {
    expect(commitmentExtensions(withCommitment(consent(), commitment, SALT))).toEqual({
      commitment: commitment.toLowerCase(),
      salt: SALT,
    });
  });

  it("is undefined when one is missing, repeated or malformed", () => {
    const ext = (extension: unknown[]) => commitmentExtensions({ ...consent(), extension });
    expect(commitmentExtensions(consent())).toBeUndefined();
    expect(ext([{ url: COMMITMENT_EXTENSION, valueString: commitment }])).toBeUndefined();
    expect(
      ext([
        { url: COMMITMENT_EXTENSION, valueString: commitment },
        { url: COMMITMENT_EXTENSION, valueString: commitment },
        { url: SALT_EXTENSION, valueString: SALT },
      ]),
    ).toBeUndefined();
    expect(
      ext([
        { url: COMMITMENT_EXTENSION, valueString: "0x1234" },
        { url: SALT_EXTENSION, valueString: SALT },
      ]),
    ).toBeUndefined();
    expect(ext([null, { url: SALT_EXTENSION, valueString: SALT }])).toBeUndefined();
  });

  it("withCommitment replaces an earlier pair", () => {
    const once = withCommitment(consent(), commitment, SALT);
    const twice = withCommitment(once, `0x${"cd".repeat(32)}`, SALT);
    expect((twice.extension as unknown[]).length).toBe(2);
    expect(commitmentExtensions(twice)?.commitment).toBe(`0x${"cd".repeat(32)}`);
  });
});
