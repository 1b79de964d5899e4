/**
 * SMART authorization benchmark (issue 17's figures), each server in its own process and each
 * load generator in another:
 *   token    client_credentials requests (private_key_jwt, ES384; assertions signed before the
 *            clock starts) to /auth/token, --token-connections connections
 *   read     GET by id with a SMART access token (system/*.rs), against the same GETs on a server
 *            whose authenticator lets everyone in as system/*.* ("authorization off")
 *   search   Observation?subject=Patient/X under system/Observation.rs and under the granular
 *            system/Observation.rs?category=…|laboratory
 *
 *   npm run bench:smart
 *   npm run bench:smart -- --tokens 3000 --reads 30000 --searches 5000 --observations 400
 */
import { execFile, fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import type { LoadResult } from "./httpLoad.ts";
import type { ReadLoadResult } from "./readLoad.ts";

const { values } = parseArgs({
  options: {
    tokens: { type: "string", default: "2000" },
    reads: { type: "string", default: "20000" },
    searches: { type: "string", default: "3000" },
    observations: { type: "string", default: "300" },
    connections: { type: "string", default: "16" },
    "token-connections": { type: "string", default: "8" },
    mode: { type: "string", default: "full" },
  },
});
const LAB = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory";
const CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

interface Server {
  child: ChildProcess;
  base: string;
  token: string;
}

async function start(auth: "on" | "off"): Promise<Server> {
  const child = fork(
    fileURLToPath(new URL("./fhirledgerServer.ts", import.meta.url)),
    ["--mode", values.mode!, "--auth", auth],
    { stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const ready = await new Promise<{ baseUrl: string; token: string }>((resolve, reject) => {
    child.once("message", (m) => resolve(m as { baseUrl: string; token: string }));
    child.once("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
  return { child, base: ready.baseUrl.replace(/\/$/, ""), token: ready.token ?? "none" };
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

/** A patient and its Observations, half laboratory and half vital signs; the Observations' paths. */
async function seed(server: Server): Promise<{ patient: string; paths: string[] }> {
  const n = Number(values.observations);
  const entry = [
    {
      fullUrl: "urn:uuid:00000000-0000-4000-8000-000000000001",
      resource: { resourceType: "Patient", name: [{ family: "Bench" }] },
      request: { method: "POST", url: "Patient" },
    },
    ...Array.from({ length: n }, (_, i) => ({
      resource: {
        resourceType: "Observation",
        status: "final",
        category: [{ coding: [{ system: CATEGORY_SYSTEM, code: i % 2 === 0 ? "laboratory" : "vital-signs" }] }],
        code: { coding: [{ system: "http://loinc.org", code: "8867-4" }] },
        subject: { reference: "urn:uuid:00000000-0000-4000-8000-000000000001" },
        effectiveDateTime: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
        valueQuantity: { value: 60 + (i % 40), unit: "/min", system: "http://unitsofmeasure.org", code: "/min" },
      },
      request: { method: "POST", url: "Observation" },
    })),
  ];
  const res = await fetch(`${server.base}/`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/fhir+json" },
    body: JSON.stringify({ resourceType: "Bundle", type: "transaction", entry }),
  });
  if (res.status !== 200) throw new Error(`seed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { entry: { response: { location: string } }[] };
  const refs = body.entry.map((e) => e.response.location.split("/_history/")[0]!.replace(/^.*?\/(?=[A-Z])/, ""));
  return { patient: refs[0]!.split("/")[1]!, paths: refs.slice(1) };
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "fhirledger-smart-bench-"));
  try {
    // --- authorization on ----------------------------------------------------------------
    const on = await start("on");
    const { patient, paths } = await seed(on);
    const keys = await generateKeyPair("ES384", { extractable: true });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: "bench", alg: "ES384", use: "sig" };
    const registered = await fetch(`${on.base}/auth/register`, {
      method: "POST",
      headers: { authorization: `Bearer ${on.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "bench",
        token_endpoint_auth_method: "private_key_jwt",
        grant_types: ["client_credentials"],
        scope: `system/*.rs system/Observation.rs system/Observation.rs?category=${LAB}`,
        jwks: { keys: [jwk] },
      }),
    });
    if (registered.status !== 201 && registered.status !== 200)
      throw new Error(`register: ${registered.status} ${await registered.text()}`);
    const { client_id: clientId } = (await registered.json()) as { client_id: string };
    const tokenUrl = `${on.base}/auth/token`;
    const form = async (scope: string) =>
      new URLSearchParams({
        grant_type: "client_credentials",
        scope,
        client_assertion_type: JWT_BEARER,
        client_assertion: await new SignJWT({})
          .setProtectedHeader({ alg: "ES384", kid: "bench" })
          .setIssuer(clientId)
          .setSubject(clientId)
          .setAudience(tokenUrl)
          .setJti(crypto.randomUUID())
          .setIssuedAt()
          .setExpirationTime("4m")
          .sign(keys.privateKey),
      }).toString();
    const tokenFor = async (scope: string) => {
      const res = await fetch(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: await form(scope),
      });
      if (res.status !== 200) throw new Error(`token (${scope}): ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const bodies: string[] = [];
    for (let i = 0; i < Number(values.tokens); i++) bodies.push(await form("system/Observation.rs"));
    await writeFile(join(work, "bodies.json"), JSON.stringify(bodies));
    const token = await run<LoadResult>("./tokenLoad.ts", [
      "--url",
      tokenUrl,
      "--bodies-file",
      join(work, "bodies.json"),
      "--connections",
      values["token-connections"]!,
    ]);
    const all = await tokenFor("system/*.rs");
    const plain = await tokenFor("system/Observation.rs");
    const granular = await tokenFor(`system/Observation.rs?category=${LAB}`);
    await writeFile(join(work, "paths.json"), JSON.stringify(paths));
    const search = `Observation?subject=Patient/${patient}&_count=20`;
    await writeFile(join(work, "search.json"), JSON.stringify([search]));
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
    const readOn = await read(on.base, all, "paths.json", values.reads!);
    const searchPlain = await read(on.base, plain, "search.json", values.searches!);
    const searchGranular = await read(on.base, granular, "search.json", values.searches!);
    await stop(on);

    // --- authorization off (allow-all authenticator) -------------------------------------
    const off = await start("off");
    const seeded = await seed(off);
    await writeFile(join(work, "paths-off.json"), JSON.stringify(seeded.paths));
    const readOff = await read(off.base, "anything", "paths-off.json", values.reads!);
    await stop(off);

    const fails = [token, readOn, searchPlain, searchGranular, readOff].reduce((n, r) => n + r.failures, 0);
    const row = (name: string, value: string) => console.log(`${name.padEnd(58)}${value.padStart(12)}`);
    console.log(
      `\nSMART bench: ${values.mode} pipeline, ${values.observations} Observations, ${values.connections} connections (token: ${values["token-connections"]}); Node ${process.version}\n`,
    );
    row("token endpoint, client_credentials ES384 tokens/s", token.perSecond.toFixed(0));
    row("token endpoint p50 / p99 ms", `${token.p50} / ${token.p99}`);
    row("GET by id, SMART token req/s", readOn.perSecond.toFixed(0));
    row("GET by id, authorization off req/s", readOff.perSecond.toFixed(0));
    row("GET by id ratio (token ÷ off)", (readOn.perSecond / readOff.perSecond).toFixed(2));
    row("GET by id p99 ms, token / off", `${readOn.p99} / ${readOff.p99}`);
    row(`search ${search.split("?")[0]} req/s, Observation.rs`, searchPlain.perSecond.toFixed(0));
    row("search req/s, Observation.rs?category=laboratory", searchGranular.perSecond.toFixed(0));
    row("search ratio (granular ÷ plain)", (searchGranular.perSecond / searchPlain.perSecond).toFixed(2));
    row("failed requests", String(fails));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
