/**
 * Consent and audit benchmark (issue 18's figures), feature off against on, each server in its
 * own process and each load generator in another:
 *   consent  GET by id and Observation?subject=… as a practitioner (user/*.cruds) whose access
 *            comes from an active Consent of the patient (among --other-consents Consents of
 *            other patients for other practitioners), against the same requests on a server
 *            deciding by scopes ∩ role alone (startServer's `consent: false`, code only)
 *   audit    single-resource creates and GETs by id as a system client, audit on (every
 *            answered request journalled durably before its answer) against FHIRLEDGER_AUDIT=off
 *
 *   npm run bench:consent
 *   npm run bench:consent -- --reads 20000 --searches 3000 --creates 3000 --observations 300
 */
import { execFile, fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { LoadResult } from "./httpLoad.ts";
import type { ReadLoadResult } from "./readLoad.ts";

const { values } = parseArgs({
  options: {
    reads: { type: "string", default: "20000" },
    searches: { type: "string", default: "3000" },
    creates: { type: "string", default: "3000" },
    observations: { type: "string", default: "300" },
    "other-consents": { type: "string", default: "200" },
    connections: { type: "string", default: "16" },
    mode: { type: "string", default: "full" },
  },
});
const SCOPE = { coding: [{ system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy" }] };
const CATEGORY = [{ coding: [{ system: "http://loinc.org", code: "59284-0" }] }];

interface Server {
  child: ChildProcess;
  base: string;
}

async function start(consent: "on" | "off", audit: "on" | "off"): Promise<Server> {
  const child = fork(
    fileURLToPath(new URL("./fhirledgerServer.ts", import.meta.url)),
    ["--mode", values.mode!, "--auth", "bench", "--consent", consent, "--audit", audit],
    { stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const ready = await new Promise<{ baseUrl: string }>((resolve, reject) => {
    child.once("message", (m) => resolve(m as { baseUrl: string }));
    child.once("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
  return { child, base: ready.baseUrl.replace(/\/$/, "") };
}

async function stop(server: Server): Promise<void> {
  const exited = new Promise<void>((resolve) => server.child.once("exit", () => resolve()));
  server.child.send({ type: "stop" });
  await exited;
}

function run<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [fileURLToPath(new URL(script, import.meta.url)), ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout.trim().split("\n").at(-1)!) as T)),
    ),
  );
}

async function transaction(server: Server, entry: unknown[]): Promise<string[]> {
  const res = await fetch(`${server.base}/`, {
    method: "POST",
    headers: { authorization: "Bearer system", "content-type": "application/fhir+json" },
    body: JSON.stringify({ resourceType: "Bundle", type: "transaction", entry }),
  });
  if (res.status !== 200) throw new Error(`seed: ${res.status} ${(await res.text()).slice(0, 500)}`);
  const body = (await res.json()) as { entry: { response: { location: string } }[] };
  return body.entry.map((e) => e.response.location.split("/_history/")[0]!.replace(/^.*?\/(?=[A-Z])/, ""));
}

const consent = (patient: string, practitioner: string) => ({
  resourceType: "Consent",
  status: "active",
  scope: SCOPE,
  category: CATEGORY,
  patient: { reference: patient },
  provision: { type: "permit", actor: [{ role: { text: "reader" }, reference: { reference: practitioner } }] },
});

/** The practitioner, its patient with Observations and its Consent, and other patients' Consents. */
async function seed(server: Server): Promise<{ practitioner: string; patient: string; paths: string[] }> {
  const [practitioner, other] = await transaction(server, [
    {
      resource: { resourceType: "Practitioner", name: [{ family: "Reader" }] },
      request: { method: "POST", url: "Practitioner" },
    },
    {
      resource: { resourceType: "Practitioner", name: [{ family: "Other" }] },
      request: { method: "POST", url: "Practitioner" },
    },
  ]);
  const n = Number(values.observations);
  const refs = await transaction(server, [
    {
      fullUrl: "urn:uuid:00000000-0000-4000-8000-000000000001",
      resource: { resourceType: "Patient", name: [{ family: "Bench" }] },
      request: { method: "POST", url: "Patient" },
    },
    ...Array.from({ length: n }, (_, i) => ({
      resource: {
        resourceType: "Observation",
        status: "final",
        code: { coding: [{ system: "http://loinc.org", code: "8867-4" }] },
        subject: { reference: "urn:uuid:00000000-0000-4000-8000-000000000001" },
        effectiveDateTime: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
        valueQuantity: { value: 60 + (i % 40), unit: "/min", system: "http://unitsofmeasure.org", code: "/min" },
      },
      request: { method: "POST", url: "Observation" },
    })),
  ]);
  const patient = refs[0]!;
  await transaction(server, [
    { resource: consent(patient, practitioner!), request: { method: "POST", url: "Consent" } },
  ]);
  const others = Number(values["other-consents"]);
  for (let done = 0; done < others; done += 100) {
    const batch = Math.min(100, others - done);
    const entry = Array.from({ length: batch }, (_, i) => [
      {
        fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i + 2).padStart(12, "0")}`,
        resource: { resourceType: "Patient", name: [{ family: `Other${done + i}` }] },
        request: { method: "POST", url: "Patient" },
      },
      {
        resource: consent(`urn:uuid:00000000-0000-4000-8000-${String(i + 2).padStart(12, "0")}`, other!),
        request: { method: "POST", url: "Consent" },
      },
    ]).flat();
    await transaction(server, entry);
  }
  return { practitioner: practitioner!, patient, paths: refs.slice(1) };
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "fhirledger-consent-bench-"));
  const read = (base: string, bearer: string, file: string, amount: string) =>
    run<ReadLoadResult>("./readLoad.ts", [
      "--base",
      base,
      `--token=${bearer}`,
      "--paths-file",
      join(work, file),
      "--amount",
      amount,
      "--connections",
      values.connections!,
    ]);
  const creates = (base: string, patient: string) =>
    run<LoadResult>("./createLoad.ts", [
      "--base",
      base,
      "--token=system",
      "--patient",
      patient,
      "--amount",
      values.creates!,
    ]);
  try {
    // --- consent: on and off, audit off in both (what consent costs alone) -------------------
    const consentRuns: Record<string, { read: ReadLoadResult; search: ReadLoadResult }> = {};
    for (const state of ["off", "on"] as const) {
      const server = await start(state, "off");
      const seeded = await seed(server);
      await writeFile(join(work, `paths-${state}.json`), JSON.stringify(seeded.paths));
      await writeFile(
        join(work, `search-${state}.json`),
        JSON.stringify([`Observation?subject=${seeded.patient}&_count=20`]),
      );
      const bearer = `prac:${seeded.practitioner}`;
      const probe = await fetch(`${server.base}/${seeded.paths[0]}`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      if (probe.status !== 200) throw new Error(`the practitioner cannot read (${probe.status}): the seed is wrong`);
      consentRuns[state] = {
        read: await read(server.base, bearer, `paths-${state}.json`, values.reads!),
        search: await read(server.base, bearer, `search-${state}.json`, values.searches!),
      };
      await stop(server);
    }
    // --- audit: off and on, consent on in both (system client: consent does not bind it) -------
    const auditRuns: Record<string, { create: LoadResult; read: ReadLoadResult }> = {};
    for (const state of ["off", "on"] as const) {
      const server = await start("on", state);
      const seeded = await seed(server);
      await writeFile(join(work, `audit-paths-${state}.json`), JSON.stringify(seeded.paths));
      auditRuns[state] = {
        create: await creates(server.base, seeded.patient.split("/")[1]!),
        read: await read(server.base, "system", `audit-paths-${state}.json`, values.reads!),
      };
      await stop(server);
    }

    const row = (name: string, off: number, on: number, unit: string) =>
      console.log(
        `${name.padEnd(44)}${off.toFixed(0).padStart(10)}${on.toFixed(0).padStart(10)}  ${unit.padEnd(8)}${(on / off).toFixed(2).padStart(6)}×`,
      );
    console.log(
      `\nConsent and audit bench: ${values.mode} pipeline, ${values.observations} Observations, ${values["other-consents"]} other patients' Consents, ${values.connections} connections; Node ${process.version}\n`,
    );
    console.log(`${"".padEnd(44)}${"off".padStart(10)}${"on".padStart(10)}`);
    const c = consentRuns as Record<"off" | "on", { read: ReadLoadResult; search: ReadLoadResult }>;
    const a = auditRuns as Record<"off" | "on", { create: LoadResult; read: ReadLoadResult }>;
    row("consent: GET by id (practitioner)", c.off.read.perSecond, c.on.read.perSecond, "req/s");
    row("consent: Observation?subject= (practitioner)", c.off.search.perSecond, c.on.search.perSecond, "req/s");
    row("audit: single-resource create (system)", a.off.create.perSecond, a.on.create.perSecond, "req/s");
    row("audit: GET by id (system)", a.off.read.perSecond, a.on.read.perSecond, "req/s");
    console.log(
      `\np99 ms: consent GET ${c.off.read.p99}/${c.on.read.p99}, search ${c.off.search.p99}/${c.on.search.p99}; audit create ${a.off.create.p99}/${a.on.create.p99}, GET ${a.off.read.p99}/${a.on.read.p99} (off/on)`,
    );
    const failures = [
      c.off.read,
      c.on.read,
      c.off.search,
      c.on.search,
      a.off.create,
      a.on.create,
      a.off.read,
      a.on.read,
    ]
      .map((r) => r.failures)
      .reduce((x, y) => x + y, 0);
    console.log(`failed requests: ${failures}`);
    if (failures > 0) process.exitCode = 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
