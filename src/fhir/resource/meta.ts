import type { Meta, Resource } from "../types/r4.ts";

export { compartmentOf } from "./compartmentOf.ts";

/** The server-assigned parts of meta for one version. */
export interface VersionMeta {
  versionId: string;
  /** FHIR instant, e.g. "2026-11-26T03:00:00.000Z". */
  lastUpdated: string;
}

/**
 * Returns a copy of `resource` with meta.versionId and meta.lastUpdated set by the server;
 * the client's other meta (profile, tag, security, source) is kept.
 * @see https://hl7.org/fhir/R4/resource.html#Meta
 */
export function withMeta<T extends Resource>(resource: T, version: VersionMeta): T & { meta: Meta } {
  const meta: Meta = { ...resource.meta, versionId: version.versionId, lastUpdated: version.lastUpdated };
  return { ...resource, meta };
}

/**
 * Returns a copy without meta.versionId and meta.lastUpdated (and without meta when nothing
 * else is left), so two versions can be compared by content, e.g. to skip no-op updates.
 */
export function stripMeta<T extends Resource>(resource: T): T {
  const { meta, ...rest } = resource;
  if (meta === undefined) return { ...resource };
  const { versionId: _versionId, lastUpdated: _lastUpdated, ...kept } = meta;
  return (Object.keys(kept).length > 0 ? { ...rest, meta: kept } : rest) as T;
}

/** A new logical id: a UUID v4, which fits R4's id rule (64 characters of [A-Za-z0-9-.]). */
export function newResourceId(): string {
  return globalThis.crypto.randomUUID();
}
