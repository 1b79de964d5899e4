import { isResourceType } from "../fhir/definitions/resourceTypes.ts";

/** The methods a path answers, and a hint for a client that used another one. */
export interface AllowedMethods {
  methods: readonly string[];
  hint?: string;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const GET = { methods: ["GET", "HEAD"] } as const;
const POST = { methods: ["POST"] } as const;
const TYPE = { methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] } as const;
const INSTANCE = { methods: ["GET", "HEAD", "PUT", "PATCH", "DELETE"] } as const;
const SYSTEM: Record<string, AllowedMethods> = {
  metadata: GET,
  health: GET,
  metrics: GET,
  _history: GET,
  _search: POST,
};

/**
 * The methods this server answers on a path, judged by the path's shape (the routes of
 * createApp and routes/); undefined when the path is no route at all, which is a 404. A
 * request with another method is a 405 with `Allow`.
 * @see https://hl7.org/fhir/R4/http.html#general
 */
export function allowedMethods(pathname: string): AllowedMethods | undefined {
  if (pathname === "/") return { methods: ["GET", "HEAD", "POST"], hint: "POST / takes a batch or transaction Bundle" };
  const [type, id, third, vid, fifth, ...rest] = pathname.slice(1).split("/");
  if (id === undefined) return Object.hasOwn(SYSTEM, type!) ? SYSTEM[type!] : isResourceType(type) ? TYPE : undefined;
  if (!isResourceType(type) || rest.length > 0) return undefined;
  if (third === undefined) {
    if (id === "_search") return { ...POST, hint: "search with GET [type]?parameters or POST [type]/_search" };
    if (id === "_history") return GET;
    if (id === "$validate") return { ...POST, hint: "$validate takes the resource in the body: POST [type]/$validate" };
    if (id === "$everything" && type === "Patient") return GET;
    return ID.test(id) ? INSTANCE : undefined;
  }
  if (!ID.test(id)) return undefined;
  if (vid === undefined) {
    if (third === "_history" || third === "$verify") return GET;
    if (third === "$validate")
      return { ...POST, hint: "$validate takes the resource in the body: POST [type]/[id]/$validate" };
    if (type === "Patient" && third === "$everything") return GET;
    if (type === "Patient" && third === "$erase")
      return { ...POST, hint: "$erase takes a Parameters body with a reason: POST Patient/[id]/$erase" };
    return undefined;
  }
  if (third !== "_history" || !ID.test(vid)) return undefined;
  if (fifth === undefined || fifth === "$verify") return GET;
  return undefined;
}
