import { FhirLedgerError } from "../../errors/FhirLedgerError.ts";
import type { ErrorCode } from "../../errors/FhirLedgerError.ts";

/** The error codes of RFC 6749 §5.2 / §4.1.2.1, RFC 7591 §3.2.2 and RFC 6750 that this server answers with. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "invalid_scope"
  | "access_denied"
  | "temporarily_unavailable"
  | "invalid_redirect_uri"
  | "invalid_client_metadata"
  | "invalid_token";

const BASE_CODE: Record<OAuthErrorCode, ErrorCode> = {
  invalid_request: "bad-request",
  invalid_client: "unauthorized",
  invalid_grant: "bad-request",
  unauthorized_client: "bad-request",
  unsupported_grant_type: "bad-request",
  unsupported_response_type: "bad-request",
  invalid_scope: "bad-request",
  access_denied: "forbidden",
  temporarily_unavailable: "unavailable",
  invalid_redirect_uri: "bad-request",
  invalid_client_metadata: "bad-request",
  invalid_token: "unauthorized",
};

/**
 * An OAuth refusal: the project's one error type, carrying the RFC error code the OAuth routes
 * answer with as `{ error, error_description }`. The description is shown to the client, so it
 * never holds a token, secret or assertion.
 */
export class OAuthError extends FhirLedgerError {
  readonly oauthCode: OAuthErrorCode;

  constructor(oauthCode: OAuthErrorCode, description: string, options: { cause?: unknown } = {}) {
    super(BASE_CODE[oauthCode], description, options);
    this.name = "OAuthError";
    this.oauthCode = oauthCode;
  }

  /** 401 for a client that failed to authenticate (RFC 6749 §5.2), 503 when busy, else 400. */
  get status(): 400 | 401 | 403 | 503 {
    if (this.oauthCode === "invalid_client" || this.oauthCode === "invalid_token") return 401;
    if (this.oauthCode === "access_denied") return 403;
    if (this.oauthCode === "temporarily_unavailable") return 503;
    return 400;
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.oauthCode, error_description: this.message };
  }
}

/** Shorthand for `throw new OAuthError(...)` at a check. */
export function oauthAssert(condition: unknown, code: OAuthErrorCode, description: string): asserts condition {
  if (!condition) throw new OAuthError(code, description);
}
