import type { Hono } from "hono";
import type { Env } from "../createApp.ts";
import type { RouteContext } from "./RouteContext.ts";

/**
 * One line per feature: each registers its routes before the generic /:type/:id ones.
 * Keep literal paths (/_history, /$validate, /) here, not in createApp.
 */
export function registerFeatureRoutes(app: Hono<Env>, ctx: RouteContext): void {
  void app;
  void ctx;
}
