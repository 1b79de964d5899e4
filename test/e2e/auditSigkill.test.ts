import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, removeDir } from "../support/testServer.ts";

const TOKEN = "audit-sigkill-token-0123456789";
const headers = { authorization: `Bearer ${TOKEN}` };

interface Started {
  child: ChildProcess;
  baseUrl: string;
}

/** `npm start`'s entry point as a real child process, so it can be SIGKILLed. */
async function startServerProcess(dataDir: string): Promise<Started> {
  const child = spawn(join(process.cwd(), "node_modules/.bin/node"), ["src/main.ts"], {
    env: {
      ...process.env,
      FHIRLEDGER_DATA_DIR: dataDir,
      FHIRLEDGER_PORT: "0",
      FHIRLEDGER_CHAIN_PORT: "0",
      FHIRLEDGER_DEV_TOKEN: TOKEN,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (!/Base URL:\s+(\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, baseUrl: /Base URL:\s+(\S+)/.exec(out)![1]! };
}

/**
 * Concurrent GETs by id and creates, each with its own X-Request-Id, until stopped; returns the
 * request ids that got an answer (whatever its status).
 */
function sustainedLoad(baseUrl: string, clients: number): { answered: string[]; stop: () => Promise<void> } {
  const answered: string[] = [];
  let running = true;
  const workers = Array.from({ length: clients }, async (_, w) => {
    let n = 0;
    while (running) {
      const requestId = `w${w}-${n++}`;
      const read = n % 2 === 0;
      try {
        const res = await fetch(read ? `${baseUrl}/Patient/audited` : `${baseUrl}/Observation`, {
          method: read ? "GET" : "POST",
          headers: {
            ...headers,
            "x-request-id": requestId,
            ...(read ? {} : { "content-type": "application/fhir+json", prefer: "return=minimal" }),
          },
          ...(read
            ? {}
            : {
                body: JSON.stringify({
                  resourceType: "Observation",
                  status: "final",
                  code: { text: "sigkill" },
                  subject: { reference: "Patient/audited" },
                }),
              }),
        });
        await res.arrayBuffer();
        if (res.headers.get("x-request-id") === requestId) answered.push(requestId);
      } catch {
        // the server died mid-request: no answer, so nothing is owed
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  });
  return {
    answered,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** The X-Request-Id entity of every AuditEvent the server holds, through paged searches. */
async function auditedRequestIds(baseUrl: string): Promise<string[]> {
  const ids: string[] = [];
  let url: string | undefined = `${baseUrl}/AuditEvent?_count=1000`;
  while (url !== undefined) {
    const res = await fetch(url, { headers });
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as {
      entry?: { resource: { entity?: { type?: { code?: string }; what?: { identifier?: { value?: string } } }[] } }[];
      link?: { relation: string; url: string }[];
    };
    for (const e of bundle.entry ?? []) {
      const requestId = e.resource.entity?.find((x) => x.type?.code === "XrequestId")?.what?.identifier?.value;
      if (requestId !== undefined) ids.push(requestId);
    }
    url = bundle.link?.find((l) => l.relation === "next")?.url;
  }
  return ids;
}

describe("SIGKILL under load loses no AuditEvent of an answered request", () => {
  let dataDir: string;
  let current: Started | null = null;
  afterAll(async () => {
    current?.child.kill("SIGKILL");
    if (dataDir) await removeDir(dataDir);
  });

  it("after restart every answered request (by request id) has its AuditEvent, and none has two", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "fhirledger-audit-kill-"));
    current = await startServerProcess(dataDir);
    const put = await fetch(`${current.baseUrl}/Patient/audited`, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/fhir+json" },
      body: JSON.stringify({ resourceType: "Patient", id: "audited" }),
    });
    expect(put.status).toBe(201);
    const load = sustainedLoad(current.baseUrl, 8);
    await eventually(async () => (load.answered.length >= 400 ? true : undefined), 60_000, 20);
    current.child.kill("SIGKILL");
    await load.stop();
    const answered = load.answered;
    expect(answered.length).toBeGreaterThanOrEqual(400);

    current = await startServerProcess(dataDir);
    const audited = await auditedRequestIds(current.baseUrl);
    const counts = new Map<string, number>();
    for (const id of audited) counts.set(id, (counts.get(id) ?? 0) + 1);
    const missing = answered.filter((id) => !counts.has(id));
    expect(missing, "answered requests without an AuditEvent").toEqual([]);
    const twice = [...counts].filter(([id, n]) => n > 1 && /^w\d+-\d+$/.test(id));
    expect(twice, "requests audited twice").toEqual([]);
  }, 240_000);
});
