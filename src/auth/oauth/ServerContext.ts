import type { Authenticator } from "../Actor.ts";
import type { ClientRegistry } from "./ClientRegistry.ts";
import type { OAuthStore } from "./OAuthStore.ts";
import type { RemoteJwksCache } from "./RemoteJwksCache.ts";
import type { TokenKeys } from "./TokenKeys.ts";

/** Lifetimes, in seconds. */
export interface TokenLifetimes {
  accessToken: number;
  /** offline_access refresh tokens */
  offlineRefresh: number;
  /** online_access refresh tokens */
  onlineRefresh: number;
  code: number;
  launch: number;
}

export const DEFAULT_LIFETIMES: TokenLifetimes = {
  accessToken: 3600,
  offlineRefresh: 90 * 86_400,
  onlineRefresh: 12 * 3600,
  code: 60,
  launch: 3600,
};

/** What every part of the authorization server shares. */
export interface ServerContext {
  /** Issuer (iss of every token), the server's base URL without trailing slash. */
  issuer: string;
  /** The FHIR base URL: the `aud` of access tokens and of authorize requests. */
  fhirBaseUrl: string;
  /** The token endpoint URL: the `aud` client assertions must name. */
  tokenUrl: string;
  clients: ClientRegistry;
  store: OAuthStore;
  keys: TokenKeys;
  remoteJwks: RemoteJwksCache;
  lifetimes: TokenLifetimes;
  /**
   * Accepts an administrator's (or the bootstrap integration client's) bearer token for
   * registration, introspection and revocation; undefined turns that door off.
   */
  adminAuthenticate?: Authenticator;
}
