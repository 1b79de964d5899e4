import type { Context, Hono, Next } from "hono";
import { informationOutcome } from "../../fhir/outcome/operationOutcome.ts";
import type { Env } from "../createApp.ts";

const WRITES = new Set(["POST", "PUT", "PATCH"]);

/**
 * `Prefer: return=OperationOutcome` on create, update and patch: the 200/201 keeps its
 * headers (ETag, Location, Last-Modified) and its body becomes an OperationOutcome about the
 * write. Operations (`$...`), searches and batch/transaction (`/`) keep their own bodies.
 * Registered ahead of every write route so it wraps them all.
 * @see https://hl7.org/fhir/R4/http.html#ops
 */
export function registerPreferOutcome(app: Hono<Env>): void {
  app.use("*", async function preferOutcome(c: Context<Env>, next: Next) {
    await next();
    if (!WRITES.has(c.req.method) || !/return\s*=\s*"?OperationOutcome"?/i.test(c.req.header("prefer") ?? "")) return;
    if (c.res.status !== 200 && c.res.status !== 201) return;
    const path = new URL(c.req.url).pathname;
    if (path === "/" || path.includes("/$") || path.endsWith("/_search")) return;
    const etag = c.res.headers.get("etag");
    const version = etag ? /"([0-9]+)"/.exec(etag)?.[1] : undefined;
    const what = c.res.status === 201 ? "created" : "updated";
    const location = c.res.headers.get("location");
    const reference =
      (location ? /([A-Za-z]+\/[A-Za-z0-9\-.]{1,64})\/_history\/[0-9]+$/.exec(location)?.[1] : undefined) ??
      path.replace(/^\//, "").slice(0, 200);
    const text = `${reference} ${what}${version ? ` (version ${version})` : ""}`;
    const headers = new Headers(c.res.headers);
    headers.set("Content-Type", "application/fhir+json; charset=utf-8");
    headers.delete("Content-Length");
    const body = JSON.stringify(informationOutcome(text), null, c.req.query("_pretty") === "true" ? 2 : undefined);
    c.res = new Response(body, { status: c.res.status, headers });
  });
}
