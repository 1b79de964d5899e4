import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { allowsOverRest, restRestrictionOf } from "../engine/restRestrictions.ts";
import type { FhirValidator } from "../validation/createValidator.ts";
import { describeEntry } from "./describeEntry.ts";
import { MAX_BUNDLE_ENTRIES } from "./bundleLimits.ts";
import { parseEntryUrl } from "./parseEntryUrl.ts";
import type { EntryTarget } from "./parseEntryUrl.ts";

export type EntryMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One Bundle.entry, checked and with its request.url parsed. */
export interface ParsedEntry {
  /** position in the request Bundle (responses go back in this order) */
  index: number;
  method: EntryMethod;
  url: string;
  target: EntryTarget;
  fullUrl?: string;
  resource?: Record<string, unknown> & { resourceType: string };
  ifMatch?: string;
  ifNoneExist?: string;
  /** On a GET: 304 when the current version is one named; on a PUT: `*` creates only. */
  ifNoneMatch?: string;
  /** On a GET: 304 when not modified since this instant. */
  ifModifiedSince?: string;
}

export interface ParsedBundle {
  type: "batch" | "transaction";
  /** an entry that could not be parsed holds its error (a batch answers it, a transaction fails) */
  entries: (ParsedEntry | { index: number; error: FhirLedgerError })[];
}

const METHODS = new Set<string>(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);

/**
 * Checks a batch/transaction Bundle: the Bundle itself against the R4 schema (entry resources
 * are validated one by one later, after references are resolved), its type, the entry limit,
 * and each entry's request. Anything wrong with the Bundle as a whole is a 400 (413 for too
 * many entries); what is wrong with one entry is returned with that entry.
 * @see https://hl7.org/fhir/R4/http.html#transaction
 */
export function parseBundle(
  body: unknown,
  options: { validator: FhirValidator; baseUrl: string; maxEntries?: number },
): ParsedBundle {
  if (
    body === null ||
    typeof body !== "object" ||
    Array.isArray(body) ||
    (body as { resourceType?: unknown }).resourceType !== "Bundle"
  ) {
    throw invalid("POST to the base URL takes a Bundle of type batch or transaction", "resourceType");
  }
  const bundle = body as { type?: unknown; entry?: unknown };
  if (bundle.type !== "batch" && bundle.type !== "transaction") {
    throw invalid(
      `Bundle.type must be batch or transaction (was ${JSON.stringify(bundle.type)?.slice(0, 40)})`,
      "Bundle.type",
    );
  }
  const rawEntries = bundle.entry ?? [];
  if (!Array.isArray(rawEntries)) throw invalid("Bundle.entry must be an array", "Bundle.entry");
  const max = options.maxEntries ?? MAX_BUNDLE_ENTRIES;
  if (rawEntries.length > max)
    throw new FhirLedgerError(
      "too-large",
      `the Bundle has ${rawEntries.length} entries; this server takes at most ${max} per request`,
    );
  const { entry: _entries, ...shell } = body as Record<string, unknown>;
  if (rawEntries.length > 0) {
    shell.entry = rawEntries.map((e) => {
      if (e === null || typeof e !== "object" || Array.isArray(e)) return e;
      const { resource: _resource, ...rest } = e as Record<string, unknown>;
      return rest;
    });
  }
  options.validator.validate(shell, { expectedType: "Bundle" });
  return {
    type: bundle.type,
    entries: rawEntries.map((raw, index) => {
      try {
        return parseEntry(raw as Record<string, unknown>, index, options.baseUrl);
      } catch (error) {
        if (error instanceof FhirLedgerError) return { index, error };
        throw error;
      }
    }),
  };
}

function parseEntry(raw: Record<string, unknown>, index: number, baseUrl: string): ParsedEntry {
  const request = raw.request as
    | {
        method?: unknown;
        url?: unknown;
        ifMatch?: unknown;
        ifNoneExist?: unknown;
        ifNoneMatch?: unknown;
        ifModifiedSince?: unknown;
      }
    | undefined;
  if (!request || typeof request.method !== "string" || typeof request.url !== "string")
    throw invalid("each entry needs request.method and request.url", "request");
  if (!METHODS.has(request.method))
    throw invalid(`request.method ${request.method} is not supported`, "request.method");
  const method = request.method as EntryMethod;
  const target = parseEntryUrl(request.url, baseUrl);
  const resource = raw.resource as ParsedEntry["resource"] | undefined;
  const entry: ParsedEntry = {
    index,
    method,
    url: request.url,
    target,
    ...(typeof raw.fullUrl === "string" ? { fullUrl: raw.fullUrl } : {}),
    ...(resource ? { resource } : {}),
    ...(typeof request.ifMatch === "string" ? { ifMatch: request.ifMatch } : {}),
    ...(typeof request.ifNoneExist === "string" ? { ifNoneExist: request.ifNoneExist } : {}),
    ...(typeof request.ifNoneMatch === "string" ? { ifNoneMatch: request.ifNoneMatch } : {}),
    ...(typeof request.ifModifiedSince === "string" ? { ifModifiedSince: request.ifModifiedSince } : {}),
  };
  // A type REST clients may not write (AuditEvent) is refused in a Bundle as on its own URL.
  const { interaction } = describeEntry(entry);
  if (!allowsOverRest(target.type, interaction)) {
    const message = `${method} ${target.type} is not allowed: ${restRestrictionOf(target.type)?.reason ?? ""}`;
    throw new FhirLedgerError("method-not-allowed", message, {
      issues: [{ type: "not-supported", diagnostics: message, expression: ["request.method"] }],
    });
  }
  const hasId = target.id !== undefined;
  const hasQuery = target.query !== undefined;
  switch (method) {
    case "POST":
      if (hasId || hasQuery)
        throw invalid(
          "POST entries take request.url [type] (conditional create goes in request.ifNoneExist)",
          "request.url",
        );
      break;
    case "PUT":
    case "DELETE":
    case "PATCH":
      if (target.vid !== undefined || hasId === hasQuery)
        throw invalid(`${method} entries take request.url [type]/[id] or [type]?[criteria]`, "request.url");
      break;
    default:
      break;
  }
  if (method === "POST" || method === "PUT") {
    if (!resource || typeof resource !== "object") throw invalid(`${method} entries need a resource`, "resource");
    if (resource.resourceType !== target.type)
      throw invalid(
        `the resource is a ${String(resource.resourceType).slice(0, 64)}, the request.url names ${target.type}`,
        "resource.resourceType",
      );
  }
  if (
    method === "PATCH" &&
    (!resource || (resource.resourceType !== "Binary" && resource.resourceType !== "Parameters"))
  ) {
    throw invalid(
      "PATCH entries carry a JSON Patch as a Binary resource (contentType application/json-patch+json) or a FHIRPath Patch as a Parameters resource",
      "resource",
    );
  }
  return entry;
}

function invalid(message: string, expression: string): FhirLedgerError {
  return new FhirLedgerError("invalid", message, {
    issues: [{ type: "invalid", diagnostics: message, expression: [expression] }],
  });
}
