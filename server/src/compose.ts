import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { buildApp } from "#server/api/app.ts";
import type { Config } from "#server/config/load-config.ts";
import { createAuthModule, loadOrCreateJwtSecret, type AuthModule } from "#server/modules/auth/index.ts";
import { createHealthService } from "#server/modules/health/index.ts";
import { systemClock, type Clock } from "#server/platform/clock.ts";
import { moduleLogger, type Logger } from "#server/platform/logger.ts";
import { createMetrics, registerCollectedGauge, type Metrics } from "#server/platform/metrics.ts";
import { openDatabase, type Database } from "#server/storage/database.ts";

export const VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

export interface Auspex {
  app: FastifyInstance;
  database: Database;
  auth: AuthModule;
  metrics: Metrics;
  /** Stops the HTTP server (in-flight requests finish) and then closes the database. */
  close(): Promise<void>;
}

/** The composition root shared by main.ts and the tests: storage → modules → transport. */
export async function createAuspex(config: Config, options: { logger: Logger; clock?: Clock }): Promise<Auspex> {
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const database = await openDatabase(config.database, { busyTimeoutMs: config.sqliteBusyTimeoutMs });
  try {
    const metrics = createMetrics();
    const auth = createAuthModule({
      db: database.db,
      clock,
      logger: moduleLogger(logger, "auth"),
      metrics,
      jwtSecret: loadOrCreateJwtSecret(config.auth.jwtSecret, config.dataDir),
      accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
      argon2: config.auth.argon2,
    });
    registerCollectedGauge(metrics, "auspex_active_sessions", "Login sessions neither revoked nor expired", () => auth.auth.countActiveSessions());
    const health = createHealthService({
      version: VERSION,
      startedAt: clock.now(),
      clock,
      database,
      llm: { known: config.llm.known, configured: config.llm.providers.map((p) => p.name) },
    });
    const app = await buildApp({ config, version: VERSION, logger, metrics, auth, health, clock });
    return {
      app,
      database,
      auth,
      metrics,
      async close() {
        await app.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
