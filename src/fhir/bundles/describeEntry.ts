import type { InteractionDescriptor } from "../engine/InteractionHook.ts";
import type { ParsedEntry } from "./parseBundle.ts";

/** What a batch or transaction entry does, as the per-interaction hook is told. */
export function describeEntry(entry: ParsedEntry): InteractionDescriptor {
  const { type, id, vid, query } = entry.target;
  const at = {
    type,
    ...(id === undefined ? {} : { id }),
    level: id === undefined ? ("type" as const) : ("instance" as const),
    inBundle: true,
  };
  switch (entry.method) {
    case "GET":
    case "HEAD":
      if (id === undefined) return { ...at, interaction: "search-type" };
      return {
        ...at,
        interaction: vid === undefined ? "read" : "vread",
        ...(vid === undefined ? {} : { vid }),
        ...(entry.ifNoneMatch !== undefined || entry.ifModifiedSince !== undefined ? { conditional: true } : {}),
      };
    case "POST":
      return { ...at, interaction: "create", ...(entry.ifNoneExist === undefined ? {} : { conditional: true }) };
    case "PUT":
      return { ...at, interaction: "update", ...(query === undefined ? {} : { conditional: true }) };
    case "PATCH":
      return { ...at, interaction: "patch", ...(query === undefined ? {} : { conditional: true }) };
    case "DELETE":
      return { ...at, interaction: "delete", ...(query === undefined ? {} : { conditional: true }) };
  }
}
