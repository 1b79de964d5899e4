import { randomUUID } from "node:crypto";
import type { Duplex } from "node:stream";
import { FhirLedgerError } from "../errors/FhirLedgerError.ts";
import type { ErrorCode } from "../errors/FhirLedgerError.ts";
import { toOperationOutcome } from "../fhir/outcome/operationOutcome.ts";
import { SECURITY_HEADERS } from "./responses.ts";

/** What node's HTTP parser attaches to the error it emits as `clientError`. */
interface ClientError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  414: "URI Too Long",
  431: "Request Header Fields Too Large",
};
/** The headers every response carries (see SECURITY_HEADERS), as header lines. */
const SECURITY_LINES = Object.entries(SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join("");
/** A request line that starts like one: a method token and a space. */
const REQUEST_LINE_START = /^[A-Z]{1,16} /;

/**
 * The `clientError` listener of the HTTP server: a request node could not parse (a URL or
 * headers over `maxHeaderBytes`, bytes that are not HTTP, a timeout) gets a status and an
 * OperationOutcome instead of node's bare status line, and the connection is closed. Without
 * a listener node answers 431/400 with no body. A socket that is already gone is only destroyed.
 * @see https://nodejs.org/api/http.html#event-clienterror
 * @see https://hl7.org/fhir/R4/http.html#Status-Codes
 */
export function clientErrorHandler(options: { maxHeaderBytes: number }): (error: Error, socket: Duplex) => void {
  return function answerClientError(error, socket) {
    const { code, rawPacket } = error as ClientError;
    if (code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, errorCode, message } = describe(code, rawPacket, options.maxHeaderBytes);
    const { outcome } = toOperationOutcome(new FhirLedgerError(errorCode, message), randomUUID());
    const body = JSON.stringify(outcome);
    try {
      socket.end(
        `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/fhir+json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n${SECURITY_LINES}Connection: close\r\n\r\n${body}`,
      );
    } catch {
      socket.destroy();
    }
  };
}

function describe(
  code: string | undefined,
  rawPacket: Buffer | undefined,
  maxHeaderBytes: number,
): { status: number; errorCode: ErrorCode; message: string } {
  if (code === "HPE_HEADER_OVERFLOW") {
    // The parser gives up inside the URL when the request line alone is over the limit: the
    // packet starts with the method and holds no line end yet.
    const head = rawPacket?.subarray(0, Math.min(rawPacket.length, maxHeaderBytes + 64)).toString("latin1") ?? "";
    if (REQUEST_LINE_START.test(head) && !head.includes("\r\n")) {
      return {
        status: 414,
        errorCode: "too-large",
        message: `the URL is longer than this server accepts (${maxHeaderBytes} bytes with the headers); send search parameters in a POST [type]/_search body`,
      };
    }
    return {
      status: 431,
      errorCode: "too-large",
      message: `the request line and headers are larger than this server accepts (${maxHeaderBytes} bytes)`,
    };
  }
  if (code === "ERR_HTTP_REQUEST_TIMEOUT")
    return { status: 408, errorCode: "bad-request", message: "the request did not arrive in time" };
  return { status: 400, errorCode: "bad-request", message: "the request is not valid HTTP/1.1" };
}
