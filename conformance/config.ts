import { readFile } from "node:fs/promises";
import type { JWK } from "jose";

export interface UserCredentials {
  username: string;
  password: string;
}

/** A client that signs RFC 7523 assertions (private_key_jwt) with an RS384 or ES384 private key. */
export interface KeyClient {
  clientId: string;
  /** The private JWK, with its `kid` and `alg` (RS384 or ES384). */
  privateJwk: JWK;
}

export interface BackendClient extends KeyClient {
  /** The system/ scopes to ask for (default "system/Patient.rs"). */
  scope?: string;
}

/** What the suite needs to know about the server under test (the --config file, JSON). */
export interface ConformanceConfig {
  /** The FHIR base URL (also the `aud` of every authorize request). */
  fhirBaseUrl: string;
  /** The redirect URI registered for every app client. */
  redirectUri: string;
  /** The patient the launches are about; a standalone launch by the patient user lands on it. */
  patientId: string;
  /** A patient's account (standalone launches). Without it, and without `manual`, launches are skipped. */
  patientUser?: UserCredentials;
  /** A practitioner's account (EHR launch). */
  practitionerUser?: UserCredentials;
  clients: {
    public?: { clientId: string };
    symmetric?: { clientId: string; clientSecret: string };
    asymmetric?: KeyClient[];
    backend?: BackendClient[];
  };
  /** The EHR launch: a fixed `launch` value, or a bearer token that may POST {base}/auth/launch (fhirledger). */
  ehrLaunch?: { launch?: string; launchToken?: string };
  scopes: {
    standalone: string;
    ehr: string;
    /** Resource types the limited-scope launch approves (the rest of `standalone`'s resource scopes are unticked). */
    limitedTypes: string[];
    /** Resource types of `standalone` that the limited launch leaves out: reading them must be refused (403). */
    restrictedTypes: string[];
    v1: string;
    granular: string;
  };
  /**
   * Without user credentials (another server): print each authorize URL and wait this long for
   * the browser's redirect on a local listener at redirectUri (an http://127.0.0.1 or localhost URI).
   */
  manualTimeoutSeconds: number;
  /** Per-request timeout. */
  requestTimeoutMs: number;
}

export const DEFAULT_SCOPES: ConformanceConfig["scopes"] = {
  standalone:
    "launch/patient openid fhirUser offline_access patient/Patient.rs patient/Observation.rs patient/Condition.rs",
  ehr: "launch openid fhirUser offline_access patient/Patient.rs patient/Observation.rs user/Practitioner.rs",
  limitedTypes: ["Patient", "Observation"],
  restrictedTypes: ["Condition"],
  v1: "launch/patient openid fhirUser offline_access patient/Patient.read patient/Observation.read",
  granular:
    "launch/patient patient/Patient.rs patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
};

/** The config file is small; anything bigger is a mistake. */
const MAX_CONFIG_BYTES = 256 * 1024;

/** Reads a config file (JSON) and fills the defaults; `base` (from --base) wins over the file's fhirBaseUrl. */
export async function loadConformanceConfig(
  path: string | undefined,
  base: string | undefined,
): Promise<ConformanceConfig> {
  let file: Partial<ConformanceConfig> = {};
  if (path !== undefined) {
    const text = await readFile(path, "utf8");
    if (text.length > MAX_CONFIG_BYTES) throw new Error(`the config file is larger than ${MAX_CONFIG_BYTES} bytes`);
    try {
      file = JSON.parse(text) as Partial<ConformanceConfig>;
    } catch {
      throw new Error(`the config file ${path} is not valid JSON`);
    }
  }
  return withDefaults({ ...file, ...(base === undefined ? {} : { fhirBaseUrl: base }) });
}

/** Fills what is missing with the defaults; throws when the base URL or redirect URI is missing or not a URL. */
export function withDefaults(partial: Partial<ConformanceConfig>): ConformanceConfig {
  const base = partial.fhirBaseUrl;
  if (typeof base !== "string" || !/^https?:\/\//.test(base)) throw new Error("--base URL (http or https) is required");
  const redirectUri = partial.redirectUri ?? "http://127.0.0.1:4567/smart/redirect";
  new URL(redirectUri);
  return {
    fhirBaseUrl: base.replace(/\/+$/, ""),
    redirectUri,
    patientId: partial.patientId ?? "",
    ...(partial.patientUser ? { patientUser: partial.patientUser } : {}),
    ...(partial.practitionerUser ? { practitionerUser: partial.practitionerUser } : {}),
    clients: partial.clients ?? {},
    ...(partial.ehrLaunch ? { ehrLaunch: partial.ehrLaunch } : {}),
    scopes: { ...DEFAULT_SCOPES, ...partial.scopes },
    manualTimeoutSeconds: Math.min(Math.max(partial.manualTimeoutSeconds ?? 180, 1), 3600),
    requestTimeoutMs: Math.min(Math.max(partial.requestTimeoutMs ?? 15_000, 100), 120_000),
  };
}
