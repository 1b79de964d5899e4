import type { Context, Hono } from "hono";
import type { Env } from "../createApp.ts";
import { searchQuery } from "../searchQuery.ts";
import type { RouteContext } from "./RouteContext.ts";

/**
 * System-level search: `GET [base]?…` and `POST [base]/_search` (URL and form body), the same
 * search either way. `POST [base]` stays batch/transaction (bundleRoutes).
 * @see https://hl7.org/fhir/R4/search.html#searchcontexts
 * @see https://hl7.org/fhir/R4/http.html#search
 */
export function registerSystemSearchRoutes(app: Hono<Env>, ctx: RouteContext): void {
  const search = async (c: Context<Env>) =>
    ctx.send(
      c,
      await ctx.fhir.searchSystem(c.get("actor"), await searchQuery(c), {
        baseUrl: ctx.baseUrl(),
        strict: ctx.strict(c),
      }),
    );
  app.get("/", search);
  app.post("/_search", search);
}
