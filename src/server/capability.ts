import { readFileSync } from "node:fs";
import { serverCapabilityStatement } from "../fhir/capability/serverCapabilityStatement.ts";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  name: string;
  version: string;
};

/** What this build really implements, and nothing more (derived from the interaction table). */
export function buildServerCapabilityStatement(baseUrl: string): Record<string, unknown> {
  return serverCapabilityStatement({ baseUrl, software: { name: pkg.name, version: pkg.version } });
}
