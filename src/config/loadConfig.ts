import { isAbsolute, resolve } from "node:path";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { isLoopbackHost } from "./isLoopbackHost.ts";

/** Everything the server can be told, after validation and defaults. */
export interface Config {
  /** Root of all local state; the other paths default to folders inside it. */
  dataDir: string;
  http: { host: string; port: number; publicBaseUrl: string | null };
  /** What a slow or greedy client may hold; node's http.Server settings of the same names. */
  connections: {
    /** The whole request, headers and body, must arrive within this (408 otherwise). */
    requestTimeoutMs: number;
    /** The request line and headers must arrive within this (408 otherwise); also the TLS handshake's limit. */
    headersTimeoutMs: number;
    /** An idle keep-alive connection is closed after this. */
    keepAliveTimeoutMs: number;
    /** Open connections at once; one more is closed as soon as it is accepted. */
    maxConnections: number;
  };
  /**
   * HTTPS with a PEM certificate and key (TLS 1.2 at least), or a declaration that a
   * TLS-terminating proxy is the only way in. A non-loopback host needs one of the two.
   */
  tls: { certPath: string | null; keyPath: string | null; behindProxy: boolean };
  chain: {
    /** "embedded" starts anvil from npm with state under chain.stateDir; "external" uses rpcUrl. */
    mode: "embedded" | "external";
    rpcUrl: string | null;
    stateDir: string;
    embeddedPort: number;
    /** Hex private key used to anchor (external mode); embedded mode uses anvil's first dev account. */
    privateKey: string | null;
    /**
     * Hex private key that deploys the contracts when none is configured or remembered (external
     * mode) and keeps their admin roles; the anchoring key gets the anchorer role only. Embedded
     * mode uses another anvil dev account.
     */
    adminPrivateKey: string | null;
    /** Contract address to use instead of the deployed one remembered under dataDir. */
    recordAnchorAddress: string | null;
    confirmations: number;
  };
  ipfs: { mode: "helia" | "kubo"; repoDir: string; kuboApiUrl: string | null };
  index: {
    sqlitePath: string;
    /** Worker threads running searches and history pages, each with its own read connection (0: on the main thread). */
    readers: number;
    /** The most one index query (search, history, compartment page) may run; longer is a 400 too-costly. */
    queryTimeoutMs: number;
  };
  keys: { dir: string; kekHex: string | null };
  anchor: { intervalMs: number; maxBatch: number };
  /**
   * Audit of every interaction (src/audit). "off" (FHIRLEDGER_AUDIT=off) exists for the
   * benchmark's feature-off figures only: a server run so keeps no record of who accessed what.
   */
  audit: { enabled: boolean };
  /**
   * "development" (the default on a loopback host): a development token is issued at each start.
   * "production" refuses every development default (a fixed dev token, the embedded chain with
   * its well-known keys, plain HTTP off loopback).
   */
  mode: "development" | "production";
  auth: {
    devToken: string | null;
    /** Tokens of an existing OpenID provider accepted beside this server's own (null: none). */
    oidc: {
      issuer: string;
      jwksUrl: string;
      audience: string;
      roleClaim: string;
      /** Claim value → role, in the order given. */
      roleMap: Record<string, "admin" | "practitioner" | "patient" | "auditor">;
    } | null;
  };
  accounts: {
    /** User accounts and page sessions (`<dataDir>/accounts.sqlite`). */
    sqlitePath: string;
    /**
     * The administrator to create at start-up when there is none yet, with the password read
     * from a file only its owner may read; never a default password.
     */
    firstAdmin: { username: string; email: string | null; passwordFile: string } | null;
  };
  /** Caps on what a client controls; each exceeded cap is a clear 4xx OperationOutcome. */
  limits: {
    maxBodyBytes: number;
    /** Request line plus headers (node's maxHeaderSize); a longer URL is a 414, longer headers a 431. */
    maxHeaderBytes: number;
    maxBundleEntries: number;
    /** Largest `_count`; larger requests are reduced to it. */
    maxCount: number;
    maxChainDepth: number;
    maxIncludeDepth: number;
    maxOrValues: number;
    /** Parameters in one search request, known or not (URL and `_search` body together); more is a 400. */
    maxQueryParams: number;
    /** SQL terms (subqueries, OR alternatives, chain branches) one search may compile to; more is a 400. */
    maxSearchTerms: number;
    /**
     * Bytes of stored resources one response carries: a search or `$everything` page (its
     * includes too), or the GET entries of a batch together. A page ends early (next link, and
     * an information issue), a batch answers the GET entries past it with a 400 each.
     */
    maxResponseBytes: number;
    /** Resources one response carries, counted as maxResponseBytes is. */
    maxResponseResources: number;
  };
  /** Patient consent (src/consent): who it binds and what holds where no Consent decides. */
  consent: {
    /**
     * Where no counting Consent of the patient decides: "opt-in" (the default) denies a
     * practitioner the patient's compartment until the patient permits; "opt-out" permits it
     * until the patient denies.
     */
    default: "opt-in" | "opt-out";
    /** System (Backend Services) clients whose access consent binds, by client_id; "*": all. Default none. */
    bindsClients: readonly string[] | "*";
    /** The longest a `$break-glass` may last, in minutes (1..1440, default 60). */
    breakGlassMaxMinutes: number;
  };
  logLevel: "debug" | "info" | "warn" | "error";
}

type Env = Record<string, string | undefined>;

/**
 * Reads configuration once from the environment (the only reader of process.env),
 * applies named defaults and fails fast with one message listing every problem.
 */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const str = (name: string): string | null => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? null : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === null) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = str(name);
    if (raw === null) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(", ")} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };
  const path = (name: string, fallback: string): string => {
    const raw = str(name);
    const p = raw ?? fallback;
    return isAbsolute(p) ? p : resolve(cwd, p);
  };
  const url = (name: string): string | null => {
    const raw = str(name);
    if (raw === null) return null;
    try {
      const u = new URL(raw);
      if (!["http:", "https:", "ws:", "wss:"].includes(u.protocol)) throw new Error("protocol");
      return raw.replace(/\/+$/, "");
    } catch {
      problems.push(`${name} must be an http(s) URL (got a value that is not)`);
      return null;
    }
  };
  const hex32 = (name: string): string | null => {
    const raw = str(name);
    if (raw === null) return null;
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(raw)) {
      problems.push(`${name} must be 32 bytes as 64 hex characters`);
      return null;
    }
    return raw.startsWith("0x") ? raw : `0x${raw}`;
  };
  const optionalPath = (name: string): string | null => {
    const raw = str(name);
    return raw === null ? null : isAbsolute(raw) ? raw : resolve(cwd, raw);
  };
  const address = (name: string): string | null => {
    const raw = str(name);
    if (raw === null) return null;
    if (!/^0x[0-9a-fA-F]{40}$/.test(raw)) {
      problems.push(`${name} must be a 0x-prefixed 20-byte address`);
      return null;
    }
    return raw;
  };

  const dataDir = path("FHIRLEDGER_DATA_DIR", "./data");
  const inData = (p: string) => resolve(dataDir, p);
  const rpcUrl = url("FHIRLEDGER_CHAIN_RPC_URL");
  const chainMode = oneOf("FHIRLEDGER_CHAIN_MODE", ["embedded", "external"] as const, rpcUrl ? "external" : "embedded");
  if (chainMode === "external" && !rpcUrl)
    problems.push("FHIRLEDGER_CHAIN_MODE=external needs FHIRLEDGER_CHAIN_RPC_URL");
  const privateKey = hex32("FHIRLEDGER_CHAIN_PRIVATE_KEY");
  if (chainMode === "external" && !privateKey)
    problems.push("FHIRLEDGER_CHAIN_MODE=external needs FHIRLEDGER_CHAIN_PRIVATE_KEY (the anchoring account)");
  const adminPrivateKey = hex32("FHIRLEDGER_CHAIN_ADMIN_PRIVATE_KEY");
  if (adminPrivateKey !== null && adminPrivateKey.toLowerCase() === privateKey?.toLowerCase())
    problems.push("FHIRLEDGER_CHAIN_ADMIN_PRIVATE_KEY must not be FHIRLEDGER_CHAIN_PRIVATE_KEY (the anchoring key)");
  const kuboApiUrl = url("FHIRLEDGER_KUBO_API_URL");
  const ipfsMode = oneOf("FHIRLEDGER_IPFS_MODE", ["helia", "kubo"] as const, kuboApiUrl ? "kubo" : "helia");
  if (ipfsMode === "kubo" && !kuboApiUrl) problems.push("FHIRLEDGER_IPFS_MODE=kubo needs FHIRLEDGER_KUBO_API_URL");
  const devToken = str("FHIRLEDGER_DEV_TOKEN");
  if (devToken !== null && devToken.length < 16) problems.push("FHIRLEDGER_DEV_TOKEN must be at least 16 characters");

  const oidcIssuer = url("FHIRLEDGER_OIDC_ISSUER");
  const oidcJwksUrl = url("FHIRLEDGER_OIDC_JWKS_URL");
  const oidcAudience = str("FHIRLEDGER_OIDC_AUDIENCE");
  const oidcRoleMap: Record<string, "admin" | "practitioner" | "patient" | "auditor"> = {};
  for (const pair of (str("FHIRLEDGER_OIDC_ROLE_MAP") ?? "").split(",").filter((p) => p.trim() !== "")) {
    const [claim, role] = pair.split("=").map((x) => x.trim());
    if (!claim || !role || !["admin", "practitioner", "patient", "auditor"].includes(role))
      problems.push(
        `FHIRLEDGER_OIDC_ROLE_MAP entries are claimValue=role with role admin, practitioner, patient or auditor (got "${pair.slice(0, 80)}")`,
      );
    else oidcRoleMap[claim] = role as "admin" | "practitioner" | "patient" | "auditor";
  }
  const oidcConfigured = oidcIssuer !== null || oidcJwksUrl !== null || oidcAudience !== null;
  if (oidcConfigured && (!oidcIssuer || !oidcJwksUrl || !oidcAudience || Object.keys(oidcRoleMap).length === 0))
    problems.push(
      "an external OpenID provider needs FHIRLEDGER_OIDC_ISSUER, FHIRLEDGER_OIDC_JWKS_URL, FHIRLEDGER_OIDC_AUDIENCE and FHIRLEDGER_OIDC_ROLE_MAP together",
    );

  const adminUsername = str("FHIRLEDGER_ADMIN_USERNAME");
  const adminPasswordFile = optionalPath("FHIRLEDGER_ADMIN_PASSWORD_FILE");
  if ((adminUsername === null) !== (adminPasswordFile === null))
    problems.push(
      "FHIRLEDGER_ADMIN_USERNAME and FHIRLEDGER_ADMIN_PASSWORD_FILE go together: the first administrator's name and " +
        "a file (chmod 600) holding their password; there is no default password",
    );

  const host = str("FHIRLEDGER_HOST") ?? "127.0.0.1";
  const publicBaseUrl = url("FHIRLEDGER_BASE_URL");
  const requestTimeoutMs = int("FHIRLEDGER_HTTP_REQUEST_TIMEOUT_MS", 120_000, 100, 3_600_000);
  const headersTimeoutMs = int("FHIRLEDGER_HTTP_HEADERS_TIMEOUT_MS", 15_000, 100, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs)
    problems.push("FHIRLEDGER_HTTP_HEADERS_TIMEOUT_MS must not be longer than FHIRLEDGER_HTTP_REQUEST_TIMEOUT_MS");
  const certPath = optionalPath("FHIRLEDGER_TLS_CERT");
  const keyPath = optionalPath("FHIRLEDGER_TLS_KEY");
  if ((certPath === null) !== (keyPath === null))
    problems.push("FHIRLEDGER_TLS_CERT and FHIRLEDGER_TLS_KEY go together: set both (PEM files) or neither");
  const behindProxy = oneOf("FHIRLEDGER_BEHIND_TLS_PROXY", ["true", "false"] as const, "false") === "true";
  if (behindProxy && !publicBaseUrl?.startsWith("https://"))
    problems.push(
      "FHIRLEDGER_BEHIND_TLS_PROXY=true needs FHIRLEDGER_BASE_URL, the https:// URL clients reach through the proxy",
    );
  if (!isLoopbackHost(host) && certPath === null && !behindProxy)
    problems.push(
      `FHIRLEDGER_HOST=${host} is not a loopback address, and plain HTTP there would carry health records and tokens ` +
        "in the clear: set FHIRLEDGER_TLS_CERT and FHIRLEDGER_TLS_KEY to serve HTTPS, or FHIRLEDGER_BEHIND_TLS_PROXY=true " +
        "when a TLS-terminating proxy is the only way in",
    );

  const mode = oneOf(
    "FHIRLEDGER_MODE",
    ["development", "production"] as const,
    isLoopbackHost(host) ? "development" : "production",
  );
  if (mode === "production") {
    if (devToken !== null)
      problems.push(
        "FHIRLEDGER_MODE=production refuses FHIRLEDGER_DEV_TOKEN: a development token is a development default",
      );
    if (chainMode === "embedded")
      problems.push(
        "FHIRLEDGER_MODE=production refuses the embedded anvil chain (its accounts' keys are public): set FHIRLEDGER_CHAIN_RPC_URL and FHIRLEDGER_CHAIN_PRIVATE_KEY",
      );
  }

  const bindsClients = consentBindsClients(str("FHIRLEDGER_CONSENT_BINDS_CLIENTS"), problems);

  const config: Config = {
    mode,
    dataDir,
    http: { host, port: int("FHIRLEDGER_PORT", 8080, 0, 65535), publicBaseUrl },
    connections: {
      requestTimeoutMs,
      headersTimeoutMs,
      keepAliveTimeoutMs: int("FHIRLEDGER_HTTP_KEEP_ALIVE_TIMEOUT_MS", 5_000, 100, 600_000),
      maxConnections: int("FHIRLEDGER_HTTP_MAX_CONNECTIONS", 1_000, 1, 1_000_000),
    },
    tls: { certPath, keyPath, behindProxy },
    chain: {
      mode: chainMode,
      rpcUrl,
      stateDir: path("FHIRLEDGER_CHAIN_STATE_DIR", inData("chain")),
      embeddedPort: int("FHIRLEDGER_CHAIN_PORT", 8545, 0, 65535),
      privateKey,
      adminPrivateKey,
      recordAnchorAddress: address("FHIRLEDGER_RECORD_ANCHOR_ADDRESS"),
      confirmations: int("FHIRLEDGER_CHAIN_CONFIRMATIONS", 1, 1, 64),
    },
    ipfs: { mode: ipfsMode, repoDir: path("FHIRLEDGER_IPFS_DIR", inData("ipfs")), kuboApiUrl },
    index: {
      sqlitePath: path("FHIRLEDGER_INDEX_PATH", inData("index.sqlite")),
      readers: int("FHIRLEDGER_INDEX_READERS", 2, 0, 64),
      queryTimeoutMs: int("FHIRLEDGER_QUERY_TIMEOUT_MS", 10_000, 100, 600_000),
    },
    keys: { dir: path("FHIRLEDGER_KEYS_DIR", inData("keys")), kekHex: hex32("FHIRLEDGER_KEK") },
    anchor: {
      intervalMs: int("FHIRLEDGER_ANCHOR_INTERVAL_MS", 1000, 50, 60_000),
      maxBatch: int("FHIRLEDGER_ANCHOR_MAX_BATCH", 4096, 1, 65_536),
    },
    audit: { enabled: oneOf("FHIRLEDGER_AUDIT", ["on", "off"] as const, "on") === "on" },
    auth: {
      devToken,
      oidc:
        oidcConfigured && oidcIssuer && oidcJwksUrl && oidcAudience
          ? {
              issuer: oidcIssuer,
              jwksUrl: oidcJwksUrl,
              audience: oidcAudience,
              roleClaim: str("FHIRLEDGER_OIDC_ROLE_CLAIM") ?? "roles",
              roleMap: oidcRoleMap,
            }
          : null,
    },
    accounts: {
      sqlitePath: inData("accounts.sqlite"),
      firstAdmin:
        adminUsername !== null && adminPasswordFile !== null
          ? { username: adminUsername, email: str("FHIRLEDGER_ADMIN_EMAIL"), passwordFile: adminPasswordFile }
          : null,
    },
    limits: {
      maxBodyBytes: int("FHIRLEDGER_MAX_BODY_BYTES", 32 * 1024 * 1024, 1024, 512 * 1024 * 1024),
      maxHeaderBytes: int("FHIRLEDGER_MAX_HEADER_BYTES", 16 * 1024, 1024, 1024 * 1024),
      maxBundleEntries: int("FHIRLEDGER_MAX_BUNDLE_ENTRIES", 10_000, 1, 1_000_000),
      maxCount: int("FHIRLEDGER_MAX_COUNT", 1000, 1, 100_000),
      maxChainDepth: int("FHIRLEDGER_MAX_CHAIN_DEPTH", 3, 1, 10),
      maxIncludeDepth: int("FHIRLEDGER_MAX_INCLUDE_DEPTH", 3, 1, 10),
      maxOrValues: int("FHIRLEDGER_MAX_OR_VALUES", 100, 1, 10_000),
      maxQueryParams: int("FHIRLEDGER_MAX_QUERY_PARAMS", 256, 1, 100_000),
      maxSearchTerms: int("FHIRLEDGER_MAX_SEARCH_TERMS", 1000, 1, 10_000),
      maxResponseBytes: int("FHIRLEDGER_MAX_RESPONSE_BYTES", 64 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
      maxResponseResources: int("FHIRLEDGER_MAX_RESPONSE_RESOURCES", 10_000, 1, 1_000_000),
    },
    consent: {
      default: oneOf("FHIRLEDGER_CONSENT_DEFAULT", ["opt-in", "opt-out"] as const, "opt-in"),
      bindsClients,
      breakGlassMaxMinutes: int("FHIRLEDGER_BREAK_GLASS_MAX_MINUTES", 60, 1, 1440),
    },
    logLevel: oneOf("FHIRLEDGER_LOG_LEVEL", ["debug", "info", "warn", "error"] as const, "info"),
  };
  if (problems.length > 0) {
    throw new FhirLedgerError("invalid", `Invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  return config;
}

/** Most client ids FHIRLEDGER_CONSENT_BINDS_CLIENTS may list. */
const MAX_BOUND_CLIENTS = 1000;
/** What a client_id listed there may look like (registered ids are base64url; configured ones are names). */
const CLIENT_ID = /^[A-Za-z0-9._~:@-]{1,256}$/;

/**
 * FHIRLEDGER_CONSENT_BINDS_CLIENTS: `*` (every system client), or client ids separated by
 * commas. A value that is neither is refused rather than read as "none": a typo must not
 * leave a client unbound by consent without anyone noticing.
 */
function consentBindsClients(raw: string | null, problems: string[]): readonly string[] | "*" {
  if (raw === null) return [];
  if (raw === "*") return "*";
  const ids = raw.split(",").map((x) => x.trim());
  const bad = ids.filter((id) => !CLIENT_ID.test(id));
  if (bad.length > 0 || ids.length > MAX_BOUND_CLIENTS) {
    problems.push(
      `FHIRLEDGER_CONSENT_BINDS_CLIENTS must be * or up to ${MAX_BOUND_CLIENTS} client ids separated by commas ` +
        `(letters, digits and . _ ~ : @ -)${bad.length > 0 ? `; not a client id: "${bad[0]!.slice(0, 80)}"` : ""}`,
    );
    return [];
  }
  return [...new Set(ids)];
}
