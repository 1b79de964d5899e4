import { NON_RESOURCE_SCOPES } from "./scopes.ts";

/** Only what works here (SMART App Launch 2.2 §Capabilities). */
export const CAPABILITIES = [
  "launch-ehr",
  "launch-standalone",
  "authorize-post",
  "client-public",
  "client-confidential-symmetric",
  "client-confidential-asymmetric",
  "context-ehr-patient",
  "context-ehr-encounter",
  "context-standalone-patient",
  "permission-offline",
  "permission-online",
  "permission-patient",
  "permission-user",
  "permission-v1",
  "permission-v2",
  "sso-openid-connect",
];

/** The endpoints under the issuer, one place. */
export function endpointsOf(issuer: string) {
  return {
    authorization_endpoint: `${issuer}/auth/authorize`,
    token_endpoint: `${issuer}/auth/token`,
    introspection_endpoint: `${issuer}/auth/introspect`,
    revocation_endpoint: `${issuer}/auth/revoke`,
    registration_endpoint: `${issuer}/auth/register`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
  };
}

const SCOPES_SUPPORTED = [
  ...NON_RESOURCE_SCOPES,
  "patient/*.read",
  "patient/*.rs",
  "patient/*.cruds",
  "user/*.read",
  "user/*.rs",
  "user/*.cruds",
  "system/*.read",
  "system/*.rs",
  "system/*.cruds",
];

/** `/.well-known/smart-configuration` (SMART App Launch 2.2 §Conformance). */
export function smartConfiguration(issuer: string): Record<string, unknown> {
  return {
    issuer,
    ...endpointsOf(issuer),
    grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "private_key_jwt"],
    token_endpoint_auth_signing_alg_values_supported: ["RS384", "ES384"],
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ["code"],
    code_challenge_methods_supported: ["S256"],
    id_token_signing_alg_values_supported: ["RS256"],
    // RFC 9207: the authorization response names its issuer
    authorization_response_iss_parameter_supported: true,
    introspection_endpoint_auth_methods_supported: ["client_secret_basic", "private_key_jwt"],
    revocation_endpoint_auth_methods_supported: ["none", "client_secret_basic", "private_key_jwt"],
    capabilities: CAPABILITIES,
  };
}

/** `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0). */
export function openidConfiguration(issuer: string): Record<string, unknown> {
  return {
    issuer,
    ...endpointsOf(issuer),
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
    scopes_supported: SCOPES_SUPPORTED,
    grant_types_supported: ["authorization_code", "client_credentials", "refresh_token"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "private_key_jwt"],
    token_endpoint_auth_signing_alg_values_supported: ["RS384", "ES384"],
    code_challenge_methods_supported: ["S256"],
    claims_supported: ["iss", "sub", "aud", "exp", "iat", "fhirUser", "nonce"],
  };
}
