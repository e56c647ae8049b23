import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TokenResponse } from "@auspex/shared/contracts/auth.ts";
import { createAuspex, type Auspex } from "#server/compose.ts";
import { loadConfig } from "#server/config/load-config.ts";
import type { Clock } from "#server/platform/clock.ts";
import { createLogger } from "#server/platform/logger.ts";

export interface TestApp {
  auspex: Auspex;
  dataDir: string;
  /** Registers a user through the real endpoint and returns the token response. */
  register(username: string, options?: { userAgent?: string; ip?: string }): Promise<TokenResponse>;
  /** Creates an API key for the user owning `accessToken` and returns its secret. */
  apiKey(accessToken: string, scopes: string[]): Promise<string>;
  /** Starts listening on a free loopback port and returns the base URL, e.g. http://127.0.0.1:40123. */
  listen(): Promise<string>;
  /** Authorization header for a token. */
  bearer(token: string): { authorization: string };
  close(): Promise<void>;
}

export const TEST_PASSWORD = "tangerine-otter-42";

/**
 * A real Auspex (real SQLite file in a temporary directory, real Fastify) with
 * cheap Argon2 parameters so tests stay fast. Pass env to override settings.
 */
export async function startTestApp(env: Record<string, string> = {}, options: { clock?: Clock } = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "auspex-test-"));
  const config = loadConfig({
    AUSPEX_DATA_DIR: dataDir,
    AUSPEX_LOG_LEVEL: "silent",
    AUSPEX_ARGON2_MEMORY_KIB: "8192",
    AUSPEX_ARGON2_ITERATIONS: "1",
    AUSPEX_RATE_LIMIT: "false",
    // Tests that scrape turn it on; the rest must not dial the addresses their targets name.
    AUSPEX_SCRAPE: "false",
    // Likewise detection, whose output series would show up in other tests' queries.
    AUSPEX_DETECTION: "false",
    ...env,
  });
  const logger = createLogger({ level: config.log.level, format: "json" });
  const auspex = await createAuspex(config, { logger, ...(options.clock ? { clock: options.clock } : {}) });
  await auspex.app.ready();

  return {
    auspex,
    dataDir,
    async register(username, registerOptions = {}) {
      const response = await auspex.app.inject({
        method: "POST",
        url: "/api/v1/auth/register",
        headers: registerOptions.userAgent ? { "user-agent": registerOptions.userAgent } : {},
        ...(registerOptions.ip ? { remoteAddress: registerOptions.ip } : {}),
        payload: { username, email: `${username}@example.com`, password: TEST_PASSWORD },
      });
      if (response.statusCode !== 201) throw new Error(`register ${username} failed: ${response.statusCode} ${response.body}`);
      return response.json<TokenResponse>();
    },
    async apiKey(accessToken, scopes) {
      const response = await auspex.app.inject({
        method: "POST",
        url: "/api/v1/api-keys",
        headers: { authorization: `Bearer ${accessToken}` },
        payload: { name: scopes.join("+"), scopes },
      });
      if (response.statusCode !== 201) throw new Error(`creating an API key failed: ${response.statusCode} ${response.body}`);
      return response.json<{ key: string }>().key;
    },
    async listen() {
      await auspex.app.listen({ port: 0, host: "127.0.0.1" });
      const address = auspex.app.server.address();
      if (address === null || typeof address === "string") throw new Error("server is not listening on a TCP port");
      return `http://127.0.0.1:${address.port}`;
    },
    bearer: (token) => ({ authorization: `Bearer ${token}` }),
    async close() {
      await auspex.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A test app already listening on a loopback port, with its base URL. */
export async function startListeningTestApp(env: Record<string, string> = {}): Promise<{ t: TestApp; base: string }> {
  const t = await startTestApp(env);
  return { t, base: await t.listen() };
}

/** A clock the test moves by hand, for expiry without sleeping. */
export function manualClock(start = new Date("2026-01-01T00:00:00Z")): Clock & { advance(seconds: number): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
}
