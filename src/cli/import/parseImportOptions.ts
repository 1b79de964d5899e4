import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { usageError } from "./usageError.ts";

/** The arguments of `fhirledger import`, checked. */
export interface ImportOptions {
  /** the files and folders named, as absolute paths */
  paths: string[];
  /** the FHIR base URL, without trailing slashes */
  base: string;
  /** `base` as messages show it: no user, password, query or fragment */
  endpoint: string;
  token: string;
  concurrency: number;
  batchSize: number;
  packEntries: number;
  statePath: string;
  restart: boolean;
}

/** Parses and checks the arguments (throwing a usage error); "help" when --help was asked. */
export function parseImportOptions(argv: string[], env: Record<string, string | undefined>): ImportOptions | "help" {
  const { values, positionals } = parseStrict(argv);
  if (values.help) return "help";
  if (positionals.length === 0) throw usageError("name at least one file or folder");
  if (!values.url || !/^https?:\/\//.test(values.url)) throw usageError("--url must be the server's http(s) base URL");
  if (/^https?:\/\/[^/?#]*@/.test(values.url))
    throw usageError("--url must not hold a user or password: the token goes in --token");
  const token = values.token ?? env.FHIRLEDGER_TOKEN;
  if (!token) throw usageError("--token (or FHIRLEDGER_TOKEN) is required");
  const concurrency = positiveInt(values.concurrency ?? "2", "--concurrency");
  const batchSize = positiveInt(values["batch-size"] ?? "500", "--batch-size");
  const packEntries = positiveInt(values.pack ?? "2500", "--pack");
  const statePath = resolve(values.state ?? ".fhirledger-import.json");
  const base = values.url.replace(/\/+$/, "");
  return {
    paths: positionals.map((p) => resolve(p)),
    base,
    endpoint: withoutCredentials(base),
    token,
    concurrency,
    batchSize,
    packEntries,
    statePath,
    restart: values.restart === true,
  };
}

function parseStrict(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        url: { type: "string" },
        token: { type: "string" },
        concurrency: { type: "string" },
        "batch-size": { type: "string" },
        pack: { type: "string" },
        state: { type: "string" },
        restart: { type: "boolean" },
        help: { type: "boolean" },
      },
    });
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw usageError(`${name} must be a positive integer`);
  return n;
}

/** A URL for messages: no user, password, query or fragment. */
function withoutCredentials(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`.replace(/\/+$/, "");
}
