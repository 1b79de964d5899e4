import { describe, expect, it } from "vitest";
import { loadConfig } from "./loadConfig.ts";

describe("loadConfig", () => {
  it("runs on embedded defaults under ./data with nothing set", () => {
    const c = loadConfig({}, "/srv/app");
    expect(c.dataDir).toBe("/srv/app/data");
    expect(c.http).toEqual({ host: "127.0.0.1", port: 8080, publicBaseUrl: null });
    expect(c.chain).toMatchObject({
      mode: "embedded",
      stateDir: "/srv/app/data/chain",
      embeddedPort: 8545,
      confirmations: 1,
    });
    expect(c.ipfs).toEqual({ mode: "helia", repoDir: "/srv/app/data/ipfs", kuboApiUrl: null });
    expect(c.index.sqlitePath).toBe("/srv/app/data/index.sqlite");
    expect(c.keys).toEqual({ dir: "/srv/app/data/keys", kekHex: null });
  });

  it("moves every location with the data dir, and each can be set on its own", () => {
    const c = loadConfig(
      { FHIRLEDGER_DATA_DIR: "/var/lib/fl", FHIRLEDGER_INDEX_PATH: "idx/db.sqlite", FHIRLEDGER_PORT: "0" },
      "/srv/app",
    );
    expect(c.chain.stateDir).toBe("/var/lib/fl/chain");
    expect(c.keys.dir).toBe("/var/lib/fl/keys");
    expect(c.index.sqlitePath).toBe("/srv/app/idx/db.sqlite");
    expect(c.http.port).toBe(0);
  });

  it("switches to an external chain and Kubo when their URLs are given", () => {
    const c = loadConfig({
      FHIRLEDGER_CHAIN_RPC_URL: "https://rpc.example/v1/",
      FHIRLEDGER_CHAIN_PRIVATE_KEY: "ab".repeat(32),
      FHIRLEDGER_KUBO_API_URL: "http://127.0.0.1:5001",
    });
    expect(c.chain).toMatchObject({
      mode: "external",
      rpcUrl: "https://rpc.example/v1",
      privateKey: `0x${"ab".repeat(32)}`,
    });
    expect(c.ipfs.mode).toBe("kubo");
  });

  it("takes a separate admin key for deploying, never the anchoring key itself", () => {
    const env = { FHIRLEDGER_CHAIN_RPC_URL: "https://rpc.example/v1/", FHIRLEDGER_CHAIN_PRIVATE_KEY: "ab".repeat(32) };
    expect(loadConfig(env).chain.adminPrivateKey).toBeNull();
    expect(loadConfig({ ...env, FHIRLEDGER_CHAIN_ADMIN_PRIVATE_KEY: "cd".repeat(32) }).chain.adminPrivateKey).toBe(
      `0x${"cd".repeat(32)}`,
    );
    expect(() => loadConfig({ ...env, FHIRLEDGER_CHAIN_ADMIN_PRIVATE_KEY: `0x${"AB".repeat(32)}` })).toThrow(
      /FHIRLEDGER_CHAIN_ADMIN_PRIVATE_KEY must not be FHIRLEDGER_CHAIN_PRIVATE_KEY/,
    );
  });

  it("limits the request line plus headers to 16 KiB unless FHIRLEDGER_MAX_HEADER_BYTES says otherwise", () => {
    expect(loadConfig({}).limits.maxHeaderBytes).toBe(16 * 1024);
    expect(loadConfig({ FHIRLEDGER_MAX_HEADER_BYTES: "65536" }).limits.maxHeaderBytes).toBe(65536);
    expect(() => loadConfig({ FHIRLEDGER_MAX_HEADER_BYTES: "100" })).toThrow(/FHIRLEDGER_MAX_HEADER_BYTES/);
  });

  it("caps what one request may cost, each cap with a default and a setting", () => {
    expect(loadConfig({}).limits).toMatchObject({
      maxQueryParams: 256,
      maxSearchTerms: 1000,
      maxResponseBytes: 64 * 1024 * 1024,
      maxResponseResources: 10_000,
    });
    const set = loadConfig({
      FHIRLEDGER_MAX_QUERY_PARAMS: "30",
      FHIRLEDGER_MAX_SEARCH_TERMS: "12",
      FHIRLEDGER_MAX_RESPONSE_BYTES: "10000",
      FHIRLEDGER_MAX_RESPONSE_RESOURCES: "5",
    });
    expect(set.limits).toMatchObject({
      maxQueryParams: 30,
      maxSearchTerms: 12,
      maxResponseBytes: 10_000,
      maxResponseResources: 5,
    });
    expect(() => loadConfig({ FHIRLEDGER_MAX_SEARCH_TERMS: "0" })).toThrow(/FHIRLEDGER_MAX_SEARCH_TERMS/);
    expect(() => loadConfig({ FHIRLEDGER_MAX_RESPONSE_BYTES: "100" })).toThrow(/FHIRLEDGER_MAX_RESPONSE_BYTES/);
  });

  it("fails fast listing every problem, without echoing secrets", () => {
    let message = "";
    try {
      loadConfig({
        FHIRLEDGER_PORT: "80000",
        FHIRLEDGER_CHAIN_MODE: "external",
        FHIRLEDGER_KEK: "not-hex-secret-value",
        FHIRLEDGER_LOG_LEVEL: "loud",
        FHIRLEDGER_DEV_TOKEN: "short",
        FHIRLEDGER_ANCHOR_MAX_BATCH: "0",
        FHIRLEDGER_KUBO_API_URL: "ftp://nope",
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/FHIRLEDGER_PORT must be an integer between 0 and 65535/);
    expect(message).toMatch(/FHIRLEDGER_CHAIN_MODE=external needs FHIRLEDGER_CHAIN_RPC_URL/);
    expect(message).toMatch(/FHIRLEDGER_KEK must be 32 bytes/);
    expect(message).toMatch(/FHIRLEDGER_LOG_LEVEL must be one of/);
    expect(message).toMatch(/FHIRLEDGER_DEV_TOKEN must be at least 16/);
    expect(message).toMatch(/FHIRLEDGER_ANCHOR_MAX_BATCH/);
    expect(message).toMatch(/FHIRLEDGER_KUBO_API_URL must be an http/);
    expect(message).not.toContain("not-hex-secret-value");
  });

  it("limits slow clients by default, and each limit can be set", () => {
    expect(loadConfig({}).connections).toEqual({
      requestTimeoutMs: 120_000,
      headersTimeoutMs: 15_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 1_000,
    });
    const set = loadConfig({
      FHIRLEDGER_HTTP_REQUEST_TIMEOUT_MS: "30000",
      FHIRLEDGER_HTTP_HEADERS_TIMEOUT_MS: "5000",
      FHIRLEDGER_HTTP_KEEP_ALIVE_TIMEOUT_MS: "1000",
      FHIRLEDGER_HTTP_MAX_CONNECTIONS: "64",
    });
    expect(set.connections).toEqual({
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 5_000,
      keepAliveTimeoutMs: 1_000,
      maxConnections: 64,
    });
    expect(() =>
      loadConfig({ FHIRLEDGER_HTTP_REQUEST_TIMEOUT_MS: "1000", FHIRLEDGER_HTTP_HEADERS_TIMEOUT_MS: "2000" }),
    ).toThrow(/FHIRLEDGER_HTTP_HEADERS_TIMEOUT_MS must not be longer than FHIRLEDGER_HTTP_REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ FHIRLEDGER_HTTP_MAX_CONNECTIONS: "0" })).toThrow(/FHIRLEDGER_HTTP_MAX_CONNECTIONS/);
  });

  it("refuses plain HTTP on a non-loopback host unless TLS or a TLS proxy is configured", () => {
    for (const host of ["0.0.0.0", "::", "10.1.2.3", "fhir.example.org", "::ffff:10.0.0.1"])
      expect(() => loadConfig({ FHIRLEDGER_HOST: host }), host).toThrow(
        `FHIRLEDGER_HOST=${host} is not a loopback address`,
      );
    for (const host of ["127.0.0.1", "127.0.0.2", "localhost", "::1", "::ffff:127.0.0.1"])
      expect(loadConfig({ FHIRLEDGER_HOST: host }).http.host, host).toBe(host);
    const tls = loadConfig(
      {
        FHIRLEDGER_HOST: "0.0.0.0",
        FHIRLEDGER_MODE: "development",
        FHIRLEDGER_TLS_CERT: "tls/cert.pem",
        FHIRLEDGER_TLS_KEY: "/etc/fl/key.pem",
      },
      "/srv/app",
    );
    expect(tls.tls).toEqual({ certPath: "/srv/app/tls/cert.pem", keyPath: "/etc/fl/key.pem", behindProxy: false });
    const proxied = loadConfig({
      FHIRLEDGER_HOST: "::",
      FHIRLEDGER_MODE: "development",
      FHIRLEDGER_BEHIND_TLS_PROXY: "true",
      FHIRLEDGER_BASE_URL: "https://fhir.example.org/r4",
    });
    expect(proxied.tls).toEqual({ certPath: null, keyPath: null, behindProxy: true });
    expect(loadConfig({}).tls).toEqual({ certPath: null, keyPath: null, behindProxy: false });
  });

  it("wants a TLS certificate with its key, and an https base URL behind a TLS proxy", () => {
    expect(() => loadConfig({ FHIRLEDGER_TLS_CERT: "/etc/fl/cert.pem" })).toThrow(
      /FHIRLEDGER_TLS_CERT and FHIRLEDGER_TLS_KEY go together/,
    );
    expect(() => loadConfig({ FHIRLEDGER_BEHIND_TLS_PROXY: "true" })).toThrow(
      /FHIRLEDGER_BEHIND_TLS_PROXY=true needs FHIRLEDGER_BASE_URL/,
    );
    expect(() =>
      loadConfig({ FHIRLEDGER_BEHIND_TLS_PROXY: "true", FHIRLEDGER_BASE_URL: "http://fhir.example.org" }),
    ).toThrow(/the https:\/\/ URL clients reach/);
    expect(() => loadConfig({ FHIRLEDGER_BEHIND_TLS_PROXY: "yes" })).toThrow(
      /FHIRLEDGER_BEHIND_TLS_PROXY must be one of/,
    );
  });
});

describe("loadConfig: accounts", () => {
  it("keeps accounts in <dataDir>/accounts.sqlite and creates no administrator unless told", () => {
    const c = loadConfig({}, "/srv/app");
    expect(c.accounts).toEqual({ sqlitePath: "/srv/app/data/accounts.sqlite", firstAdmin: null });
  });

  it("reads the first administrator's name, email and password file (never a password itself)", () => {
    const c = loadConfig(
      {
        FHIRLEDGER_ADMIN_USERNAME: "root1",
        FHIRLEDGER_ADMIN_PASSWORD_FILE: "secrets/admin.pw",
        FHIRLEDGER_ADMIN_EMAIL: "a@example.org",
      },
      "/srv/app",
    );
    expect(c.accounts.firstAdmin).toEqual({
      username: "root1",
      email: "a@example.org",
      passwordFile: "/srv/app/secrets/admin.pw",
    });
  });

  it("refuses a name without a password file and a password file without a name", () => {
    expect(() => loadConfig({ FHIRLEDGER_ADMIN_USERNAME: "root1" })).toThrow(/go together/);
    expect(() => loadConfig({ FHIRLEDGER_ADMIN_PASSWORD_FILE: "/x" })).toThrow(/go together/);
  });

  it("accepts an external OpenID provider only with issuer, JWKS, audience and a role map together", () => {
    const env = {
      FHIRLEDGER_OIDC_ISSUER: "https://idp.example/realms/h",
      FHIRLEDGER_OIDC_JWKS_URL: "https://idp.example/realms/h/certs",
      FHIRLEDGER_OIDC_AUDIENCE: "fhirledger",
      FHIRLEDGER_OIDC_ROLE_MAP: "clinician=practitioner, it-admin=admin",
    };
    expect(loadConfig({}).auth.oidc).toBeNull();
    expect(loadConfig(env).auth.oidc).toEqual({
      issuer: "https://idp.example/realms/h",
      jwksUrl: "https://idp.example/realms/h/certs",
      audience: "fhirledger",
      roleClaim: "roles",
      roleMap: { clinician: "practitioner", "it-admin": "admin" },
    });
    expect(() => loadConfig({ ...env, FHIRLEDGER_OIDC_AUDIENCE: "" })).toThrow(/FHIRLEDGER_OIDC_AUDIENCE/);
    expect(() => loadConfig({ ...env, FHIRLEDGER_OIDC_ROLE_MAP: "clinician=superuser" })).toThrow(/claimValue=role/);
  });

  it("is in development mode on loopback, production elsewhere, and production refuses development defaults", () => {
    expect(loadConfig({}).mode).toBe("development");
    const tls = { FHIRLEDGER_TLS_CERT: "/c.pem", FHIRLEDGER_TLS_KEY: "/k.pem" };
    const chain = { FHIRLEDGER_CHAIN_RPC_URL: "https://rpc.example", FHIRLEDGER_CHAIN_PRIVATE_KEY: "ab".repeat(32) };
    expect(loadConfig({ FHIRLEDGER_HOST: "0.0.0.0", ...tls, ...chain }).mode).toBe("production");
    expect(() => loadConfig({ FHIRLEDGER_MODE: "production" })).toThrow(/embedded anvil chain/);
    expect(() => loadConfig({ FHIRLEDGER_MODE: "production", ...chain, FHIRLEDGER_DEV_TOKEN: "x".repeat(20) })).toThrow(
      /refuses FHIRLEDGER_DEV_TOKEN/,
    );
    expect(loadConfig({ FHIRLEDGER_MODE: "production", ...chain }).mode).toBe("production");
    // plain HTTP off loopback is refused in either mode
    expect(() => loadConfig({ FHIRLEDGER_HOST: "0.0.0.0", ...chain })).toThrow(/not a loopback address/);
  });

  it("consent: opt-in, no system client bound and 60-minute break-glass unless told otherwise", () => {
    expect(loadConfig({}).consent).toEqual({ default: "opt-in", bindsClients: [], breakGlassMaxMinutes: 60 });
    const c = loadConfig({
      FHIRLEDGER_CONSENT_DEFAULT: "opt-out",
      FHIRLEDGER_CONSENT_BINDS_CLIENTS: " lab-feed , billing.export ,lab-feed",
      FHIRLEDGER_BREAK_GLASS_MAX_MINUTES: "1440",
    });
    expect(c.consent).toEqual({
      default: "opt-out",
      bindsClients: ["lab-feed", "billing.export"],
      breakGlassMaxMinutes: 1440,
    });
    expect(loadConfig({ FHIRLEDGER_CONSENT_BINDS_CLIENTS: "*" }).consent.bindsClients).toBe("*");
  });

  it("consent: refuses to start on a default, client list or break-glass length it cannot read", () => {
    expect(() => loadConfig({ FHIRLEDGER_CONSENT_DEFAULT: "optin" })).toThrow(
      /FHIRLEDGER_CONSENT_DEFAULT must be one of opt-in, opt-out \(got "optin"\)/,
    );
    expect(() => loadConfig({ FHIRLEDGER_CONSENT_DEFAULT: "permit" })).toThrow(/FHIRLEDGER_CONSENT_DEFAULT/);
    // an empty entry or a space inside an id is a typo, not "no client"
    expect(() => loadConfig({ FHIRLEDGER_CONSENT_BINDS_CLIENTS: "lab-feed,,billing" })).toThrow(
      /FHIRLEDGER_CONSENT_BINDS_CLIENTS must be \* or up to 1000 client ids/,
    );
    expect(() => loadConfig({ FHIRLEDGER_CONSENT_BINDS_CLIENTS: "lab feed" })).toThrow(/not a client id: "lab feed"/);
    expect(() => loadConfig({ FHIRLEDGER_CONSENT_BINDS_CLIENTS: "*,lab" })).toThrow(/FHIRLEDGER_CONSENT_BINDS_CLIENTS/);
    const many = Array.from({ length: 1001 }, (_, i) => `c${i}`).join(",");
    expect(() => loadConfig({ FHIRLEDGER_CONSENT_BINDS_CLIENTS: many })).toThrow(/FHIRLEDGER_CONSENT_BINDS_CLIENTS/);
    for (const bad of ["0", "1441", "30.5", "an hour"])
      expect(() => loadConfig({ FHIRLEDGER_BREAK_GLASS_MAX_MINUTES: bad })).toThrow(
        /FHIRLEDGER_BREAK_GLASS_MAX_MINUTES must be an integer between 1 and 1440/,
      );
  });
});
