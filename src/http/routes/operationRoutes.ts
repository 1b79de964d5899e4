import type { Context, Hono } from "hono";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { patientEverything } from "../../fhir/operations/patientEverything.ts";
import { validateOperation } from "../../fhir/operations/validateOperation.ts";
import type { Env } from "../createApp.ts";
import { historyIndexOf } from "./historyIndexOf.ts";
import type { RouteContext } from "./RouteContext.ts";

/** `[type]/$validate`, `[type]/[id]/$validate` and `Patient/[id]/$everything` (one patient; type-level is refused). */
export function registerOperationRoutes(app: Hono<Env>, ctx: RouteContext): void {
  const validateDeps = () => {
    if (!ctx.validator || !ctx.index) throw new FhirLedgerError("internal", "$validate needs the validator and index services");
    return { validator: ctx.validator, index: ctx.index };
  };
  const profiles = (c: Context<Env>) => ({ profiles: new URL(c.req.url).searchParams.getAll("profile") });
  app.post("/:type/$validate", async (c) =>
    ctx.send(c, validateOperation(validateDeps(), c.req.param("type"), undefined, await ctx.readJson(c), profiles(c))));
  app.post("/:type/:id/$validate", async (c) =>
    ctx.send(c, validateOperation(validateDeps(), c.req.param("type"), c.req.param("id"), await ctx.readJson(c), profiles(c))));

  app.get("/Patient/$everything", () => {
    const message = "type-level Patient/$everything is not supported: ask for one patient with GET Patient/[id]/$everything";
    throw new FhirLedgerError("invalid", message, { issues: [{ type: "not-supported", diagnostics: message }] });
  });

  app.get("/Patient/:id/$everything", async (c) => {
    if (!ctx.records || !ctx.index) throw new FhirLedgerError("internal", "$everything needs the records and index services");
    const deps = { history: historyIndexOf(ctx.index), index: ctx.index, records: ctx.records, ...(ctx.audit ? { audit: ctx.audit } : {}) };
    return ctx.send(c, await patientEverything(deps, c.get("actor"), c.req.param("id"), new URL(c.req.url).searchParams, ctx.baseUrl()));
  });
}
