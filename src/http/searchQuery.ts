import type { Context } from "hono";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { decodeFormParams } from "../fhir/search/decodeFormParams.ts";

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/**
 * The parameters of a search request: the URL's, and for `POST …/_search` those of an
 * `application/x-www-form-urlencoded` body too (both count). An empty body is a search with the
 * URL's parameters, whatever the Content-Type; any other body is a 415.
 * @see https://hl7.org/fhir/R4/http.html#search
 */
export async function searchQuery(c: Context): Promise<URLSearchParams> {
  const query = new URL(c.req.url).searchParams;
  if (c.req.method !== "POST") return query;
  const body = await c.req.text();
  if (body.trim() !== "") {
    if (!FORM.test(c.req.header("content-type") ?? "")) {
      throw new FhirLedgerError(
        "unsupported-media-type",
        "send search parameters in the URL or as an application/x-www-form-urlencoded body",
      );
    }
    for (const [k, v] of decodeFormParams(body, "body")) query.append(k, v);
  }
  return query;
}
