import type { ResponseEntry } from "./importTypes.ts";

/** True when the server refused a response entry (4xx/5xx) or gave none for it. */
export function entryRefused(e: ResponseEntry | undefined): boolean {
  const status = Number.parseInt(e?.response?.status ?? "0", 10);
  return status >= 400 || status === 0;
}
