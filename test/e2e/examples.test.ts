import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryLedger } from "../../src/adapters/ledger/MemoryLedger.ts";
import { createValidator } from "../../src/fhir/validation/createValidator.ts";
import { removeDir, startTestServer } from "../support/testServer.ts";
import type { TestServer } from "../support/testServer.ts";

type R = Record<string, unknown> & { resourceType: string; id?: string; meta?: unknown };

const dir = dirname(createRequire(import.meta.url).resolve("hl7.fhir.r4.examples/package.json"));
const CONCURRENCY = 16;
/** Every 4th example by file name (~1,330, ~90 s); `FHIRLEDGER_EXAMPLES_SAMPLE=1` runs all 5,306 (~6 min). */
const SAMPLE_EVERY = Number(process.env.FHIRLEDGER_EXAMPLES_SAMPLE ?? "4");

/** Parses JSON and notes the numbers whose text is not how JSON.stringify writes them back (1.0, 1e3, 0.50). */
function parseNoting(text: string): { value: R; reformatted: string[] } {
  const reformatted: string[] = [];
  const value = JSON.parse(text, function (this: unknown, _key: string, v: unknown, context?: { source?: string }) {
    if (typeof v === "number" && context?.source !== undefined && context.source !== JSON.stringify(v))
      reformatted.push(context.source);
    return v;
  } as (key: string, value: unknown) => unknown) as R;
  return { value, reformatted };
}

const withoutMeta = (r: R): R => {
  const { meta: _meta, ...rest } = r;
  return rest as R;
};

describe("official R4 examples (hl7.fhir.r4.examples) round-trip through the full pipeline", () => {
  let server: TestServer;
  beforeAll(async () => {
    // The package's largest examples are Bundles of 6-35 MB: allow them through.
    // Encryption, IPFS, index and anchoring batches are real; the roots go to an in-memory ledger:
    // the chain-privacy check on close would mistake ids such as "Consent" or "Organization"
    // (StructureDefinitions) for data because contract bytecode holds those words.
    server = await startTestServer({
      env: { FHIRLEDGER_MAX_BODY_BYTES: String(64 * 1024 * 1024) },
      overrides: { ledger: new MemoryLedger() },
    });
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(server.dataDir);
  });

  it("every example that passes our validator is accepted and reads back equal except meta", async () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".json") && f !== "package.json" && !f.startsWith("."))
      .sort()
      .filter((_, i) => i % SAMPLE_EVERY === 0);
    const validator = createValidator();
    const stats = {
      files: files.length,
      valid: 0,
      invalid: 0,
      roundTripped: 0,
      readOnly: 0,
      withReformattedNumbers: 0,
      decimalTextLost: 0,
      reformattedNumberSamples: [] as string[],
    };
    const failures: string[] = [];
    // Examples sharing type/id (the IG appears twice) go to one worker, in file order.
    const byKey = new Map<string, string[]>();
    for (const f of files) {
      const head = readFileSync(join(dir, f), "utf8");
      const m = /"resourceType"\s*:\s*"([A-Za-z]+)"/.exec(head);
      const id = /^\s*\{[^{]*?"id"\s*:\s*"([^"]+)"/.exec(head)?.[1];
      const key = m && id ? `${m[1]}/${id}` : `file:${f}`;
      byKey.set(key, [...(byKey.get(key) ?? []), f]);
    }
    const queue = [...byKey.values()];
    const started = Date.now();

    /**
     * The client and the server share this process: a large example can hold the event loop for
     * a second or more (more when the suite's other files load the machine), and a keep-alive
     * socket the server closes as idle just then is reset under the next request sent on it. That
     * is the client's race, not the server's answer: such a request is sent once more.
     */
    async function request(path: string, init?: RequestInit): Promise<Response> {
      try {
        return await server.request(path, init);
      } catch (error) {
        if ((error as { cause?: { code?: string } }).cause?.code !== "ECONNRESET") throw error;
        return server.request(path, init);
      }
    }

    async function roundTrip(file: string): Promise<void> {
      const text = readFileSync(join(dir, file), "utf8");
      const { value: example, reformatted } = parseNoting(text);
      try {
        validator.validate(example);
      } catch {
        stats.invalid += 1;
        return;
      }
      stats.valid += 1;
      if (example.resourceType === "AuditEvent") {
        // written by the server only: over REST an AuditEvent is read-only (405), whatever its content
        const refused = await request(`/AuditEvent/${example.id ?? "x"}`, { method: "PUT", body: text });
        await refused.arrayBuffer();
        if (refused.status !== 405) failures.push(`${file}: an AuditEvent write answered ${refused.status}, not 405`);
        else stats.readOnly += 1;
        return;
      }
      const res =
        example.id === undefined
          ? await request(`/${example.resourceType}`, { method: "POST", body: text })
          : await request(`/${example.resourceType}/${example.id}`, { method: "PUT", body: text });
      if (res.status !== 201 && res.status !== 200) {
        failures.push(`${file}: write answered ${res.status} ${(await res.text()).slice(0, 300)}`);
        return;
      }
      await res.arrayBuffer();
      const location = res.headers.get("location");
      const path =
        example.id === undefined
          ? new URL(location!).pathname.replace(/\/_history\/\d+$/, "")
          : `/${example.resourceType}/${example.id}`;
      const read = await request(path);
      const servedText = await read.text();
      if (read.status !== 200) {
        failures.push(`${file}: read answered ${read.status}`);
        return;
      }
      const served = JSON.parse(servedText) as R;
      const expected = example.id === undefined ? { ...example, id: served.id } : example;
      try {
        expect(withoutMeta(served)).toEqual(withoutMeta(expected));
        expect((served.meta as { versionId?: string }).versionId).toMatch(/^[0-9]+$/);
      } catch (error) {
        failures.push(`${file}: differs: ${String((error as Error).message).slice(0, 300)}`);
        return;
      }
      stats.roundTripped += 1;
      if (reformatted.length > 0) {
        stats.withReformattedNumbers += 1;
        // Equal as JSON values, but does the served text still say 105.00, or 105?
        const kept = (literal: string) =>
          new RegExp(`[:\\[,]${literal.replace(/[.+-]/g, "\\$&")}[,\\]}]`).test(servedText);
        if (!reformatted.every(kept)) stats.decimalTextLost += 1;
        if (stats.reformattedNumberSamples.length < 10)
          stats.reformattedNumberSamples.push(`${file}: ${reformatted.slice(0, 3).join(", ")}`);
      }
    }

    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let group = queue.shift(); group; group = queue.shift()) {
          for (const file of group) await roundTrip(file);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`examples: ${JSON.stringify({ ...stats, seconds, failures: failures.length })}`);
    expect(failures).toEqual([]);
    expect(stats.valid).toBeGreaterThan(files.length * 0.99);
    expect(stats.readOnly).toBeGreaterThan(0);
    expect(stats.roundTripped + stats.readOnly).toBe(stats.valid);
    // ...and read back as written: 105.00 stays 105.00 (FHIR decimal precision)
    expect(stats.withReformattedNumbers).toBeGreaterThan(0);
    expect(stats.decimalTextLost).toBe(0);
  }, 900_000);
});
