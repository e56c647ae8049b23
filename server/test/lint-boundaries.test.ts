import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import { ESLint, type Linter } from "eslint";
import tseslint from "typescript-eslint";

// The import-boundary rules (STYLE-MODELS §4.3) come from the real eslint.config.js. The files
// linted here are virtual (lintText with a filePath), so type-aware parsing is switched off and
// only the two boundary rules run; that keeps this test at well under a second per case.

const root = fileURLToPath(new URL("../../", import.meta.url));
const BOUNDARY_RULES = new Set(["no-restricted-imports", "no-restricted-globals"]);
const withoutTypes: Linter.Config = { files: ["**/*.ts", "**/*.tsx"], ...tseslint.configs.disableTypeChecked };

function linter(extra: Linter.Config[] = []): ESLint {
  return new ESLint({
    cwd: root,
    overrideConfig: [withoutTypes, ...extra],
    ruleFilter: ({ ruleId }) => BOUNDARY_RULES.has(ruleId),
  });
}

const eslint = linter();

/** The boundary messages ESLint reports for `code` placed at `filePath` (relative to the repository root). */
async function violations(filePath: string, code: string, instance = eslint): Promise<string[]> {
  const [result] = await instance.lintText(`${code}\n`, { filePath: `${root}${filePath}` });
  assert.ok(result, "ESLint returned no result");
  assert.deepEqual(
    result.messages.filter((m) => m.fatal),
    [],
    `parse error in the snippet for ${filePath}`,
  );
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

async function assertReported(filePath: string, code: string, expected: RegExp, instance = eslint): Promise<void> {
  const messages = await violations(filePath, code, instance);
  assert.ok(
    messages.some((m) => expected.test(m)),
    `expected ${expected} for ${filePath}:\n  ${code}\ngot: ${JSON.stringify(messages, null, 2)}`,
  );
}

async function assertAllowed(filePath: string, code: string, instance = eslint): Promise<void> {
  assert.deepEqual(await violations(filePath, code, instance), [], `expected no violation for ${filePath}:\n  ${code}`);
}

describe("lint: import boundaries", () => {
  describe("server/src/api and server/src/workers", () => {
    const route = "server/src/api/routes/x.routes.ts";

    it("use a module only through its index.ts", async () => {
      await assertReported(route, `import { createAuthService } from "#server/modules/auth/auth.service.ts";`, /public surface/);
      await assertReported(route, `export type { AuthService } from "#server/modules/auth/auth.service.ts";`, /public surface/);
      await assertReported("server/src/workers/x.ts", `import { x } from "#server/modules/health/health.service.ts";`, /public surface/);
      await assertAllowed(
        route,
        [
          `import type { AuthModule } from "#server/modules/auth/index.ts";`,
          `import type { HealthService } from "#server/modules/health/index.ts";`,
          `import type { FastifyInstance } from "fastify";`,
          `import { HealthReport } from "@auspex/shared/contracts/health.ts";`,
          `import { NotFoundError } from "#server/platform/errors.ts";`,
          `import { x } from "./common.ts";`,
        ].join("\n"),
      );
    });

    it("never touch storage or a database driver, not even for types", async () => {
      await assertReported(route, `import { openDatabase } from "#server/storage/database.ts";`, /never touch storage/);
      await assertReported(route, `import type { Db } from "#server/storage/database.ts";`, /never touch storage/);
      await assertReported(route, `import { sql } from "kysely";`, /database driver/);
      await assertReported("server/src/workers/x.ts", `import pg from "pg";`, /database driver/);
      await assertReported("server/src/workers/x.ts", `import { DatabaseSync } from "node:sqlite";`, /database driver/);
    });
  });

  describe("server/src/modules", () => {
    const file = "server/src/modules/auth/x.ts";

    it("are transport-neutral", async () => {
      await assertReported(file, `import type { FastifyInstance } from "fastify";`, /transport-neutral/);
      await assertReported(file, `import cors from "@fastify/cors";`, /transport-neutral/);
      await assertReported(file, `import type { ZodTypeProvider } from "fastify-type-provider-zod";`, /transport-neutral/);
      await assertReported(file, `import { buildApp } from "#server/api/app.ts";`, /never import server\/src\/api/);
      await assertReported(file, `import { x } from "#server/workers/worker.ts";`, /never import server\/src\/api/);
      await assertReported(file, `import { composeAuspex } from "#server/compose.ts";`, /composition root/);
    });

    it("use other modules only through their index.ts, their own files freely", async () => {
      await assertReported(file, `import { x } from "#server/modules/health/health.service.ts";`, /Module "auth" may use another module only/);
      await assertAllowed(
        file,
        [
          `import type { HealthService } from "#server/modules/health/index.ts";`,
          `import { createAccessTokens } from "#server/modules/auth/tokens.ts";`,
          `import type { Db } from "#server/storage/database.ts";`,
          `import { sql } from "kysely";`,
          `import { randomBytes } from "node:crypto";`,
        ].join("\n"),
      );
    });
  });

  it("platform/ and storage/ do not depend on the layers above them", async () => {
    await assertReported("server/src/platform/x.ts", `import type { AuthModule } from "#server/modules/auth/index.ts";`, /platform\/ is domain-free/);
    await assertReported("server/src/platform/x.ts", `import type { Db } from "#server/storage/database.ts";`, /platform\/ is domain-free/);
    await assertReported("server/src/storage/x.ts", `import type { AuthModule } from "#server/modules/auth/index.ts";`, /storage\/ must not import/);
    await assertAllowed("server/src/storage/x.ts", `import type { Clock } from "#server/platform/clock.ts";\nimport { Kysely } from "kysely";`);
  });

  it("*.rules.ts files and shared/ import no I/O", async () => {
    const rules = "server/src/modules/auth/passwords.rules.ts";
    await assertReported(rules, `import { randomBytes } from "node:crypto";`, /No I\/O here.*Node built-ins/);
    await assertReported(rules, `import type { Db } from "#server/storage/database.ts";`, /No I\/O here.*#server\/storage/);
    await assertReported(rules, `import { sql } from "kysely";`, /No I\/O here.*kysely or pg/);
    await assertReported(rules, `export const f = () => fetch("https://example.com");`, /no-restricted-globals: .*No I\/O here/);
    // the module's own boundaries still apply to its rules files
    await assertReported(rules, `import type { FastifyInstance } from "fastify";`, /transport-neutral/);
    await assertAllowed(rules, `import { SYSTEM_ACTOR } from "#server/platform/actor.ts";\nimport { z } from "zod";`);

    const shared = "shared/src/contracts/x.ts";
    await assertReported(shared, `import { readFileSync } from "node:fs";`, /No I\/O here.*Node built-ins/);
    await assertReported(shared, `import { readFile } from "fs/promises";`, /No I\/O here.*Node built-ins/);
    await assertReported(shared, `import pg from "pg";`, /No I\/O here.*kysely or pg/);
    await assertReported(shared, `import type { Db } from "#server/storage/database.ts";`, /No I\/O here/);
    await assertAllowed(shared, `import { z } from "zod";\nimport { ErrorEnvelope } from "./errors.ts";`);
  });

  it("server/ uses aliases rather than relative parent imports", async () => {
    await assertReported("server/test/x.test.ts", `import { x } from "../src/main.ts";`, /No relative parent imports in server/);
    await assertReported("server/src/api/routes/x.ts", `import { x } from "../plugins/authenticate.ts";`, /No relative parent imports in server/);
    await assertAllowed("server/test/x.test.ts", `import { startTestApp } from "#test/harness.ts";\nimport { x } from "./fakes.ts";`);
  });

  it("web features never import from another feature (per-feature blocks are generated)", async () => {
    // Generated for features that need not exist yet; appended last, so these blocks win.
    const configUrl = pathToFileURL(`${root}eslint.config.js`).href;
    const config = (await import(configUrl)) as {
      boundaryBlocks: (dirs: { modules: readonly string[]; features: readonly string[] }) => Linter.Config[];
    };
    const withFeatures = linter(config.boundaryBlocks({ modules: ["auth", "health"], features: ["alerts", "incidents"] }));
    const file = "web/src/features/incidents/components/IncidentTable.tsx";

    await assertReported(file, `import { useAlerts } from "#web/features/alerts/hooks/useAlerts.ts";`, /Feature "incidents" must not import/, withFeatures);
    await assertReported(file, `import { x } from "../../alerts/api.ts";`, /No relative parent imports in web\/src/, withFeatures);
    await assertAllowed(
      file,
      [
        `import { useIncidents } from "#web/features/incidents/hooks/useIncidents.ts";`,
        `import { apiGet } from "#web/lib/api-client.ts";`,
        `import { Button } from "#web/components/ui/Button.tsx";`,
        `import { Row } from "./Row.tsx";`,
      ].join("\n"),
      withFeatures,
    );
  });
});
