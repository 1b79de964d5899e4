import type { Logger } from "../../ports/Logger.ts";

/** A Logger that writes nothing: benches and tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
