import type { Context, Hono } from "hono";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { readHistory } from "../../fhir/history/readHistory.ts";
import type { HistoryDeps, HistoryScope } from "../../fhir/history/readHistory.ts";
import type { Env } from "../createApp.ts";
import { historyIndexOf } from "./historyIndexOf.ts";
import type { RouteContext } from "./RouteContext.ts";

/**
 * History at system, type and instance level with `_since`, `_at`, `_count` and paging;
 * unknown parameters are reported in the Bundle, or a 400 under `Prefer: handling=strict`.
 * The instance route replaces the generic one (which ignores the parameters).
 * @see https://hl7.org/fhir/R4/http.html#history
 */
export function registerHistoryRoutes(app: Hono<Env>, ctx: RouteContext): void {
  const deps = (): HistoryDeps => {
    if (!ctx.records || !ctx.index)
      throw new FhirLedgerError("internal", "history needs the records and index services");
    return {
      history: historyIndexOf(ctx.index),
      index: ctx.index,
      records: ctx.records,
      ...(ctx.audit ? { audit: ctx.audit } : {}),
    };
  };
  const history = async (c: Context<Env>, scope: HistoryScope) =>
    ctx.send(
      c,
      await readHistory(deps(), c.get("actor"), scope, new URL(c.req.url).searchParams, {
        baseUrl: ctx.baseUrl(),
        strict: ctx.strict(c),
      }),
    );

  app.get("/_history", (c) => history(c, { level: "system" }));
  app.get("/:type/_history", (c) => history(c, { level: "type", type: c.req.param("type") }));
  app.get("/:type/:id/_history", (c) =>
    history(c, { level: "instance", type: c.req.param("type"), id: c.req.param("id") }),
  );
}
