import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { HeliaBlobStore } from "../adapters/blob/HeliaBlobStore.ts";
import { KuboBlobStore } from "../adapters/blob/KuboBlobStore.ts";
import { SqliteIndex } from "../adapters/index/sqlite/SqliteIndex.ts";
import type { SearchIndexer } from "../adapters/index/sqlite/SqliteIndex.ts";
import { sqliteSearchIndexer } from "../adapters/index/sqlite/search/sqliteSearchIndexer.ts";
import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import { ANVIL_DEV_ADMIN_PRIVATE_KEY, ANVIL_DEV_PRIVATE_KEY, EmbeddedChain } from "../adapters/ledger/EmbeddedChain.ts";
import { deployWithAdminKey } from "../adapters/ledger/deployContracts.ts";
import { refuseDevAccountOffLoopback } from "../adapters/ledger/devAccounts.ts";
import { EvmLedger, hasCode } from "../adapters/ledger/EvmLedger.ts";
import { AuditJournal } from "../audit/AuditJournal.ts";
import { AuditMaterialiser } from "../audit/AuditMaterialiser.ts";
import { AuditTrail } from "../audit/AuditTrail.ts";
import { RequestAuditor } from "../audit/RequestAuditor.ts";
import type { Authenticator } from "../auth/Actor.ts";
import { devTokenAuthenticator } from "../auth/devTokenAuthenticator.ts";
import { createAuthorizationServer } from "../auth/oauth/createAuthorizationServer.ts";
import type { AuthorizationServer } from "../auth/oauth/createAuthorizationServer.ts";
import type { Accounts } from "../accounts/openAccounts.ts";
import { externalOidcAuthenticator } from "../auth/oauth/externalOidcAuthenticator.ts";
import { firstAuthenticator } from "../auth/oauth/firstAuthenticator.ts";
import { oauthRoutes } from "../http/oauth/oauthRoutes.ts";
import { layout } from "../ui/layout.ts";
import { openAccountsUi } from "../ui/openAccountsUi.ts";
import { isUiRequest } from "../ui/uiRoutes.ts";
import { clientAdminOf, consentPortalOf, patientPickerOf, patientRegistrarOf, userGrantsOf } from "./authPorts.ts";
import { auditAccountEvents, auditTokenRequests } from "./auditPorts.ts";
import type { Config } from "../config/loadConfig.ts";
import { fromHex } from "../crypto/hex.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import { FhirEngine } from "../fhir/engine/FhirEngine.ts";
import type { InteractionHook } from "../fhir/engine/InteractionHook.ts";
import { createValidator } from "../fhir/validation/createValidator.ts";
import { compartmentOf } from "../fhir/resource/meta.ts";
import { smartAccess } from "../policy/smartAccess.ts";
import { consentAccess } from "../consent/consentAccess.ts";
import { ConsentDirectory } from "../consent/directory/ConsentDirectory.ts";
import { storedReferences } from "../consent/storedReferences.ts";
import { patientNamesOf } from "../fhir/resource/compartmentOf.ts";
import { clientErrorHandler } from "../http/clientErrorHandler.ts";
import { createApp } from "../http/createApp.ts";
import { plainReadHandler } from "../http/plainRead.ts";
import type { BlobStore } from "../ports/BlobStore.ts";
import type { KeyStore } from "../ports/KeyStore.ts";
import type { Ledger } from "../ports/Ledger.ts";
import { Anchorer } from "../records/Anchorer.ts";
import { RecordRepository } from "../records/RecordRepository.ts";
import { WorkerPreparer } from "../records/WorkerPreparer.ts";
import { buildServerCapabilityStatement } from "./capability.ts";
import { serverBaseUrl } from "./serverBaseUrl.ts";
import { health, metricsText } from "./health.ts";
import { readDeployments, writeDeployments } from "./deployments.ts";
import { holdDataDirectories } from "./holdDataDirectories.ts";
import { assertPrivateDataFiles } from "./assertPrivateDataFiles.ts";
import type { Logger } from "../ports/Logger.ts";
import { httpLogCallback } from "./logger.ts";
import { listen } from "./listen.ts";

/** A running server and its parts (tests and the bench reach in; main only closes it). */
export interface RunningServer {
  baseUrl: string;
  /** The development token (null in production mode). */
  devToken: string | null;
  index: SqliteIndex;
  blobs: BlobStore;
  ledger: Ledger;
  anchorer: Anchorer;
  records: RecordRepository;
  keys: KeyStore;
  chain: EmbeddedChain | null;
  /** The SMART authorization server (tests and the conformance suite register clients and create launches). */
  auth: AuthorizationServer;
  /** The user accounts (tests create the conformance suite's users). */
  accounts: Accounts;
  /** The counting Consents, roles and care teams consent decisions read (tests reach in). */
  consents: ConsentDirectory;
  /** The audit trail (tests flush it: `audit.flush()` makes every answered request's AuditEvents stored). */
  audit: AuditTrail;
  close(): Promise<void>;
}

export interface StartOverrides {
  /** Replace the IPFS adapter (bench baseline, unit tests). */
  blobs?: BlobStore;
  /** Replace the chain adapter (bench baseline, unit tests). */
  ledger?: Ledger;
  search?: SearchIndexer;
  /** Replace the authentication seam (tests with several roles). */
  authenticate?: Authenticator;
  /** The per-interaction hook (tests that watch every interaction and its actor). */
  hook?: InteractionHook;
  /**
   * `false`: scopes ∩ role only, no patient consent (bench/consent.bench.ts's baseline). Only
   * in code, never from the environment: no setting switches consent off in a deployment.
   */
  consent?: false;
}

/** Wires configuration → adapters → services → HTTP, in dependency order, and starts it. */
export async function startServer(config: Config, log: Logger, overrides: StartOverrides = {}): Promise<RunningServer> {
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        log.warn("shutdown step failed", { error });
      }
    }
  };
  try {
    const held = await holdDataDirectories(config, "the server");
    closers.push(() => held.release());
    await assertPrivateDataFiles(config);
    const keys = await FileKeyStore.open({
      dir: config.keys.dir,
      ...(config.keys.kekHex ? { kek: fromHex(config.keys.kekHex.slice(2)) } : {}),
    });
    closers.push(() => keys.close());

    const blobs: BlobStore =
      overrides.blobs ??
      (config.ipfs.mode === "kubo"
        ? await KuboBlobStore.open({ apiUrl: config.ipfs.kuboApiUrl! })
        : await HeliaBlobStore.open({ repoDir: config.ipfs.repoDir }));
    closers.push(() => blobs.close());

    let chain: EmbeddedChain | null = null;
    let ledger: Ledger;
    if (overrides.ledger) {
      ledger = overrides.ledger;
    } else {
      let rpcUrl: string;
      let privateKey: string;
      if (config.chain.mode === "embedded") {
        chain = await EmbeddedChain.start({
          stateDir: config.chain.stateDir,
          port: config.chain.embeddedPort,
          log: log.child({ component: "chain" }),
          // anvil mines only when a transaction arrives; waiting for confirmations needs blocks to keep coming.
          ...(config.chain.confirmations > 1 ? { blockTimeSeconds: 1 } : {}),
        });
        closers.push(() => chain!.stop());
        rpcUrl = chain.rpcUrl;
        privateKey = ANVIL_DEV_PRIVATE_KEY;
        log.info(`embedded chain (anvil) at ${rpcUrl}, state in ${config.chain.stateDir}`);
      } else {
        rpcUrl = config.chain.rpcUrl!;
        privateKey = config.chain.privateKey!;
        refuseDevAccountOffLoopback(rpcUrl, { privateKey, role: "anchoring" });
      }
      const address = await recordAnchorAddress(config, rpcUrl, privateKey, log);
      ledger = new EvmLedger({
        rpcUrl,
        privateKey,
        recordAnchorAddress: address,
        confirmations: config.chain.confirmations,
      });
    }
    closers.push(() => ledger.close());

    // Known now when configured; otherwise set once the server listens (port 0 picks the port).
    let baseUrl = config.http.publicBaseUrl ?? "";
    const index = new SqliteIndex({
      path: config.index.sqlitePath,
      search: overrides.search ?? sqliteSearchIndexer,
      baseUrl: () => baseUrl,
      readers: { count: config.index.readers, queryTimeoutMs: config.index.queryTimeoutMs },
      searchKey: await keys.searchIndexKey(),
    });
    closers.push(() => index.close());

    const validator = createValidator();
    // Compile the commonest types now; the rest compile on first use (10-40 ms each).
    validator.warmUp([
      "Patient",
      "Observation",
      "DocumentReference",
      "Consent",
      "Bundle",
      "AuditEvent",
      "Encounter",
      "Condition",
    ]);
    // With local blocks (SqliteBlocks) the preparation worker stores the sealed records itself.
    const preparer = new WorkerPreparer({ directBlockWrites: blobs.directBlockWrites?.() });
    closers.push(() => preparer.close());
    // Read per write: a reference under the server's own base names a patient here (see compartmentOf).
    const records = new RecordRepository({
      index,
      blobs,
      keys,
      compartmentOf: (r) => compartmentOf(r, baseUrl),
      compartmentsOf: (r) => patientNamesOf(r, baseUrl),
      preparer,
    });
    const anchorer = new Anchorer({
      index,
      blobs,
      keys,
      ledger,
      intervalMs: config.anchor.intervalMs,
      maxBatch: config.anchor.maxBatch,
      log: log.child({ component: "anchorer" }),
    });
    await anchorer.start();
    closers.push(() => anchorer.stop());

    // Every interaction's AuditEvents go to the journal (durable before the answer), then are
    // materialised into AuditEvent resources; what a crash left in the journal is drained now.
    const journal = await AuditJournal.open({ path: join(config.dataDir, "audit-journal.sqlite"), keys });
    closers.push(() => journal.close());
    const materialiser = new AuditMaterialiser({
      journal,
      records,
      index,
      log: (message, error) => log.warn(message, { error }),
    });
    await materialiser.drain();
    closers.push(() => materialiser.close());
    const audit = new AuditTrail({ journal, materialiser }, undefined, { enabled: config.audit.enabled });
    const auditor = new RequestAuditor(audit);

    // Development: a token for curl and scripts, renewed at each start and valid 24 h (or the
    // configured one); production issues none (loadConfig refuses a configured one).
    const devToken =
      config.mode === "production"
        ? null
        : (config.auth.devToken ?? (await newDevToken(join(config.keys.dir, "dev-token"))));
    const devAuthenticate: Authenticator =
      devToken === null
        ? async () => {
            throw new FhirLedgerError("unauthorized", "the bearer token is not valid");
          }
        : devTokenAuthenticator(
            devToken,
            config.auth.devToken === null ? { expiresAt: Date.now() + DEV_TOKEN_MS } : {},
          );
    // The SMART authorization server (oauth.sqlite, signing keys in the key store); the
    // development token administers it (registration, introspection, revocation).
    const auth = await createAuthorizationServer({
      dataDir: config.dataDir,
      keys,
      baseUrl: () => baseUrl,
      adminAuthenticate: devAuthenticate,
      onToken: auditTokenRequests(audit),
    });
    closers.push(() => auth.close());
    const authenticate: Authenticator =
      overrides.authenticate ??
      firstAuthenticator([
        auth.authenticate,
        ...(config.auth.oidc ? [externalOidcAuthenticator(config.auth.oidc)] : []),
        devAuthenticate,
      ]);
    // Every counting Consent, PractitionerRole and CareTeam, followed commit by commit: the
    // consent decision asks it on every request, so a revocation holds from the next one.
    // TODO(integration, wallet part): with a WalletConsentCheck `wallet`, pass `wallet` here and
    // `wallet: honouringClosingDenies(wallet)` to consentAccess below (the directory's closing
    // denies must survive the decision's chain check).
    const consents = await ConsentDirectory.open({ index, records, log: log.child({ component: "consent" }) });
    closers.push(() => consents.close());
    const { maxCount, maxChainDepth, maxIncludeDepth, maxOrValues, maxQueryParams, maxSearchTerms } = config.limits;
    const { maxResponseBytes, maxResponseResources } = config.limits;
    let capability: Record<string, unknown> | undefined;
    const engine = new FhirEngine({
      records,
      validator,
      index,
      ledger,
      audit,
      capabilityStatement: () => (capability ??= buildServerCapabilityStatement(baseUrl)),
      ...(overrides.hook === undefined ? {} : { hook: overrides.hook }),
      auditor,
      // SMART scopes ∩ role (src/policy) ∩ patient consent (src/consent) on every interaction, inside every query
      access:
        overrides.consent === false
          ? smartAccess()
          : consentAccess(smartAccess(), consents, {
              defaultDecision: config.consent.default === "opt-in" ? "deny" : "permit",
              bindsClients: config.consent.bindsClients,
              // Each decision is an AuthZ-Consent AuditEvent of the request (break-glass flags its events)
              onDecision: (actor, d) => {
                auditor
                  .decision(actor, d)
                  ?.catch((error: unknown) => log.warn("auditing a consent decision failed", { error }));
              },
              // `data` of meaning dependents: what the named resource refers to now
              referencesOf: storedReferences({ index, records }),
            }),
      limits: {
        maxCount,
        maxChainDepth,
        maxIncludeDepth,
        maxOrValues,
        maxQueryParams,
        maxSearchTerms,
        maxResponseBytes,
        maxResponseResources,
        maxBundleEntries: config.limits.maxBundleEntries,
        maxBreakGlassMinutes: config.consent.breakGlassMaxMinutes,
      },
    });
    const chainId = (await ledger.chainId()).toString();
    const httpLog = httpLogCallback(log.child({ component: "http" }));
    const ui = await openAccountsUi({
      config,
      baseUrl: () => baseUrl,
      patients: patientRegistrarOf(engine, () => baseUrl),
      clients: clientAdminOf(auth),
      grants: userGrantsOf(auth),
      consents: consentPortalOf(engine, () => baseUrl),
      onEvent: auditAccountEvents(audit),
      log: httpLog,
    });
    closers.push(() => ui.close());
    if (ui.firstAdmin === "not-configured")
      log.info(
        "no first administrator configured: if there is none yet, run `fhirledger create-admin --username NAME`, or set FHIRLEDGER_ADMIN_USERNAME and FHIRLEDGER_ADMIN_PASSWORD_FILE",
      );
    const fhirApp = createApp({
      engine,
      authenticate,
      baseUrl: () => baseUrl,
      health: () => health(anchorer, chainId, ledger.contractAddress, config.anchor.intervalMs),
      metrics: async () => metricsText(await anchorer.status(), index.commitGroups()),
      maxBodyBytes: config.limits.maxBodyBytes,
      auditRejected: (request, error) => auditor.rejected(request, error),
      log: httpLog,
    });
    // Plain reads are answered before the fetch adapter; everything else goes to the app.
    const plainRead = plainReadHandler({
      engine,
      authenticate,
      baseUrl: () => baseUrl,
      auditRejected: (request, error) => auditor.rejected(request, error),
      log: httpLog,
    });
    // OAuth endpoints and their pages first, then the FHIR API; the accounts pages answer
    // their own paths (and a browser's GET /) before either.
    const api = new Hono();
    api.route(
      "/",
      oauthRoutes({
        server: auth,
        session: ui.session,
        renderPage: (title, body, viewer) => layout(title, body, viewer ?? {}),
        patientPicker: patientPickerOf(engine, () => baseUrl),
        authenticate,
      }),
    );
    api.route("/", fhirApp);
    const front = new Hono();
    front.all("*", (c) =>
      (isUiRequest(c.req.method, c.req.path, c.req.header("accept")) ? ui.app : api).fetch(c.req.raw, c.env),
    );
    const toApp = getRequestListener(front.fetch, { hostname: config.http.host });
    const server = await listen({
      http: config.http,
      connections: config.connections,
      tls: config.tls,
      maxHeaderBytes: config.limits.maxHeaderBytes,
      onRequest: (req, res) => plainRead(req, res) || toApp(req, res),
      onClientError: clientErrorHandler({ maxHeaderBytes: config.limits.maxHeaderBytes }),
    });
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const port = (server.address() as AddressInfo).port;
    baseUrl ||= serverBaseUrl(config, port);
    return {
      baseUrl,
      devToken,
      index,
      blobs,
      ledger,
      anchorer,
      records,
      keys,
      chain,
      auth,
      accounts: ui.accounts,
      consents,
      audit,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The RecordAnchor address: configured, remembered from the first start, or deployed now. */
async function recordAnchorAddress(config: Config, rpcUrl: string, privateKey: string, log: Logger): Promise<string> {
  if (config.chain.recordAnchorAddress) return config.chain.recordAnchorAddress;
  const path = join(config.dataDir, "deployments.json");
  const deployments = await readDeployments(path);
  const chainKey = config.chain.mode === "embedded" ? "embedded" : rpcUrl.replace(/\/\/[^@/]*@/, "//");
  const known = deployments[chainKey];
  if (known && (await hasCode(rpcUrl, known.recordAnchor))) return known.recordAnchor;
  if (known)
    log.warn(`RecordAnchor ${known.recordAnchor} is not on the chain any more (chain state lost); deploying a new one`);
  const adminKey = config.chain.mode === "embedded" ? ANVIL_DEV_ADMIN_PRIVATE_KEY : config.chain.adminPrivateKey;
  if (adminKey === null)
    throw new FhirLedgerError(
      "invalid",
      "no RecordAnchor is configured or remembered for this chain, and the anchoring key may not deploy one (it gets the anchorer role only): " +
        "deploy with `node scripts/deploy.ts --rpc URL --key-file ADMIN_KEY --anchorer ANCHORING_ADDRESS` and set FHIRLEDGER_RECORD_ANCHOR_ADDRESS, " +
        "or set FHIRLEDGER_CHAIN_ADMIN_PRIVATE_KEY",
    );
  const deployed = await deployWithAdminKey({
    rpcUrl,
    adminKey,
    anchoringKey: privateKey,
    confirmations: config.chain.confirmations,
  });
  deployments[chainKey] = {
    recordAnchor: deployed.recordAnchor.address,
    consentRegistry: deployed.consentRegistry.address,
    organizationRegistry: deployed.organizationRegistry.address,
    deployedAt: new Date().toISOString(),
  };
  await writeDeployments(path, deployments);
  log.info(
    `deployed RecordAnchor at ${deployed.recordAnchor.address}, ConsentRegistry at ${deployed.consentRegistry.address}, OrganizationRegistry at ${deployed.organizationRegistry.address}`,
  );
  return deployed.recordAnchor.address;
}

/** A development token kept beside the keys (0600) so it survives restarts. */
/** How long the development token issued at start-up is accepted. */
const DEV_TOKEN_MS = 24 * 60 * 60 * 1000;

/** A new development token, written (0600) where `fhirledger import` and scripts read it. */
async function newDevToken(path: string): Promise<string> {
  // A fixed prefix: a token starting with "-" would read as an option on command lines.
  const token = `fl_${randomBytes(24).toString("base64url")}`;
  await rm(path, { force: true });
  await writeFile(path, `${token}\n`, { mode: 0o600, flag: "wx" });
  return token;
}
