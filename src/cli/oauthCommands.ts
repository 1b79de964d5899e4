import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { FileKeyStore } from "../adapters/keys/FileKeyStore.ts";
import { ClientRegistry } from "../auth/oauth/ClientRegistry.ts";
import type { ClientAuthMethod, GrantType } from "../auth/oauth/ClientRegistry.ts";
import { openOAuthDatabase } from "../auth/oauth/oauthDatabase.ts";
import { OAuthError } from "../auth/oauth/OAuthError.ts";
import { splitScopes } from "../auth/oauth/scopes.ts";
import { loadConfig } from "../config/loadConfig.ts";
import { fromHex } from "../crypto/hex.ts";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { SigningAlgorithm } from "../ports/KeyStore.ts";
import { holdDataDirectories } from "../server/holdDataDirectories.ts";
import { EXIT_OK } from "./commands.ts";
import { parseCommandArgs } from "./parseCommandArgs.ts";

const ROTATE_HELP = `Usage: fhirledger rotate-signing-key [--alg ES256|RS256]

Starts a new key for signing access tokens (ES256) and id_tokens (RS256), or only the one
named. The old key's public half stays in /.well-known/jwks.json until the tokens it signed
have expired. Stop the server first (it reads its signing keys at start).
`;

const REGISTER_HELP = `Usage: fhirledger register-client --name NAME --auth METHOD --scope "SCOPES" [options]

Registers an OAuth client in <data dir>/oauth.sqlite (the server may be running).

  --name NAME            shown to users on the approval page
  --auth METHOD          none (public app), client_secret_basic, or private_key_jwt
  --scope "SCOPES"       the most it may be granted, e.g. "launch/patient openid fhirUser patient/*.rs"
  --redirect-uri URI     exact redirect URI (repeat for several); needed for authorization_code
  --grant-type TYPE      authorization_code, refresh_token, client_credentials (repeat); by default
                         client_credentials for private_key_jwt, else authorization_code + refresh_token
  --jwks-file FILE       private_key_jwt: the client's public JWKS (JSON)
  --jwks-uri URI         private_key_jwt: where to fetch it instead
  --client-id ID         choose the id (default: random)

A client_secret_basic client's secret is printed once, here; only its hash is stored.
`;

const MAX_JWKS_FILE_BYTES = 64 * 1024;

/** `fhirledger rotate-signing-key`: a new token-signing key; the old one stays published until its tokens expire. */
export async function rotateSigningKey(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const values = parseCommandArgs(argv, { alg: { type: "string" }, help: { type: "boolean" } });
  if (values.help) {
    process.stdout.write(ROTATE_HELP);
    return EXIT_OK;
  }
  if (values.alg !== undefined && values.alg !== "ES256" && values.alg !== "RS256")
    throw new FhirLedgerError("bad-request", "--alg is ES256 (access tokens) or RS256 (id_tokens)");
  const algs: SigningAlgorithm[] = values.alg === undefined ? ["ES256", "RS256"] : [values.alg];
  const config = loadConfig(env);
  const held = await holdDataDirectories(config, "fhirledger rotate-signing-key");
  try {
    const kek = config.keys.kekHex ? fromHex(config.keys.kekHex.slice(2).toLowerCase()) : undefined;
    const store = await FileKeyStore.open({ dir: config.keys.dir, ...(kek ? { kek } : {}) });
    kek?.fill(0);
    try {
      for (const alg of algs) {
        const key = await store.rotateSigningKey(alg);
        process.stdout.write(
          `new ${alg} signing key ${key.kid}; the previous one stays in the JWKS until its tokens expire\n`,
        );
      }
      return EXIT_OK;
    } finally {
      await store.close();
    }
  } finally {
    held.release();
  }
}

/** `fhirledger register-client`: adds an OAuth client (public, symmetric or asymmetric). */
export async function registerClient(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const values = parseCommandArgs(argv, {
    name: { type: "string" },
    auth: { type: "string" },
    scope: { type: "string" },
    "redirect-uri": { type: "string", multiple: true },
    "grant-type": { type: "string", multiple: true },
    "jwks-file": { type: "string" },
    "jwks-uri": { type: "string" },
    "client-id": { type: "string" },
    help: { type: "boolean" },
  });
  if (values.help) {
    process.stdout.write(REGISTER_HELP);
    return EXIT_OK;
  }
  if (values.name === undefined || values.auth === undefined || values.scope === undefined)
    throw new FhirLedgerError("bad-request", "--name, --auth and --scope are required (see --help)");
  const jwks = values["jwks-file"] === undefined ? undefined : await readJwksFile(values["jwks-file"]);
  const config = loadConfig(env);
  const db = openOAuthDatabase(join(config.dataDir, "oauth.sqlite"));
  try {
    const { client, clientSecret } = new ClientRegistry(db).register({
      name: values.name,
      authMethod: values.auth as ClientAuthMethod,
      scopes: splitScopes(values.scope),
      ...(values["redirect-uri"] === undefined ? {} : { redirectUris: values["redirect-uri"] }),
      ...(values["grant-type"] === undefined ? {} : { grantTypes: values["grant-type"] as GrantType[] }),
      ...(jwks === undefined ? {} : { jwks }),
      ...(values["jwks-uri"] === undefined ? {} : { jwksUri: values["jwks-uri"] }),
      ...(values["client-id"] === undefined ? {} : { clientId: values["client-id"] }),
    });
    process.stdout.write(`client_id: ${client.clientId}\n`);
    if (clientSecret !== undefined)
      process.stdout.write(`client_secret: ${clientSecret}\n(shown once; only its hash is kept)\n`);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof OAuthError) throw new FhirLedgerError("bad-request", error.message);
    throw error;
  } finally {
    db.close();
  }
}

async function readJwksFile(path: string) {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile() || info.size > MAX_JWKS_FILE_BYTES)
    throw new FhirLedgerError("bad-request", `--jwks-file ${path} is not a readable file of at most 64 KiB`);
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch {
    throw new FhirLedgerError("bad-request", `--jwks-file ${path} is not JSON`);
  }
}
