import pino from "pino";
import type { DestinationStream, Logger as Pino } from "pino";
import type { LogFields, Logger, LogLevel } from "../../ports/Logger.ts";
import { censor, censorText, REDACTED } from "./censor.ts";

/**
 * pino's own redaction, a first net for the common shapes (pino's paths match one level per
 * `*`); censor() then catches any sensitive name at any depth, resources and bytes.
 */
const REDACT_PATHS = [
  "authorization",
  "token",
  "body",
  "resource",
  "key",
  "kek",
  "secret",
  "password",
  "headers.authorization",
  "headers.cookie",
  "req.headers.authorization",
  "req.headers.cookie",
  "*.authorization",
  "*.token",
  "*.body",
  "*.resource",
  "*.key",
  "*.kek",
  "*.secret",
  "*.password",
];

export interface PinoLoggerOptions {
  level: LogLevel;
  /** Where the lines go; by default info and below to stdout, warnings and errors to stderr. */
  destination?: DestinationStream;
}

/**
 * The server's Logger on pino: one JSON line per event with an ISO time, the level's name,
 * the component and request id a child logger binds, and `msg`. Nothing a caller hands it
 * reaches the line uncensored (see censor.ts): fields and bindings go through censor() (and
 * pino's redact paths), messages through censorText().
 */
export function pinoLogger(options: PinoLoggerOptions): Logger {
  const destination =
    options.destination ??
    pino.multistream(
      [
        { level: "debug", stream: pino.destination({ dest: 1, sync: true }) },
        { level: "warn", stream: pino.destination({ dest: 2, sync: true }) },
      ],
      { dedupe: true },
    );
  const root = pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => censor(bindings) as Record<string, unknown>,
        log: (object) => censor(object) as Record<string, unknown>,
      },
    },
    destination,
  );
  return wrap(root);
}

function wrap(p: Pino): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (fields) p[level](fields, censorText(message));
      else p[level](censorText(message));
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (bindings) => wrap(p.child(bindings)),
  };
}
