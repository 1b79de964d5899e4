import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryFhir } from "../testSupport/memoryFhir.ts";
import type { MemoryFhir } from "../testSupport/memoryFhir.ts";
import { readHistory } from "./readHistory.ts";
import type { HistoryScope } from "./readHistory.ts";

type Entry = {
  resource?: { resourceType: string; issue?: { diagnostics: string }[] };
  request: { method: string; url: string };
  response: { status: string; etag?: string };
};
type HistoryBundle = { type: string; total?: number; link: { relation: string; url: string }[]; entry?: Entry[] };

describe("readHistory", () => {
  let engine: MemoryFhir;
  const patient = (id?: string) => ({ resourceType: "Patient", ...(id ? { id } : {}), name: [{ family: "H" }] });
  const history = async (scope: HistoryScope, query = "", strict = false) => {
    const deps = { history: engine.index, index: engine.index, records: engine.records };
    return (
      await readHistory(deps, engine.actor, scope, new URLSearchParams(query), { baseUrl: "http://fhir.test", strict })
    ).resource as unknown as HistoryBundle;
  };
  const instance = (id: string): HistoryScope => ({ level: "instance", type: "Patient", id });
  const requests = (b: HistoryBundle) =>
    (b.entry ?? []).map((e) => `${e.request.method} ${e.request.url} ${e.response.status}`);

  beforeEach(async () => {
    engine = await memoryFhir();
  });
  afterEach(() => engine.close());

  it("shows a resource created by update at a client id as that PUT, and one created by create as a POST", async () => {
    await engine.fhir.update(engine.actor, "Patient", "client-id-1", patient("client-id-1"));
    await engine.fhir.update(engine.actor, "Patient", "client-id-1", patient("client-id-1"));
    await engine.fhir.delete(engine.actor, "Patient", "client-id-1");
    await engine.fhir.update(engine.actor, "Patient", "client-id-1", patient("client-id-1")); // created again
    expect(requests(await history(instance("client-id-1")))).toEqual([
      "PUT Patient/client-id-1 201",
      "DELETE Patient/client-id-1 204",
      "PUT Patient/client-id-1 200",
      "PUT Patient/client-id-1 201",
    ]);
    const { resource } = await engine.fhir.create(engine.actor, "Patient", patient());
    expect(requests(await history(instance(String(resource!.id))))).toEqual(["POST Patient 201"]);
  });

  it("shows versions written before the index kept how they were created as today: the first one a POST", async () => {
    await engine.fhir.update(engine.actor, "Patient", "old-1", patient("old-1"));
    engine.index.db.exec("UPDATE versions SET created_by_update = NULL");
    expect(requests(await history(instance("old-1")))).toEqual(["POST Patient 201"]);
  });

  it("reports unknown parameters in an OperationOutcome entry at every level, and refuses them under strict handling", async () => {
    await engine.fhir.update(engine.actor, "Patient", "x", patient("x"));
    const scopes: HistoryScope[] = [{ level: "system" }, { level: "type", type: "Patient" }, instance("x")];
    for (const scope of scopes) {
      const bundle = await history(scope, "_list=x&_count=5");
      const outcome = bundle.entry!.at(-1)!;
      expect(outcome.resource!.resourceType, scope.level).toBe("OperationOutcome");
      expect(outcome.resource!.issue![0]!.diagnostics).toBe("parameter ignored: _list");
      expect(outcome.request.method).toBe("GET");
      expect(outcome.request.url).toMatch(/_history\?_count=5$/);
      expect(outcome.response.status).toBe("200");
      expect(bundle.entry!.filter((e) => e.resource?.resourceType === "Patient")).toHaveLength(1);
      await expect(history(scope, "_list=x", true)).rejects.toMatchObject({
        code: "invalid",
        issues: [expect.objectContaining({ type: "not-supported", expression: ["_list"] })],
      });
      expect((await history(scope, "_count=5", true)).entry).toHaveLength(1);
    }
  });

  it("accepts _count=0: no entries (and no empty entry array) and no next link, only the total, at every level", async () => {
    await engine.fhir.update(engine.actor, "Patient", "c0", patient("c0"));
    await engine.fhir.update(engine.actor, "Patient", "c0", patient("c0"));
    const inst = await history(instance("c0"), "_count=0");
    expect([inst.total, inst.entry, inst.link.map((l) => l.relation)]).toEqual([2, undefined, ["self"]]);
    const type = await history({ level: "type", type: "Patient" }, "_count=0");
    expect([type.total, type.entry]).toEqual([2, undefined]);
    const system = await history({ level: "system" }, "_count=0");
    expect([system.total, system.entry]).toEqual([2, undefined]);
    expect((await history({ level: "system" }, "_count=0&_total=none")).total).toBeUndefined();
  });
});
