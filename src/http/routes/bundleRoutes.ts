import type { Context, Hono } from "hono";
import { toHex } from "../../crypto/hex.ts";
import { sha256 } from "../../crypto/sha256.ts";
import { stringifyJson } from "../../json/preciseJson.ts";
import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { BundleDeps, PreferReturn } from "../../fhir/bundles/BundleDeps.ts";
import { processBundle } from "../../fhir/bundles/processBundle.ts";
import { conditionalCreate } from "../../fhir/conditional/conditionalCreate.ts";
import type { ConditionalDeps } from "../../fhir/conditional/ConditionalDeps.ts";
import { conditionalDelete } from "../../fhir/conditional/conditionalDelete.ts";
import { conditionalUpdate } from "../../fhir/conditional/conditionalUpdate.ts";
import { findMatches } from "../../fhir/conditional/findMatches.ts";
import { assertResourceType } from "../../fhir/conditional/requestChecks.ts";
import { patchResource } from "../../fhir/patch/patchResource.ts";
import type { Env } from "../createApp.ts";
import { writeConditions } from "../writeConditions.ts";
import type { RouteContext } from "./RouteContext.ts";

/**
 * Batch/transaction (`POST /`), conditional create (`POST /:type` + If-None-Exist; without the
 * header the generic create runs), conditional update and delete (`PUT|DELETE /:type?criteria`)
 * and PATCH with a JSON Patch or a FHIRPath Patch (`PATCH /:type/:id`, `PATCH /:type?criteria`).
 */
export function registerBundleRoutes(app: Hono<Env>, ctx: RouteContext): void {
  const services = (): ConditionalDeps => {
    const { records, index, validator } = ctx;
    if (!records || !index || !validator)
      throw new FhirLedgerError("internal", "bundle routes need records, index and validator");
    return {
      fhir: ctx.fhir,
      records,
      index,
      validator,
      ...(ctx.maxBundleEntries === undefined ? {} : { maxDeletes: ctx.maxBundleEntries }),
    };
  };
  const criteriaOf = (c: Context<Env>) => new URL(c.req.url).search.replace(/^\?/, "");
  const ifMatchOf = (c: Context<Env>) => {
    const ifMatch = c.req.header("if-match");
    return ifMatch === undefined ? {} : { ifMatch };
  };

  app.post("/", async (c) => {
    const body = await ctx.readJson(c);
    // The bytes as sent (Hono keeps the body read above): hashing them is what tells an
    // idempotent repeat from new content, at a fraction of the cost of canonical JSON.
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const deps: BundleDeps = {
      ...services(),
      baseUrl: ctx.baseUrl(),
      actor: c.get("actor"),
      preferReturn: preferReturnOf(c.req.header("prefer")),
      requestHash: () => toHex(sha256(bytes)),
      ...(ctx.maxBundleEntries === undefined ? {} : { maxEntries: ctx.maxBundleEntries }),
    };
    const result = await processBundle(deps, body);
    // Prefer return=minimal is about the entries (which carry no resources unless asked);
    // the response Bundle itself is always sent, or the client could not tell what happened.
    if (!/return\s*=\s*minimal/i.test(c.req.header("prefer") ?? "")) return ctx.send(c, result);
    return c.body(stringifyJson(result.resource, c.req.query("_pretty") === "true" ? 2 : undefined), 200, {
      "Content-Type": "application/fhir+json; charset=utf-8",
    });
  });

  app.post("/:type", async (c, next) => {
    const criteria = c.req.header("if-none-exist");
    if (criteria === undefined) return next();
    return ctx.send(c, await conditionalCreate(services(), c.req.param("type"), await ctx.readJson(c), criteria));
  });

  app.put("/:type", async (c) =>
    ctx.send(
      c,
      await conditionalUpdate(
        services(),
        c.req.param("type"),
        criteriaOf(c),
        await ctx.readJson(c),
        writeConditions(c),
      ),
    ),
  );

  app.delete("/:type", async (c) =>
    ctx.send(c, await conditionalDelete(services(), c.req.param("type"), criteriaOf(c), ifMatchOf(c))),
  );

  app.patch("/:type/:id", async (c) =>
    ctx.send(
      c,
      await patchResource(services(), c.req.param("type"), c.req.param("id"), await ctx.readJson(c), ifMatchOf(c)),
    ),
  );

  app.patch("/:type", async (c) => {
    const type = c.req.param("type");
    assertResourceType(type);
    const deps = services();
    const matches = findMatches(deps.index, type, criteriaOf(c));
    if (matches.length !== 1) {
      throw matches.length === 0
        ? new FhirLedgerError("not-found", "the conditional patch criteria match no resource")
        : new FhirLedgerError("precondition-failed", "the conditional patch criteria match more than one resource");
    }
    return ctx.send(c, await patchResource(deps, type, matches[0]!.id, await ctx.readJson(c), ifMatchOf(c)));
  });
}

/** `Prefer: return=…` for the entries of a batch/transaction: minimal when absent or unknown. */
function preferReturnOf(prefer: string | undefined): PreferReturn {
  const value = /return\s*=\s*"?([A-Za-z]+)/i.exec(prefer ?? "")?.[1]?.toLowerCase();
  return value === "representation" ? "representation" : value === "operationoutcome" ? "OperationOutcome" : "minimal";
}
