import { readFileSync } from "node:fs";

/** A resource as the tests read it back: any elements, with its type and id. */
export type R = Record<string, unknown> & { resourceType: string; id: string };

export interface Outcome {
  resourceType: string;
  issue: { severity: string; code: string; diagnostics?: string; expression?: string[] }[];
}

/** A searchset (or $everything) Bundle as the server answers it. */
export interface Searchset {
  resourceType: string;
  type: string;
  total?: number;
  link: { relation: string; url: string }[];
  entry?: { fullUrl?: string; resource: R; search: { mode: string } }[];
}

/** 190 resources of two Synthea patients (test/fixtures/synthea-sample.json, shared with the search oracle tests). */
export function syntheaSample(): R[] {
  return JSON.parse(readFileSync(new URL("../fixtures/synthea-sample.json", import.meta.url), "utf8")) as R[];
}
