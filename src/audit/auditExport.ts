import definition from "../../fhir-profiles/OperationDefinition-export.json" with { type: "json" };
import type { Actor } from "../auth/Actor.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { FhirResponse } from "../fhir/engine/FhirRequest.ts";
import type { EngineContext } from "../fhir/engine/InteractionRoute.ts";
import type { FhirOperation } from "../fhir/operations/FhirOperation.ts";
import { invokedByGetAndPost } from "../fhir/operations/invokedByGetAndPost.ts";

/** The most AuditEvents one export holds: past it the export is refused (narrow it by `date`). */
export const MAX_EXPORT = 10_000;
const PAGE = 1000;
export const NDJSON = "application/fhir+ndjson";

/**
 * `GET [base]/AuditEvent/$export?<search parameters>`: every AuditEvent the caller may search
 * (auditors: all; a patient: those naming them) matching the parameters, in id order, one per
 * line. Counted first: more than `max` matches is a 400, so no export is silently cut short.
 */
export async function auditExport(
  ctx: Pick<EngineContext, "fhir">,
  actor: Actor,
  query: URLSearchParams,
  baseUrl: string,
  max = MAX_EXPORT,
): Promise<FhirResponse> {
  const params = new URLSearchParams(query);
  for (const name of [
    "_count",
    "_sort",
    "_cursor",
    "_summary",
    "_total",
    "_elements",
    "_include",
    "_revinclude",
    "_format",
  ])
    params.delete(name);
  const counted = await ctx.fhir.search(actor, "AuditEvent", withParams(params, { _summary: "count" }), {
    baseUrl,
    strict: true,
  });
  const total = Number((counted.resource as { total?: number }).total ?? 0);
  if (total > max)
    throw new FhirLedgerError(
      "invalid",
      `${total} AuditEvents match; an export holds at most ${max}: narrow the search (date=ge…&date=lt…)`,
    );
  const lines: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.fhir.search(
      actor,
      "AuditEvent",
      withParams(params, { _sort: "_id", _count: String(PAGE), ...(cursor ? { _cursor: cursor } : {}) }),
      { baseUrl, strict: true },
    );
    const bundle = page.resource as {
      entry?: { resource: { resourceType: string } }[];
      link?: { relation: string; url: string }[];
    };
    for (const e of bundle.entry ?? [])
      if (e.resource.resourceType === "AuditEvent") lines.push(`${JSON.stringify(e.resource)}\n`);
    const next = bundle.link?.find((l) => l.relation === "next")?.url;
    cursor = next === undefined ? undefined : (new URL(next).searchParams.get("_cursor") ?? undefined);
  } while (cursor !== undefined && lines.length < max);
  return { status: 200, pieces: () => lines, headers: { "Content-Type": NDJSON } };
}

function withParams(base: URLSearchParams, extra: Record<string, string>): URLSearchParams {
  const out = new URLSearchParams(base);
  for (const [k, v] of Object.entries(extra)) out.set(k, v);
  return out;
}

/** The operation, for the interaction table (src/fhir/operations/index.ts). */
export const auditExportOperation: FhirOperation = {
  code: "export",
  definitionUrl: "#export",
  definition,
  types: ["AuditEvent"],
  routes: [
    ...invokedByGetAndPost({
      methods: ["GET"],
      path: "/AuditEvent/$export",
      interactions: ["operation"],
      level: "type",
      operation: "export",
      types: ["AuditEvent"],
      handle: (ctx, actor, _p, request) => auditExport(ctx, actor, request.query, request.baseUrl),
    }),
  ],
};
