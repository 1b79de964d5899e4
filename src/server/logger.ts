import type { LogFields, Logger } from "../ports/Logger.ts";

/** The log callback the HTTP edge takes (createApp, plainReadHandler, errorResponse). */
export type HttpLogCallback = (level: "info" | "warn" | "error", message: string, fields?: LogFields) => void;

/**
 * The HTTP edge's log callback on a Logger: the edge keeps its callback, the events go to the
 * logger (with the request id as a field where the edge passes one).
 */
export function httpLogCallback(logger: Logger): HttpLogCallback {
  return (level, message, fields) => logger[level](message, fields);
}
