import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryFhir } from "../testSupport/memoryFhir.ts";
import type { MemoryFhir } from "../testSupport/memoryFhir.ts";
import type { FhirRequest } from "./FhirRequest.ts";

/** The engine entry on plain values, without HTTP. */
describe("FhirEngine.handle", () => {
  let engine: MemoryFhir;
  const request = (method: string, path: string, extra: Partial<FhirRequest> = {}): FhirRequest => {
    const [pathname = "", rawQuery = ""] = path.split("?");
    return {
      method,
      path: pathname === "" ? [] : pathname.split("/"),
      query: new URLSearchParams(rawQuery),
      rawQuery,
      headers: {},
      baseUrl: "http://fhir.test",
      ...extra,
    };
  };

  beforeAll(async () => {
    engine = await memoryFhir();
    await engine.put({ resourceType: "Patient", id: "e1", name: [{ family: "Entry" }] });
  });
  afterAll(async () => {
    await engine.close();
  });

  it("reads, with the version for ETag and Last-Modified, and answers 304 to a current If-None-Match", async () => {
    const read = await engine.engine.handle(engine.actor, request("GET", "Patient/e1"));
    expect(read).toMatchObject({ status: 200, version: { type: "Patient", id: "e1", versionId: 1 } });
    expect(read.resource).toMatchObject({ name: [{ family: "Entry" }] });
    const again = await engine.engine.handle(
      engine.actor,
      request("GET", "Patient/e1", { headers: { ifNoneMatch: 'W/"1"' } }),
    );
    expect(again).toEqual({ status: 304, version: read.version });
  });

  it("creates, conditionally creates and searches", async () => {
    const body = { resourceType: "Patient", identifier: [{ system: "urn:e", value: "1" }] };
    expect((await engine.engine.handle(engine.actor, request("POST", "Patient", { body }))).status).toBe(201);
    const conditional = await engine.engine.handle(
      engine.actor,
      request("POST", "Patient", { body, headers: { ifNoneExist: "identifier=urn:e|1" } }),
    );
    expect(conditional.status).toBe(200);
    const found = await engine.engine.handle(engine.actor, request("GET", "Patient?identifier=urn:e|1"));
    expect((found.resource as { entry: unknown[] }).entry).toHaveLength(1);
  });

  it("answers a path no route serves with not-found, and another method with method-not-allowed", async () => {
    await expect(engine.engine.handle(engine.actor, request("GET", "Patient/e1/x/y/z/w"))).rejects.toMatchObject({
      code: "not-found",
    });
    await expect(engine.engine.handle(engine.actor, request("POST", "Patient/e1/_history"))).rejects.toMatchObject({
      code: "method-not-allowed",
    });
  });

  it("refuses '.' and '..' as ids at the entry itself (400), whatever the interaction", async () => {
    for (const id of [".", ".."]) {
      for (const [method, path, body] of [
        ["GET", `Patient/${id}`, undefined],
        ["GET", `Patient/${id}/_history`, undefined],
        ["GET", `Patient/${id}/_history/1`, undefined],
        ["PUT", `Patient/${id}`, { resourceType: "Patient", id }],
        ["DELETE", `Patient/${id}`, undefined],
        ["GET", `Patient/${id}/$everything`, undefined],
        ["GET", `Patient/${id}/$verify`, undefined],
      ] as const) {
        await expect(
          engine.engine.handle(engine.actor, request(method, path, body === undefined ? {} : { body })),
          `${method} ${path}`,
        ).rejects.toMatchObject({ code: expect.stringMatching(/^(bad-request|invalid)$/) });
      }
      expect(engine.state("Patient", id)).toBe("absent");
    }
  });

  it("refuses to create, update, patch or delete an AuditEvent (405) at the entry itself, and reads it", async () => {
    const audit = {
      resourceType: "AuditEvent",
      id: "ae1",
      type: { code: "rest" },
      recorded: "2026-01-01T00:00:00Z",
      agent: [{ requestor: true }],
      source: { observer: { display: "x" } },
    };
    await engine.put(audit);
    const patch = [{ op: "replace", path: "/recorded", value: "2020-01-01T00:00:00Z" }];
    for (const [method, path, body] of [
      ["POST", "AuditEvent", { ...audit, id: undefined }],
      ["PUT", "AuditEvent/ae1", audit],
      ["PUT", "AuditEvent/ae2", { ...audit, id: "ae2" }],
      ["PUT", "AuditEvent?_id=ae1", audit],
      ["PATCH", "AuditEvent/ae1", patch],
      ["PATCH", "AuditEvent?_id=ae1", patch],
      ["DELETE", "AuditEvent/ae1", undefined],
      ["DELETE", "AuditEvent?_id=ae1", undefined],
    ] as const) {
      await expect(
        engine.engine.handle(engine.actor, request(method, path, body === undefined ? {} : { body })),
        `${method} ${path}`,
      ).rejects.toMatchObject({ code: "method-not-allowed", message: expect.stringMatching(/read-only/) });
    }
    expect(engine.state("AuditEvent", "ae1")).toBe("live v1");
    expect(engine.state("AuditEvent", "ae2")).toBe("absent");
    expect((await engine.engine.handle(engine.actor, request("GET", "AuditEvent/ae1"))).status).toBe(200);
    expect((await engine.engine.handle(engine.actor, request("GET", "AuditEvent?_id=ae1"))).status).toBe(200);
  });
});
