import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { ErrorIssue } from "../../errors/FhirLedgerError.ts";
import { toOperationOutcome } from "../outcome/operationOutcome.ts";
import type { FhirResult } from "../FhirInteractions.ts";
import { stringifyJson } from "../../json/preciseJson.ts";
import { arrayPieces, type JsonPieces, objectWithPieces } from "../jsonPieces.ts";

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** "201 Created": Bundle.entry.response.status is the status code, optionally with its text. */
export function statusLine(status: number): string {
  return REASONS[status] ? `${status} ${REASONS[status]}` : String(status);
}

/** The resource of a response entry in pieces, for the response Bundle to be written out in pieces. */
const RESOURCE_PIECES = Symbol("resourcePieces");

/** A response entry for an interaction's result. */
export function resultEntry(
  baseUrl: string,
  result: FhirResult,
  options: { includeResource: boolean },
): Record<string, unknown> {
  const response: Record<string, unknown> = { status: statusLine(result.status) };
  const v = result.version;
  if (v) {
    if (result.status === 201 || result.status === 200) response.location = `${v.type}/${v.id}/_history/${v.versionId}`;
    response.etag = `W/"${v.versionId}"`;
    response.lastModified = v.lastUpdated;
  }
  const pieces = options.includeResource ? resourcePieces(result) : undefined;
  if (pieces !== undefined) {
    // The resource is a searchset or a stored resource: written out from its pieces, and
    // parsed only if a caller reads `resource` (the getter keeps the member order).
    const entry: Record<string, unknown> =
      v && result.status !== 204 ? { fullUrl: `${baseUrl}/${v.type}/${v.id}` } : {};
    Object.defineProperty(entry, "resource", { enumerable: true, configurable: true, get: () => result.resource });
    entry.response = response;
    Object.defineProperty(entry, RESOURCE_PIECES, { value: pieces });
    return entry;
  }
  const isOutcome = result.resource?.resourceType === "OperationOutcome";
  if (isOutcome) response.outcome = result.resource;
  return {
    ...(v && result.status !== 204 ? { fullUrl: `${baseUrl}/${v.type}/${v.id}` } : {}),
    ...(result.resource && !isOutcome && options.includeResource ? { resource: result.resource } : {}),
    response,
  };
}

/** What resultEntry can write in pieces: a searchset, or a resource as stored (not an OperationOutcome, which goes in response.outcome). */
function resourcePieces(result: FhirResult): (() => JsonPieces) | undefined {
  if (result.status !== 200) return undefined;
  const { pieces } = result;
  if (pieces !== undefined) return () => pieces.call(result);
  if (result.version === undefined || result.version.type === "OperationOutcome") return undefined;
  const stored = result.bytes ?? result.text;
  return stored === undefined ? undefined : () => [stored];
}

/**
 * A batch or transaction response Bundle of `responses` as JSON pieces: the resources of
 * entries from resultEntry as their pieces, every other member as its JSON.
 */
export function* bundleResponsePieces(
  type: string,
  responses: readonly Record<string, unknown>[],
): Generator<string | Uint8Array> {
  const head = { resourceType: "Bundle", type };
  if (responses.length === 0) {
    yield stringifyJson(head);
    return;
  }
  const entries = responses.map((entry) => {
    const pieces = (entry as { [RESOURCE_PIECES]?: () => JsonPieces })[RESOURCE_PIECES];
    if (pieces === undefined) return () => [stringifyJson(entry)];
    const { fullUrl } = entry;
    const before = fullUrl === undefined ? {} : { fullUrl };
    return () => objectWithPieces(before, "resource", pieces(), { response: entry.response }, stringifyJson);
  });
  yield* objectWithPieces(head, "entry", arrayPieces(entries), {}, stringifyJson);
}

/** A response entry for a failed entry of a batch: its status and OperationOutcome. */
export function errorEntry(error: unknown, requestId?: string): Record<string, unknown> {
  const { status, outcome } = toOperationOutcome(error, requestId);
  return { response: { status: statusLine(status), outcome } };
}

/**
 * The error of one entry, restated so the client can tell which: diagnostics prefixed with
 * `Bundle.entry[i]`, expressions rooted at the entry's resource. Server errors pass unchanged.
 */
export function atEntry(
  error: unknown,
  entry: { index: number; method?: string; url?: string; type?: string },
): unknown {
  if (!(error instanceof FhirLedgerError)) return error;
  const mapped = toOperationOutcome(error);
  if (mapped.status >= 500) return error;
  const where = `Bundle.entry[${entry.index}]`;
  const label = entry.method && entry.url ? `${where} (${entry.method} ${entry.url.slice(0, 200)})` : where;
  const base: ErrorIssue[] =
    error.issues.length > 0 ? error.issues : [{ type: mapped.outcome.issue[0]!.code, diagnostics: error.message }];
  const issues = base.map((issue) => ({
    ...issue,
    diagnostics: `${label}: ${issue.diagnostics}`,
    expression: issue.expression?.length
      ? issue.expression.map((e) =>
          entry.type && e.startsWith(`${entry.type}.`)
            ? `${where}.resource${e.slice(entry.type.length)}`
            : `${where}.${e}`,
        )
      : [where],
  }));
  return new FhirLedgerError(error.code, `${label}: ${error.message}`, { issues, cause: error });
}
