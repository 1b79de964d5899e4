import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

/** FHIR decimals carry their precision in their text: 105.00 must come back as 105.00. */
describe("decimal precision survives every path through the server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  const observation = (subject: string) =>
    `{"resourceType":"Observation","status":"final","code":{"text":"glucose"},"subject":{"reference":"${subject}"},` +
    `"valueQuantity":{"value":105.00,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"},` +
    `"referenceRange":[{"low":{"value":70.0},"high":{"value":1.10e2}}]}`;
  const keeps = (text: string) => {
    expect(text).toContain('"value":105.00');
    expect(text).toContain('"value":70.0');
    expect(text).toContain('"value":1.10e2');
  };

  it("create, read, vread, search, history and $everything keep 105.00, 70.0 and 1.10e2", async () => {
    const patient = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: '{"resourceType":"Patient","name":[{"family":"Decimal"}]}',
    });
    const created = await server.request("/Observation", {
      method: "POST",
      body: observation(`Patient/${patient.body.id}`),
      headers: { prefer: "return=representation" },
    });
    expect(created.status).toBe(201);
    const createdText = await created.text();
    keeps(createdText);
    const id = (JSON.parse(createdText) as { id: string }).id;
    keeps(await (await server.request(`/Observation/${id}`)).text());
    keeps(await (await server.request(`/Observation/${id}/_history/1`)).text());
    keeps(await (await server.request(`/Observation?subject=Patient/${patient.body.id}`)).text());
    keeps(await (await server.request(`/Observation/${id}/_history`)).text());
    keeps(await (await server.request(`/Patient/${patient.body.id}/$everything`)).text());
    // the number is still a number for search: 105.00 = 105
    const found = await server.json<{ total: number }>(
      `/Observation?subject=Patient/${patient.body.id}&value-quantity=105`,
    );
    expect(found.body.total).toBe(1);
  });

  it("a decimal at the top level of the resource keeps its text on create, in a transaction too", async () => {
    const chargeItem = (subject: string) =>
      `{"resourceType":"ChargeItem","status":"billable","code":{"text":"x"},"subject":{"reference":"${subject}"},"factorOverride":0.50}`;
    const patient = await server.json<{ id: string }>("/Patient", {
      method: "POST",
      body: '{"resourceType":"Patient","name":[{"family":"TopLevel"}]}',
    });
    const created = await server.request("/ChargeItem", {
      method: "POST",
      body: chargeItem(`Patient/${patient.body.id}`),
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get("location")!).pathname.replace(/\/_history\/\d+$/, "");
    expect(await (await server.request(location)).text()).toContain('"factorOverride":0.50');
    const bundle = `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":${chargeItem(`Patient/${patient.body.id}`)},"request":{"method":"POST","url":"ChargeItem"}}]}`;
    const res = await server.json<{ entry: { response: { location: string } }[] }>("/", {
      method: "POST",
      body: bundle,
    });
    expect(res.status).toBe(200);
    const inTransaction = res.body.entry[0]!.response.location.replace(/\/_history\/\d+$/, "");
    expect(await (await server.request(`/${inTransaction}`)).text()).toContain('"factorOverride":0.50');
  });

  it("a transaction keeps them too (with urn:uuid references rewritten around them)", async () => {
    const bundle =
      `{"resourceType":"Bundle","type":"transaction","entry":[` +
      `{"fullUrl":"urn:uuid:4f0b1f3e-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","name":[{"family":"DecimalTx"}]},"request":{"method":"POST","url":"Patient"}},` +
      `{"resource":${observation("urn:uuid:4f0b1f3e-0000-4000-8000-000000000001")},"request":{"method":"POST","url":"Observation"}}]}`;
    const res = await server.json<{ entry: { response: { location: string } }[] }>("/", {
      method: "POST",
      body: bundle,
    });
    expect(res.status).toBe(200);
    const location = res.body.entry[1]!.response.location.replace(/\/_history\/\d+$/, "");
    const text = await (await server.request(`/${location}`)).text();
    keeps(text);
    expect(text).toMatch(/"reference":"Patient\/[A-Za-z0-9-]+"/);
  });
});
