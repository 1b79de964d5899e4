import type { Context, Hono } from "hono";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import { allPatientsEverything } from "../../fhir/operations/allPatientsEverything.ts";
import { patientEverything } from "../../fhir/operations/patientEverything.ts";
import { validateOperation } from "../../fhir/operations/validateOperation.ts";
import type { Env } from "../createApp.ts";
import { historyIndexOf } from "./historyIndexOf.ts";
import type { RouteContext } from "./RouteContext.ts";

/** `[type]/$validate`, `[type]/[id]/$validate`, `Patient/[id]/$everything` and `Patient/$everything` (every patient). */
export function registerOperationRoutes(app: Hono<Env>, ctx: RouteContext): void {
  const validateDeps = () => {
    if (!ctx.validator || !ctx.index)
      throw new FhirLedgerError("internal", "$validate needs the validator and index services");
    return { validator: ctx.validator, index: ctx.index };
  };
  const profiles = (c: Context<Env>) => ({ profiles: new URL(c.req.url).searchParams.getAll("profile") });
  app.post("/:type/$validate", async (c) =>
    ctx.send(c, validateOperation(validateDeps(), c.req.param("type"), undefined, await ctx.readJson(c), profiles(c))),
  );
  app.post("/:type/:id/$validate", async (c) =>
    ctx.send(
      c,
      validateOperation(validateDeps(), c.req.param("type"), c.req.param("id"), await ctx.readJson(c), profiles(c)),
    ),
  );

  const everythingDeps = () => {
    if (!ctx.records || !ctx.index)
      throw new FhirLedgerError("internal", "$everything needs the records and index services");
    return {
      history: historyIndexOf(ctx.index),
      index: ctx.index,
      records: ctx.records,
      ...(ctx.audit ? { audit: ctx.audit } : {}),
    };
  };
  app.get("/Patient/$everything", async (c) =>
    ctx.send(
      c,
      await allPatientsEverything(everythingDeps(), c.get("actor"), new URL(c.req.url).searchParams, ctx.baseUrl()),
    ),
  );
  app.get("/Patient/:id/$everything", async (c) =>
    ctx.send(
      c,
      await patientEverything(
        everythingDeps(),
        c.get("actor"),
        c.req.param("id"),
        new URL(c.req.url).searchParams,
        ctx.baseUrl(),
      ),
    ),
  );
}
