import type { Config } from "../config/loadConfig.ts";

/**
 * The base URL the server answers under: FHIRLEDGER_BASE_URL when set, else its own address
 * on `port` (the port it listens on, which with port 0 is known only after listen).
 */
export function serverBaseUrl(http: Config["http"], port: number): string {
  return http.publicBaseUrl ?? `http://${http.host.includes(":") ? `[${http.host}]` : http.host}:${port}`;
}
