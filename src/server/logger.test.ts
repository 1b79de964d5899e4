import { describe, expect, it } from "vitest";
import { pinoLogger } from "../adapters/logging/pinoLogger.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { errorResponse } from "../http/responses.ts";
import { httpLogCallback } from "./logger.ts";

describe("httpLogCallback", () => {
  it("logs a server fault of the HTTP edge with its component and request id as fields", () => {
    const lines: string[] = [];
    const logger = pinoLogger({ level: "info", destination: { write: (line: string) => void lines.push(line) } });
    const log = httpLogCallback(logger.child({ component: "http" }));
    errorResponse(new FhirLedgerError("internal", "index closed"), "req-42", false, log);
    errorResponse(new FhirLedgerError("not-found", "no Patient/x"), "req-43", false, log); // not a fault: not logged
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { level: "error", component: "http", requestId: "req-42", msg: "request req-42 failed: internal: index closed" },
    ]);
  });
});
