import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryBlobStore } from "../../adapters/blob/MemoryBlobStore.ts";
import { SqliteIndex } from "../../adapters/index/sqlite/SqliteIndex.ts";
import { sqliteSearchIndexer } from "../../adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { FileKeyStore } from "../../adapters/keys/FileKeyStore.ts";
import type { Actor } from "../../auth/Actor.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { compartmentOf, patientNamesOf } from "../../fhir/resource/compartmentOf.ts";
import type { Resource } from "../../fhir/types/r4.ts";
import { RecordRepository } from "../../records/RecordRepository.ts";
import type { FhirResource } from "../../records/RecordRepository.ts";
import { ConsentDirectory, honouringClosingDenies } from "./ConsentDirectory.ts";
import type { ConsentDirectoryOptions, WalletConsentCheck } from "./ConsentDirectory.ts";

const SCOPE = { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] };

/** A counting Consent of `patient` unless `extra` says otherwise. */
function consent(id: string, patient: string, provision: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    resourceType: "Consent",
    id,
    status: "active",
    scope: SCOPE,
    category: [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }],
    patient: { reference: `Patient/${patient}` },
    provision,
    ...extra,
  } as FhirResource;
}
const actorRef = (reference: string) => ({ reference: { reference } });
const dr = (id: string, extra: Partial<Actor> = {}): Actor => ({
  id: `user-${id}`,
  role: "practitioner",
  scopes: ["user/*.rs"],
  fhirUser: `Practitioner/${id}`,
  ...extra,
});

describe("ConsentDirectory", () => {
  let dir: string;
  let index: SqliteIndex;
  let keys: FileKeyStore;
  let records: RecordRepository;
  let directory: ConsentDirectory | undefined;
  const put = async (...resources: FhirResource[]) => {
    for (const r of resources) await records.write(r.resourceType, String(r.id), r);
  };
  const open = async (options: Partial<ConsentDirectoryOptions> = {}) => {
    directory = await ConsentDirectory.open({ index, records, ...options });
    return directory;
  };
  /** The ids of the Consents handed to `actor`, sorted. */
  const idsFor = async (actor: Actor, d = directory!) =>
    (await d.consentsFor(actor)).consents.map((c) => String(c.id)).sort();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "consent-directory-"));
    index = new SqliteIndex({ path: ":memory:", search: sqliteSearchIndexer });
    keys = await FileKeyStore.open({ dir });
    records = new RecordRepository({
      index,
      blobs: new MemoryBlobStore(),
      keys,
      compartmentOf: (r) => compartmentOf(r as Resource),
      compartmentsOf: (r) => patientNamesOf(r as Resource),
    });
    await put({ resourceType: "Patient", id: "p1" }, { resourceType: "Patient", id: "p2" });
  });
  afterEach(async () => {
    directory?.close();
    directory = undefined;
    index.close();
    await keys.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("loads the counting Consents at start and hands each to the accessors its root provision names", async () => {
    await put(
      consent("to-a", "p1", { type: "permit", actor: [actorRef("Practitioner/a")] }),
      consent("to-b", "p2", { type: "permit", actor: [actorRef("Practitioner/b")] }),
      // no actor at the root (a nested one does not narrow who it may decide for): everyone
      consent("all", "p2", { type: "deny", provision: [{ type: "permit", actor: [actorRef("Practitioner/b")] }] }),
      // these count for nothing
      consent("proposed", "p1", { actor: [actorRef("Practitioner/a")] }, { status: "proposed" }),
      consent("other-scope", "p1", {}, { scope: { coding: [{ code: "treatment" }] } }),
      (({ provision: _, ...rest }) => rest as FhirResource)(consent("no-provision", "p1", {})),
      consent("no-patient", "p1", {}, { patient: { display: "somebody" } }),
    );
    const d = await open();
    expect(await idsFor(dr("a"))).toEqual(["all", "to-a"]);
    expect(await idsFor(dr("b"))).toEqual(["all", "to-b"]);
    expect(await idsFor({ id: "sys", role: "system", scopes: ["system/*.rs"] })).toEqual(["all"]);
    const answer = await d.consentsFor(dr("a", { purposeOfUse: "ETREAT" }));
    expect(answer.accessor).toEqual({ fhirUser: "Practitioner/a", memberships: [], purpose: "ETREAT" });
    expect((await d.consentsFor(dr("a"))).accessor.purpose).toBe("TREAT");
  });

  it("sees an approval, a revocation and a delete on the request after the write, with a new version", async () => {
    const d = await open();
    const v0 = d.version();
    await put(consent("c1", "p1", { actor: [actorRef("Practitioner/a")] }, { status: "proposed" }));
    expect(await idsFor(dr("a"))).toEqual([]);
    await put(consent("c1", "p1", { actor: [actorRef("Practitioner/a")] })); // the patient approves
    expect(await idsFor(dr("a"))).toEqual(["c1"]);
    const v1 = d.version();
    expect(v1).toBeGreaterThan(v0);
    await put(consent("c1", "p1", { actor: [actorRef("Practitioner/a")] }, { status: "inactive" })); // revoked
    expect(await idsFor(dr("a"))).toEqual([]);
    expect(d.version()).toBeGreaterThan(v1);
    await put(consent("c2", "p1", { actor: [actorRef("Practitioner/a")] }));
    await records.delete("Consent", "c2");
    expect(await idsFor(dr("a"))).toEqual([]);
    // a root actor moved from a to b: a no longer gets it
    await put(consent("c3", "p1", { actor: [actorRef("Practitioner/a")] }));
    await put(consent("c3", "p1", { actor: [actorRef("Practitioner/b")] }));
    expect(await idsFor(dr("a"))).toEqual([]);
    expect(await idsFor(dr("b"))).toEqual(["c3"]);
  });

  it("matches an accessor through its roles, their organizations and the care teams it is a member of", async () => {
    await put(
      {
        resourceType: "PractitionerRole",
        id: "r1",
        practitioner: { reference: "Practitioner/a" },
        organization: { reference: "Organization/o1" },
      },
      // an inactive role names the practitioner, and brings no organization
      {
        resourceType: "PractitionerRole",
        id: "r2",
        active: false,
        practitioner: { reference: "Practitioner/a" },
        organization: { reference: "Organization/o2" },
      },
      {
        resourceType: "CareTeam",
        id: "t1",
        status: "active",
        participant: [{ member: { reference: "Practitioner/a" } }],
      },
      {
        resourceType: "CareTeam",
        id: "t2",
        status: "inactive",
        participant: [{ member: { reference: "Practitioner/a" } }],
      },
      consent("by-org", "p1", { actor: [actorRef("Organization/o1")] }),
      consent("by-org2", "p1", { actor: [actorRef("Organization/o2")] }),
      consent("by-team", "p2", { actor: [actorRef("CareTeam/t1")] }),
      consent("by-team2", "p2", { actor: [actorRef("CareTeam/t2")] }),
      consent("by-role", "p2", { actor: [actorRef("PractitionerRole/r2")] }),
    );
    const d = await open();
    expect((await d.consentsFor(dr("a"))).accessor.memberships).toEqual([
      "Organization/o1",
      "PractitionerRole/r1",
      "PractitionerRole/r2",
      "CareTeam/t1",
    ]);
    expect(await idsFor(dr("a"))).toEqual(["by-org", "by-role", "by-team"]);
    expect(await idsFor(dr("b"))).toEqual([]);
    // the team changes: a leaves, b joins, and the next request knows it
    await put({
      resourceType: "CareTeam",
      id: "t1",
      status: "active",
      participant: [{ member: { reference: "Practitioner/b" } }],
    });
    expect(await idsFor(dr("a"))).toEqual(["by-org", "by-role"]);
    expect(await idsFor(dr("b"))).toEqual(["by-team"]);
    await records.delete("PractitionerRole", "r1");
    expect(await idsFor(dr("a"))).toEqual(["by-role"]);
  });

  it("drops permits out of their period and keeps denies for the decision to judge", async () => {
    let now = new Date("2026-06-01T12:00:00Z");
    await put(
      consent("expired", "p1", { actor: [actorRef("Practitioner/a")], period: { end: "2026-05-01" } }),
      consent("future", "p1", { actor: [actorRef("Practitioner/a")], period: { start: "2026-07-01T00:00:00Z" } }),
      consent("current", "p1", {
        actor: [actorRef("Practitioner/a")],
        period: { start: "2026-01-01", end: "2026-06-01" },
      }),
      consent("expired-deny", "p1", {
        type: "deny",
        actor: [actorRef("Practitioner/a")],
        period: { end: "2026-05-01" },
      }),
    );
    await open({ now: () => now });
    expect(await idsFor(dr("a"))).toEqual(["current", "expired-deny"]);
    now = new Date("2026-07-02T00:00:00Z"); // no write: time alone moves the periods
    expect(await idsFor(dr("a"))).toEqual(["expired-deny", "future"]);
  });

  it("follows an erasure: the erased patient's Consents are gone", async () => {
    await put(consent("c1", "p1", { actor: [actorRef("Practitioner/a")] }), consent("c2", "p2", {}));
    await open();
    expect(await idsFor(dr("a"))).toEqual(["c1", "c2"]);
    await records.eraseCompartment("Patient/p1", async () => ({ resources: [] }));
    expect(await idsFor(dr("a"))).toEqual(["c2"]);
  });

  it("for a patient with a linked wallet, hands out only the Consents the wallet check honours; its version is part of the directory's", async () => {
    let walletVersion = 7;
    const wallet: WalletConsentCheck = {
      walletOf: (patient) => (patient === "Patient/p1" ? "0xabc" : undefined),
      honoured: (c, address, now) => address === "0xabc" && c.id === "signed" && now.getTime() > 0,
      version: () => walletVersion,
    };
    await put(
      consent("signed", "p1", {}),
      consent("operator-made", "p1", {}),
      consent("operator-deny", "p1", { type: "deny" }),
      consent("no-wallet", "p2", {}),
    );
    const d = await open({ wallet });
    expect(await idsFor(dr("a"))).toEqual(["no-wallet", "signed"]);
    const v = d.version();
    walletVersion += 1; // a chain event
    expect(d.version()).toBe(v + 1);
  });

  it("a patient past the per-patient cap is closed by one deny in place of all their Consents, until they are fewer", async () => {
    await put(
      consent("c1", "p1", { actor: [actorRef("Practitioner/a")] }),
      consent("c2", "p1", { actor: [actorRef("Practitioner/a")] }),
      consent("c3", "p2", { actor: [actorRef("Practitioner/a")] }),
    );
    const d = await open({ limits: { maxConsentsPerPatient: 2 } });
    expect(await idsFor(dr("a"))).toEqual(["c1", "c2", "c3"]);
    await put(consent("c4", "p1", { type: "deny", actor: [actorRef("Practitioner/z")] }));
    const { consents } = await d.consentsFor(dr("a"));
    expect(consents.map((c) => c.id)).toEqual(["c3", expect.stringMatching(/^closed-/)]);
    expect(consents[1]).toMatchObject({
      status: "active",
      patient: { reference: "Patient/p1" },
      provision: { type: "deny" },
    });
    await records.delete("Consent", "c4");
    expect(await idsFor(dr("a"))).toEqual(["c1", "c2", "c3"]);
  });

  it("Consents whose period is over (past break-glasses) do not count toward the per-patient cap", async () => {
    let now = new Date("2026-06-01T12:00:00Z");
    const glass = (id: string, end: string) =>
      consent(id, "p1", { actor: [actorRef("Practitioner/z")], period: { start: "2026-01-01T00:00:00Z", end } });
    await put(
      glass("g1", "2026-05-01T00:00:00Z"),
      glass("g2", "2026-05-02T00:00:00Z"),
      glass("g3", "2026-06-01T13:00:00Z"),
      consent("c1", "p1", { actor: [actorRef("Practitioner/a")] }),
    );
    const d = await open({ limits: { maxConsentsPerPatient: 2 }, now: () => now });
    expect(await idsFor(dr("a"))).toEqual(["c1"]); // 2 current: g3 and c1
    await put(consent("c2", "p1", { actor: [actorRef("Practitioner/a")] })); // 3 current
    expect((await d.consentsFor(dr("a"))).consents.map((c) => String(c.id).replace(/-.*/, ""))).toEqual(["closed"]);
    now = new Date("2026-06-01T14:00:00Z"); // g3 ends: 2 current again, without a write
    expect(await idsFor(dr("a"))).toEqual(["c1", "c2"]);
  });

  it("the decision's wallet check honours the directory's closing denies, and nothing shaped like one", async () => {
    const wallet: WalletConsentCheck = {
      walletOf: (patient) => (patient === "Patient/p1" ? "0xabc" : undefined),
      honoured: (c) => String(c.id).startsWith("signed"),
      version: () => 0,
    };
    await put(consent("signed-1", "p1", {}), consent("signed-2", "p1", {}));
    const d = await open({ wallet, limits: { maxConsentsPerPatient: 1 } });
    const [closing] = (await d.consentsFor(dr("a"))).consents;
    expect(String(closing!.id)).toMatch(/^closed-/);
    const check = honouringClosingDenies(wallet);
    const now = new Date();
    expect(check.honoured(closing!, "0xabc", now)).toBe(true);
    // a stored Consent copied from it (an operator's forgery) is asked of the wallet
    expect(check.honoured(structuredClone(closing!), "0xabc", now)).toBe(false);
    expect(check.honoured({ id: "signed-1" }, "0xabc", now)).toBe(true);
    expect(check.walletOf("Patient/p1")).toBe("0xabc");
  });

  it("past the per-accessor cap keeps the newest permits and every Consent that may deny", async () => {
    let clock = Date.parse("2026-01-01T00:00:00Z");
    records = new RecordRepository({
      index,
      blobs: new MemoryBlobStore(),
      keys,
      compartmentOf: (r) => compartmentOf(r as Resource),
      now: () => new Date((clock += 1000)),
    });
    for (const id of ["old", "mid", "new"]) await put(consent(id, "p1", { actor: [actorRef("Practitioner/a")] }));
    await put(consent("deny1", "p2", { type: "deny", actor: [actorRef("Practitioner/a")] }));
    await put(consent("deny2", "p2", { actor: [actorRef("Practitioner/a")], provision: [{ type: "deny" }] }));
    await open({ limits: { maxPermitsPerActor: 2 } });
    expect(await idsFor(dr("a"))).toEqual(["deny1", "deny2", "mid", "new"]);
  });

  it("past the membership cap, a Consent that may deny through a membership left out closes its patient for that accessor", async () => {
    await put(
      { resourceType: "PractitionerRole", id: "r1", practitioner: { reference: "Practitioner/a" } },
      { resourceType: "CareTeam", id: "t1", participant: [{ member: { reference: "Practitioner/a" } }] },
      // root permits everyone, the team is excepted: without the team a would slip through
      consent("team-denied", "p1", { type: "permit", provision: [{ type: "deny", actor: [actorRef("CareTeam/t1")] }] }),
      consent("team-permitted", "p2", { actor: [actorRef("CareTeam/t1")] }),
    );
    const d = await open({ limits: { maxMembershipsPerActor: 1 } });
    const answer = await d.consentsFor(dr("a"));
    expect(answer.accessor.memberships).toEqual(["PractitionerRole/r1"]);
    expect(answer.consents.map((c) => [c.id, (c.patient as { reference: string }).reference])).toEqual([
      [expect.stringMatching(/^closed-/), "Patient/p1"],
    ]);
    // under the cap both decide as written
    directory!.close();
    expect(await idsFor(dr("a"), await open())).toEqual(["team-denied", "team-permitted"]);
  });

  it("closes the compartment of a patient one of whose Consents fails its integrity check at load", async () => {
    await put(consent("good", "p2", {}), consent("tampered", "p1", { type: "deny" }), consent("fine", "p1", {}));
    const d = await open({
      records: {
        observeCommits: (types, observer) => records.observeCommits(types, observer),
        load: async (row) => {
          if (row.id === "tampered") throw new FhirLedgerError("integrity", "stored record failed its integrity check");
          return records.load(row);
        },
      },
    });
    const { consents } = await d.consentsFor(dr("a"));
    expect(
      consents.map((c) => [String(c.id).replace(/-.*/, ""), (c.patient as { reference: string }).reference]),
    ).toEqual([
      ["good", "Patient/p2"],
      ["closed", "Patient/p1"],
    ]);
    // written again (readable), it decides as written
    await put(consent("tampered", "p1", { type: "deny", actor: [actorRef("Practitioner/z")] }));
    expect(await idsFor(dr("a"))).toEqual(["fine", "good"]);
  });

  it("a commit it could not apply makes it read everything again before its next answer", async () => {
    let broken = false;
    const d = await open({
      records: {
        load: (row) => records.load(row),
        observeCommits: (types, observer) =>
          records.observeCommits(types, (event) =>
            // a failure while applying this commit, as a bug or an exhausted heap would cause
            observer(broken ? ({ kind: "write", changes: null } as never) : event),
          ),
      },
    });
    await put(consent("c1", "p1", { actor: [actorRef("Practitioner/a")] }));
    expect(await idsFor(dr("a"))).toEqual(["c1"]);
    broken = true;
    await put(consent("c1", "p1", { actor: [actorRef("Practitioner/a")] }, { status: "inactive" }));
    broken = false;
    const before = d.version();
    expect(await idsFor(dr("a"))).toEqual([]); // the revocation holds all the same
    expect(d.version()).toBeGreaterThan(before);
  });

  it("loads more Consents than one index page holds", async () => {
    const many = Array.from({ length: 1003 }, (_, i) =>
      consent(`c${i}`, "p1", { actor: [actorRef("Practitioner/a")] }),
    );
    await records.writeAll(
      many.map((r) => ({ kind: "write" as const, type: "Consent", id: String(r.id), resource: r })),
    );
    await open({ limits: { maxConsentsPerPatient: 2000 } });
    expect((await idsFor(dr("a"))).length).toBe(1003);
  });
});
