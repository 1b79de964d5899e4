/** Severity of a log event, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields of a log event (request id, counts, ids): never a resource, a token or a key. */
export type LogFields = Record<string, unknown>;

/**
 * Where the server's components report what they do. The project's one logger type: adapters
 * decide the format and the sink, and censor whatever a caller hands them by mistake (values
 * under sensitive names, FHIR resources, bytes, bearer credentials in messages).
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every event also carries `bindings`: `{ component: "anchorer" }`, `{ requestId }`. */
  child(bindings: LogFields): Logger;
}
