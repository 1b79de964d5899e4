import { randomUUID } from "node:crypto";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { FhirResult } from "../fhir/FhirInteractions.ts";
import { toOperationOutcome } from "../fhir/outcome/operationOutcome.ts";

export const FHIR_JSON = "application/fhir+json; charset=utf-8";

/** The client's X-Request-Id made safe to echo and log (64 word characters at most), or a new one. */
export function requestIdOf(header: string | string[] | undefined): string {
  const given = typeof header === "string" ? header.slice(0, 64).replace(/[^A-Za-z0-9\-_.]/g, "") : "";
  return given || randomUUID();
}

/** Whether an Accept header (or `_format`) admits FHIR JSON, the only format served. */
export function acceptsJson(accept: string): boolean {
  return accept.split(",").some((part) => {
    const media = part.split(";")[0]!.trim().toLowerCase();
    return ["*/*", "application/*", "application/json", "application/fhir+json", "json", "application/json+fhir"].includes(media);
  });
}

/** ETag, Last-Modified and (for 201) Location of a result that carries a version. */
export function versionHeaders(result: FhirResult, baseUrl: () => string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (result.version) {
    const { type, id, versionId, lastUpdated } = result.version;
    headers.ETag = `W/"${versionId}"`;
    headers["Last-Modified"] = new Date(lastUpdated).toUTCString();
    if (result.status === 201) headers.Location = `${baseUrl()}/${type}/${id}/_history/${versionId}`;
  }
  return headers;
}

/**
 * Any error as an OperationOutcome response. Server faults (5xx) are logged by request id and
 * code only: no message from a dependency, no stack, no PHI.
 */
export function errorResponse(
  error: unknown,
  requestId: string,
  pretty: boolean,
  log?: (level: "info" | "warn" | "error", message: string) => void,
): { status: number; headers: Record<string, string>; body: string } {
  const { status, outcome } = toOperationOutcome(error, requestId);
  if (status >= 500) log?.("error", `request ${requestId} failed: ${error instanceof FhirLedgerError ? `${error.code}: ${error.message}` : (error as Error)?.name ?? "error"}`);
  const headers: Record<string, string> = { "Content-Type": FHIR_JSON };
  if (status === 401) headers["WWW-Authenticate"] = 'Bearer realm="fhirledger"';
  return { status, headers, body: JSON.stringify(outcome, null, pretty ? 2 : undefined) };
}
