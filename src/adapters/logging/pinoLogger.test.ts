import { createSecretKey, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { pinoLogger } from "./pinoLogger.ts";

/** A logger writing into an array of parsed lines. */
function recording(level: "debug" | "info" | "warn" | "error" = "debug") {
  const lines: string[] = [];
  const logger = pinoLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.planted-token-7f3a9c.c2lnbmF0dXJl";
const FAMILY = "Zyxwvutsrq"; // a patient's family name, planted in resources
const KEY_HEX = "5eed".repeat(16);
const patient = { resourceType: "Patient", id: "p1", name: [{ family: FAMILY, given: ["Peter"] }] };

describe("pinoLogger", () => {
  it("writes one JSON line per event with time, level name, message and fields", () => {
    const { logger, parsed } = recording();
    logger.info("anchored batch 3", { batchId: 3, leaves: 12 });
    const [line] = parsed();
    expect(line).toMatchObject({ level: "info", msg: "anchored batch 3", batchId: 3, leaves: 12 });
    expect(String(line!.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("binds a component and a request id through child loggers", () => {
    const { logger, parsed } = recording();
    const anchorer = logger.child({ component: "anchorer" });
    anchorer.warn("retrying");
    anchorer.child({ requestId: "req-1" }).error("failed", { code: "internal" });
    expect(parsed()).toMatchObject([
      { level: "warn", component: "anchorer", msg: "retrying" },
      { level: "error", component: "anchorer", requestId: "req-1", msg: "failed", code: "internal" },
    ]);
  });

  it("drops events below its level", () => {
    const { logger, parsed } = recording("warn");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    expect(parsed().map((l) => l.msg)).toEqual(["w"]);
  });

  it("never writes a planted token, resource body or key, whatever key or depth it is logged under", () => {
    const { logger, lines, parsed } = recording();
    const keyBytes = Buffer.from(KEY_HEX, "hex");
    logger.info("request", {
      authorization: `Bearer ${TOKEN}`,
      headers: { Authorization: `Bearer ${TOKEN}`, "x-api-key": TOKEN, cookie: `session=${TOKEN}` },
      req: { headers: { authorization: `Bearer ${TOKEN}` } },
      token: TOKEN,
      devToken: TOKEN,
      access_token: TOKEN,
      body: JSON.stringify(patient),
      resource: patient,
      nested: { deeper: { deepest: { list: [{ resource: patient }, { entry: [{ resource: patient }] }] } } },
      somewhere: { unnamed: patient }, // a resource under a harmless name is still a resource
      bundle: { resourceType: "Bundle", entry: [{ fullUrl: "urn:uuid:1", resource: patient }] },
      key: keyBytes,
      dataKey: { keyId: "abc", key: new Uint8Array(keyBytes) },
      bytes: new Uint8Array(keyBytes),
      kek: KEY_HEX,
      newKek: KEY_HEX,
      handle: createSecretKey(randomBytes(32)),
      secret: KEY_HEX,
      clientSecret: KEY_HEX,
      password: KEY_HEX,
      privateKey: KEY_HEX,
      family: FAMILY.length, // a harmless field beside them survives
    });
    logger.error(`upstream said: Authorization: Bearer ${TOKEN} for Basic ${TOKEN}`);
    logger.warn("failed", { error: new FhirLedgerError("internal", `token ${`Bearer ${TOKEN}`}`) });
    const cyclic: Record<string, unknown> = { id: "x" };
    cyclic.self = cyclic;
    cyclic.resource = patient;
    logger.info("cycle", { cyclic });
    logger.child({ component: "http", authorization: `Bearer ${TOKEN}`, session: { token: TOKEN } }).info("bound");
    logger.child({ requestId: "r1" }).info("resource in a field", { patient });

    const out = lines.join("");
    expect(lines).toHaveLength(6);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain("planted-token");
    expect(out).not.toContain(FAMILY);
    expect(out).not.toContain("Peter");
    expect(out).not.toContain(KEY_HEX);
    expect(out).not.toContain(keyBytes.toString("base64"));
    expect(out).toContain("[redacted]");
    const [first, message, error, cycle, bound, field] = parsed();
    expect(first).toMatchObject({ family: FAMILY.length, somewhere: { unnamed: "[resource]" }, bytes: "[32 bytes]" });
    expect(message!.msg).toBe("upstream said: Authorization: Bearer [redacted] for Basic [redacted]");
    expect(error).toMatchObject({ error: { type: "FhirLedgerError", code: "internal" } });
    expect(cycle).toMatchObject({ cyclic: { id: "x", self: "[circular]", resource: "[redacted]" } });
    expect(bound).toMatchObject({ component: "http", authorization: "[redacted]", session: { token: "[redacted]" } });
    expect(field).toMatchObject({ requestId: "r1", patient: "[redacted]" });
  });
});
