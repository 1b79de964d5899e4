import type { Hono } from "hono";
import type { Env } from "../createApp.ts";
import { registerBundleRoutes } from "./bundleRoutes.ts";
import { registerConditionalReadRoutes } from "./conditionalReadRoutes.ts";
import { registerHistoryRoutes } from "./historyRoutes.ts";
import { registerOperationRoutes } from "./operationRoutes.ts";
import { registerPreferOutcome } from "./preferOutcome.ts";
import { registerSystemSearchRoutes } from "./systemSearchRoutes.ts";
import type { RouteContext } from "./RouteContext.ts";

/**
 * One line per feature: each registers its routes before the generic /:type/:id ones.
 * Keep literal paths (/_history, /$validate, /) here, not in createApp.
 */
export function registerFeatureRoutes(app: Hono<Env>, ctx: RouteContext): void {
  registerPreferOutcome(app); // first: it wraps every write route registered after it
  registerHistoryRoutes(app, ctx);
  registerOperationRoutes(app, ctx);
  registerConditionalReadRoutes(app, ctx); // GET /:type/:id; ids starting with $ or _ fall through
  registerSystemSearchRoutes(app, ctx); // GET / and POST /_search, ahead of POST /:type
  registerBundleRoutes(app, ctx); // POST / (batch, transaction), conditional create/update/delete, PATCH
}
