import type { Context, Hono } from "hono";
import { isNotModified } from "../../fhir/conditional/isNotModified.ts";
import type { FhirResult } from "../../fhir/FhirInteractions.ts";
import type { Env } from "../createApp.ts";
import type { RouteContext } from "./RouteContext.ts";

/**
 * read and vread with `If-None-Match` and `If-Modified-Since`: 304 (ETag, Last-Modified, no
 * body) when the client's copy is current. If-None-Match wins when both are sent (RFC 9110
 * 13.2.2). Ids starting with `$` or `_` fall through to the routes that own them. Read and
 * vread also take `_summary` and `_elements`.
 * @see https://hl7.org/fhir/R4/http.html#cread
 * @see https://hl7.org/fhir/R4/search.html#summary
 */
export function registerConditionalReadRoutes(app: Hono<Env>, ctx: RouteContext): void {
  app.get("/:type/:id", async (c, next) => {
    const id = c.req.param("id");
    if (id.startsWith("$") || id.startsWith("_")) return next();
    // Only a URL with a query can ask for _summary / _elements: plain reads skip parsing one.
    const url = c.req.url;
    const q = url.indexOf("?");
    const result = await ctx.fhir.read(
      c.get("actor"),
      c.req.param("type"),
      id,
      q === -1 ? undefined : new URLSearchParams(url.slice(q + 1)),
    );
    return notModified(c, result) ?? ctx.send(c, result);
  });
  app.get("/:type/:id/_history/:vid", async (c) => {
    const url = c.req.url;
    const q = url.indexOf("?");
    const result = await ctx.fhir.vread(
      c.get("actor"),
      c.req.param("type"),
      c.req.param("id"),
      c.req.param("vid"),
      q === -1 ? undefined : new URLSearchParams(url.slice(q + 1)),
    );
    return notModified(c, result) ?? ctx.send(c, result);
  });
}

/** The 304 for a conditional read whose version the client already has; undefined otherwise. */
export function notModified(c: Context<Env>, result: FhirResult): Response | undefined {
  if (result.status !== 200 || !result.version) return undefined;
  const { versionId, lastUpdated } = result.version;
  const ifNoneMatch = c.req.header("if-none-match");
  const ifModifiedSince = c.req.header("if-modified-since");
  const fresh = isNotModified(result.version, {
    ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
    ...(ifModifiedSince === undefined ? {} : { ifModifiedSince }),
  });
  if (!fresh) return undefined;
  return c.body(null, 304, { ETag: `W/"${versionId}"`, "Last-Modified": new Date(lastUpdated).toUTCString() });
}
