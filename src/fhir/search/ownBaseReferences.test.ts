import { describe, expect, it } from "vitest";
import { extractSearchValues } from "./extractSearchValues.ts";
import { localizeReferenceRows, localizeSearchRequest, relativeToOwnBase } from "./ownBaseReferences.ts";
import { parseSearchRequest } from "./parseSearchRequest.ts";

const BASE = "http://127.0.0.1:8090";

describe("relativeToOwnBase", () => {
  it("makes a reference to this server relative, with or without a version", () => {
    expect(relativeToOwnBase(`${BASE}/Patient/s-p2`, BASE)).toBe("Patient/s-p2");
    expect(relativeToOwnBase(`${BASE}/Patient/s-p2/_history/3`, BASE)).toBe("Patient/s-p2/_history/3");
    expect(relativeToOwnBase("https://fhir.example.org/r4/Patient/1", "https://fhir.example.org/r4")).toBe("Patient/1");
  });

  it("leaves other servers, look-alike bases, non-references and an unknown base alone", () => {
    for (const ref of [
      "http://other.example.org/Patient/s-p2", // another server
      "http://127.0.0.1:80900/Patient/s-p2", // a base that merely starts like ours
      `${BASE}/NotAType/1`,
      `${BASE}/Patient`,
      `${BASE}/Patient/1?x=y`,
      "Patient/s-p2",
      "urn:uuid:0b1c0a5e-0000-4000-8000-000000000000",
      "#contained",
    ])
      expect(relativeToOwnBase(ref, BASE), ref).toBe(ref);
    expect(relativeToOwnBase(`${BASE}/Patient/1`, "")).toBe(`${BASE}/Patient/1`);
  });
});

describe("localizeReferenceRows", () => {
  const observation = (...subjects: string[]) => ({
    resourceType: "Observation",
    status: "final",
    code: { text: "x" },
    subject: { reference: subjects[0] },
    focus: subjects.slice(1).map((reference) => ({ reference })),
  });
  const refRows = (rows: ReturnType<typeof extractSearchValues>, param: string) =>
    rows.filter((r) => r.kind === "reference" && r.param === param);

  it("indexes a reference under the own base exactly like the relative one", () => {
    const absolute = localizeReferenceRows(extractSearchValues(observation(`${BASE}/Patient/s-p2`)), BASE);
    const relative = extractSearchValues(observation("Patient/s-p2"));
    expect(absolute).toEqual(relative);
    expect(localizeReferenceRows(extractSearchValues(observation(`${BASE}/Patient/s-p2/_history/1`)), BASE)).toEqual(
      relative,
    );
  });

  it("keeps external references as URLs and one row for a target cited both ways", () => {
    const rows = localizeReferenceRows(
      extractSearchValues(observation("http://other.example.org/Patient/9", `${BASE}/Patient/s-p2`, "Patient/s-p2")),
      BASE,
    );
    expect(refRows(rows, "subject")).toEqual([
      {
        kind: "reference",
        param: "subject",
        grp: 0,
        targetType: null,
        targetId: null,
        url: "http://other.example.org/Patient/9",
      },
    ]);
    expect(refRows(rows, "focus")).toEqual([
      { kind: "reference", param: "focus", grp: 0, targetType: "Patient", targetId: "s-p2", url: null },
    ]);
  });

  it("returns the very rows when nothing refers to the own base", () => {
    const rows = extractSearchValues(observation("Patient/s-p2"));
    expect(localizeReferenceRows(rows, BASE)).toBe(rows);
  });
});

describe("localizeSearchRequest", () => {
  const parse = (type: string, query: string) => parseSearchRequest(type, new URLSearchParams(query));

  it("makes own-base values relative in parameters, type modifiers, chains and _has", () => {
    for (const [type, absolute, relative] of [
      [
        "Observation",
        `subject=${BASE}/Patient/s-p2,${BASE}/Patient/x/_history/2`,
        "subject=Patient/s-p2,Patient/x/_history/2",
      ],
      ["Observation", `subject:Patient=${BASE}/Patient/s-p2`, "subject:Patient=Patient/s-p2"],
      [
        "Observation",
        `subject:Patient.organization=${BASE}/Organization/o1`,
        "subject:Patient.organization=Organization/o1",
      ],
      [
        "Patient",
        `_has:Observation:subject:performer=${BASE}/Practitioner/pr1`,
        "_has:Observation:subject:performer=Practitioner/pr1",
      ],
    ] as const) {
      expect(localizeSearchRequest(parse(type, absolute), BASE), absolute).toEqual(parse(type, relative));
    }
  });

  it("leaves identifiers, :missing, other servers and non-reference parameters alone", () => {
    for (const query of [
      `subject:identifier=${BASE}/ids|1`,
      "subject:missing=true",
      "subject=http://other.example.org/Patient/1",
      `code=${BASE}/Patient/1`,
    ]) {
      const request = parse("Observation", query);
      expect(localizeSearchRequest(request, BASE), query).toEqual(request);
    }
  });
});
