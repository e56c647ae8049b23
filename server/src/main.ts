import { ConfigError, loadConfig } from "#server/config/load-config.ts";
import { createAuspex } from "#server/compose.ts";
import { createLogger, moduleLogger } from "#server/platform/logger.ts";

/*
 * `npm start`: read the settings once, open storage, serve HTTP, and on SIGTERM
 * or SIGINT stop accepting, let in-flight requests finish, then close the database.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.log);
  const log = moduleLogger(logger, "main");
  const auspex = await createAuspex(config, { logger });
  const address = await auspex.app.listen({ host: config.host, port: config.port });
  log.info({ address, data_dir: config.dataDir, database: auspex.database.engine }, `Auspex listening on ${address}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: no new connections, finishing in-flight requests");
    const deadline = setTimeout(() => {
      log.error({ timeout_ms: config.http.shutdownTimeoutMs }, "shutdown timed out; exiting");
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    deadline.unref();
    auspex.close().then(
      () => {
        log.info("shutdown complete");
        logger.flush();
        process.exitCode = 0;
      },
      (error: unknown) => {
        log.error({ error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`Auspex failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
