import type { Config } from "../config/loadConfig.ts";

/**
 * The base URL the server answers under: FHIRLEDGER_BASE_URL when set, else its own address
 * on `port` (the port it listens on, which with port 0 is known only after listen), over
 * https when the server itself serves TLS.
 */
export function serverBaseUrl(config: Pick<Config, "http" | "tls">, port: number): string {
  const { http, tls } = config;
  const scheme = tls.certPath === null ? "http" : "https";
  return http.publicBaseUrl ?? `${scheme}://${http.host.includes(":") ? `[${http.host}]` : http.host}:${port}`;
}
