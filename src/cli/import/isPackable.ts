import type { Bundle } from "./importTypes.ts";

/**
 * A bundle whose entries can share a transaction with another's: a transaction of plain
 * creates only (POST to a type, no ifNoneExist, fullUrl a urn:uuid or absent), so
 * concatenating two changes nothing but when they commit.
 */
export function isPackable(bundle: Bundle): boolean {
  return (
    bundle.type === "transaction" &&
    Array.isArray(bundle.entry) &&
    bundle.entry.length > 0 &&
    bundle.entry.every(
      (e) =>
        e !== null &&
        typeof e === "object" &&
        e.request?.method === "POST" &&
        typeof e.request.url === "string" &&
        /^[A-Za-z]+$/.test(e.request.url) &&
        e.request.ifNoneExist === undefined &&
        e.request.ifMatch === undefined &&
        e.request.ifNoneMatch === undefined &&
        e.request.ifModifiedSince === undefined &&
        (e.fullUrl === undefined || /^urn:uuid:/i.test(e.fullUrl)),
    )
  );
}
