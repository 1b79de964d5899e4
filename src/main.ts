import { loadConfig } from "./config/loadConfig.ts";
import { FhirLedgerError } from "./errors/FhirLedgerError.ts";
import { pinoLogger } from "./adapters/logging/pinoLogger.ts";
import { startServer } from "./server/startServer.ts";

/** `npm start`: read configuration once, start every component, stop cleanly on a signal. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    console.error(error instanceof FhirLedgerError ? error.message : error);
    process.exit(2);
  }
  const log = pinoLogger({ level: config.logLevel });
  const server = await startServer(config, log);
  log.info(`fhirledger FHIR R4 server listening at ${server.baseUrl}`);
  log.info(`data in ${config.dataDir}`);
  const lines = [
    `  Base URL:  ${server.baseUrl}`,
    `  Home page: ${server.baseUrl}/`,
    `  SMART:     ${server.baseUrl}/.well-known/smart-configuration`,
    ...(server.devToken === null
      ? []
      : [
          `  Dev token: ${server.devToken}   (development mode: valid 24 h, a new one at each start)`,
          `  Try:       curl -H "Authorization: Bearer ${server.devToken}" ${server.baseUrl}/metadata`,
        ]),
  ];
  console.log(`\n${lines.join("\n")}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down (chain state is saved)`);
    const force = setTimeout(() => {
      log.error("shutdown took longer than 20 s; exiting");
      process.exit(1);
    }, 20_000);
    force.unref();
    await server.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(
    `fhirledger failed to start: ${error instanceof FhirLedgerError ? error.message : error instanceof Error ? error.stack : String(error)}`,
  );
  process.exit(1);
});
