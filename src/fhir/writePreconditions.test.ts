import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConditionalDeps } from "./conditional/ConditionalDeps.ts";
import { conditionalDelete } from "./conditional/conditionalDelete.ts";
import { conditionalUpdate } from "./conditional/conditionalUpdate.ts";
import { isNotModified } from "./conditional/isNotModified.ts";
import { patchResource } from "./patch/patchResource.ts";
import { memoryFhir } from "./testSupport/memoryFhir.ts";
import type { MemoryFhir } from "./testSupport/memoryFhir.ts";

/** If-Match / If-None-Match on update, delete and patch (RFC 7232 3.1, 3.2; R4 http.html#concurrency). */
describe("write preconditions", () => {
  let engine: MemoryFhir;
  let deps: ConditionalDeps;
  const patient = (id: string, family: string) => ({
    resourceType: "Patient",
    id,
    name: [{ family }],
    identifier: [{ system: "urn:test", value: id }],
  });
  const family = async (id: string) =>
    ((await engine.records.read("Patient", id)).resource as unknown as { name: { family: string }[] }).name[0]!.family;

  beforeEach(async () => {
    engine = await memoryFhir();
    deps = {
      fhir: engine.fhir,
      records: engine.records,
      index: engine.index,
      validator: engine.validator,
      actor: engine.actor,
    };
    await engine.put(patient("dm-1", "One"));
    await engine.fhir.update(engine.actor, "Patient", "dm-1", patient("dm-1", "Two")); // now version 2
  });
  afterEach(() => engine.close());

  describe("delete", () => {
    it("refuses a stale If-Match with a 412 and deletes nothing; the current one deletes", async () => {
      await expect(engine.fhir.delete(engine.actor, "Patient", "dm-1", { ifMatch: 'W/"1"' })).rejects.toMatchObject({
        code: "precondition-failed",
      });
      expect(engine.state("Patient", "dm-1")).toBe("live v2");
      expect(await engine.fhir.delete(engine.actor, "Patient", "dm-1", { ifMatch: 'W/"2"' })).toMatchObject({
        status: 204,
        version: { versionId: 3 },
      });
      expect(engine.state("Patient", "dm-1")).toBe("deleted");
    });

    it("takes If-Match: * while the resource is current, and answers 412 once it is deleted or absent", async () => {
      expect((await engine.fhir.delete(engine.actor, "Patient", "dm-1", { ifMatch: "*" })).status).toBe(204);
      await expect(engine.fhir.delete(engine.actor, "Patient", "dm-1", { ifMatch: "*" })).rejects.toMatchObject({
        code: "precondition-failed",
      });
      await expect(engine.fhir.delete(engine.actor, "Patient", "dm-1", { ifMatch: 'W/"3"' })).rejects.toMatchObject({
        code: "precondition-failed",
      });
      await expect(engine.fhir.delete(engine.actor, "Patient", "nobody", { ifMatch: "*" })).rejects.toMatchObject({
        code: "precondition-failed",
      });
      expect(engine.state("Patient", "nobody")).toBe("absent");
      // Without a precondition, deleting what is gone stays a no-op.
      expect((await engine.fhir.delete(engine.actor, "Patient", "dm-1")).status).toBe(204);
      await expect(engine.fhir.delete(engine.actor, "Patient", "dm-1", { ifMatch: "W/1x" })).rejects.toMatchObject({
        code: "bad-request",
      });
    });

    it("conditional delete: If-Match applies to the one match; no match or several are a 412", async () => {
      await expect(
        conditionalDelete(deps, "Patient", "identifier=urn:test|dm-1", { ifMatch: 'W/"1"' }),
      ).rejects.toMatchObject({ code: "precondition-failed" });
      await expect(
        conditionalDelete(deps, "Patient", "identifier=urn:test|nobody", { ifMatch: "*" }),
      ).rejects.toMatchObject({ code: "precondition-failed" });
      await engine.put(patient("dm-2", "Other"), patient("dm-3", "Other"));
      await expect(conditionalDelete(deps, "Patient", "family=Other", { ifMatch: "*" })).rejects.toMatchObject({
        code: "precondition-failed",
      });
      expect(["dm-1", "dm-2", "dm-3"].map((id) => engine.state("Patient", id))).toEqual([
        "live v2",
        "live v1",
        "live v1",
      ]);
      expect((await conditionalDelete(deps, "Patient", "identifier=urn:test|dm-1", { ifMatch: 'W/"2"' })).status).toBe(
        204,
      );
      expect(engine.state("Patient", "dm-1")).toBe("deleted");
    });
  });

  describe("update", () => {
    it("If-None-Match: * refuses to overwrite an existing resource (412, unchanged) and creates a new one", async () => {
      await expect(
        engine.fhir.update(engine.actor, "Patient", "dm-1", patient("dm-1", "Overwritten"), { ifNoneMatch: "*" }),
      ).rejects.toMatchObject({ code: "precondition-failed" });
      expect(await family("dm-1")).toBe("Two");
      expect(engine.state("Patient", "dm-1")).toBe("live v2");
      expect(
        (await engine.fhir.update(engine.actor, "Patient", "s-p3", patient("s-p3", "New"), { ifNoneMatch: "*" }))
          .status,
      ).toBe(201);
      expect(engine.state("Patient", "s-p3")).toBe("live v1");
      // A deleted resource has no current representation: * lets it be created again.
      await engine.fhir.delete(engine.actor, "Patient", "s-p3");
      expect(
        (await engine.fhir.update(engine.actor, "Patient", "s-p3", patient("s-p3", "Again"), { ifNoneMatch: "*" }))
          .status,
      ).toBe(201);
    });

    it("If-None-Match with version tags fails only when it names the current version", async () => {
      await expect(
        engine.fhir.update(engine.actor, "Patient", "dm-1", patient("dm-1", "X"), { ifNoneMatch: 'W/"1", W/"2"' }),
      ).rejects.toMatchObject({ code: "precondition-failed" });
      expect(
        (await engine.fhir.update(engine.actor, "Patient", "dm-1", patient("dm-1", "Three"), { ifNoneMatch: 'W/"1"' }))
          .status,
      ).toBe(200);
      expect(await family("dm-1")).toBe("Three");
    });

    it("If-Match: * updates a current resource and is a 412 on an absent one (nothing created)", async () => {
      expect(
        (await engine.fhir.update(engine.actor, "Patient", "dm-1", patient("dm-1", "Star"), { ifMatch: "*" })).status,
      ).toBe(200);
      await expect(
        engine.fhir.update(engine.actor, "Patient", "none-1", patient("none-1", "Star"), { ifMatch: "*" }),
      ).rejects.toMatchObject({ code: "precondition-failed" });
      expect(engine.state("Patient", "none-1")).toBe("absent");
      await expect(
        engine.fhir.update(engine.actor, "Patient", "dm-1", patient("dm-1", "Stale"), { ifMatch: 'W/"1"' }),
      ).rejects.toMatchObject({ code: "precondition-failed" });
    });

    it("conditional update honours If-None-Match: * (match: 412) and If-Match (no match: 412, nothing created)", async () => {
      await expect(
        conditionalUpdate(deps, "Patient", "identifier=urn:test|dm-1", patient("dm-1", "C"), { ifNoneMatch: "*" }),
      ).rejects.toMatchObject({ code: "precondition-failed" });
      expect(await family("dm-1")).toBe("Two");
      const body = { resourceType: "Patient", name: [{ family: "Fresh" }] };
      await expect(
        conditionalUpdate(deps, "Patient", "identifier=urn:test|fresh", body, { ifMatch: "*" }),
      ).rejects.toMatchObject({ code: "precondition-failed" });
      expect(
        (await conditionalUpdate(deps, "Patient", "identifier=urn:test|fresh", body, { ifNoneMatch: "*" })).status,
      ).toBe(201);
    });
  });

  describe("patch", () => {
    const replaceFamily = (value: string) => [{ op: "replace", path: "/name/0/family", value }];

    it("If-Match: * patches a current resource; a stale version is a 412", async () => {
      expect(await patchResource(deps, "Patient", "dm-1", replaceFamily("Patched"), { ifMatch: "*" })).toMatchObject({
        status: 200,
        version: { versionId: 3 },
      });
      await expect(
        patchResource(deps, "Patient", "dm-1", replaceFamily("Stale"), { ifMatch: 'W/"2"' }),
      ).rejects.toMatchObject({ code: "precondition-failed" });
      expect(await family("dm-1")).toBe("Patched");
    });

    it("an absent or deleted resource answers as without If-Match (404, 410): RFC 7232 section 5", async () => {
      await expect(
        patchResource(deps, "Patient", "nobody", replaceFamily("X"), { ifMatch: "*" }),
      ).rejects.toMatchObject({ code: "not-found" });
      await engine.fhir.delete(engine.actor, "Patient", "dm-1");
      await expect(patchResource(deps, "Patient", "dm-1", replaceFamily("X"), { ifMatch: "*" })).rejects.toMatchObject({
        code: "gone",
      });
    });
  });
});

describe("isNotModified", () => {
  const version = { versionId: 2, lastUpdated: "2024-05-01T10:00:00.500Z" };

  it("If-None-Match matches the version (weakly, in a list, or *); it wins over If-Modified-Since", () => {
    expect(isNotModified(version, { ifNoneMatch: 'W/"2"' })).toBe(true);
    expect(isNotModified(version, { ifNoneMatch: '"2"' })).toBe(true);
    expect(isNotModified(version, { ifNoneMatch: 'W/"1", W/"2"' })).toBe(true);
    expect(isNotModified(version, { ifNoneMatch: "*" })).toBe(true);
    expect(isNotModified(version, { ifNoneMatch: 'W/"1"' })).toBe(false);
    expect(isNotModified(version, { ifNoneMatch: 'W/"1"', ifModifiedSince: "2030-01-01T00:00:00Z" })).toBe(false);
  });

  it("If-Modified-Since compares at the precision given: whole seconds for an HTTP date, milliseconds for an instant", () => {
    expect(isNotModified(version, { ifModifiedSince: "Wed, 01 May 2024 10:00:00 GMT" })).toBe(true);
    expect(isNotModified(version, { ifModifiedSince: "2024-05-01T10:00:00Z" })).toBe(true);
    expect(isNotModified(version, { ifModifiedSince: "2024-05-01T10:00:00.200Z" })).toBe(false);
    expect(isNotModified(version, { ifModifiedSince: "2024-05-01T10:00:00.700Z" })).toBe(true);
    expect(isNotModified(version, { ifModifiedSince: "2024-05-01T09:59:59Z" })).toBe(false);
    expect(isNotModified(version, { ifModifiedSince: "not a date" })).toBe(false);
    expect(isNotModified(version, {})).toBe(false);
  });
});
