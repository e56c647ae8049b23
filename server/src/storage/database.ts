import { mkdirSync } from "node:fs";
import path from "node:path";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import { Migrator, type MigrationProvider } from "kysely/migration";
import pg from "pg";
import type { DatabaseTarget } from "#server/config/load-config.ts";
import type { DialectName } from "#server/storage/dialect.ts";
import { allMigrations } from "#server/storage/migrations/index.ts";
import type { Schema } from "#server/storage/schema.ts";
import { openNodeSqlite } from "#server/storage/sqlite/node-sqlite-database.ts";

export type Db = Kysely<Schema>;

export interface Database {
  readonly db: Db;
  readonly dialect: DialectName;
  /** Human name of the engine for /health: "SQLite" or "PostgreSQL". */
  readonly engine: string;
  /** Throws when the database cannot answer a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget, options: { busyTimeoutMs: number }): Promise<Database> {
  const database = target.kind === "postgres" ? openPostgres(target.url, target.poolSize) : openSqlite(target.path, options.busyTimeoutMs);
  try {
    await migrateToLatest(database.db, database.dialect);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

function openSqlite(file: string, busyTimeoutMs: number): Database {
  mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = openNodeSqlite(file, { busyTimeoutMs });
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    dialect: "sqlite",
    engine: "SQLite",
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

// PostgreSQL returns timestamptz as Date and int8 as string by default; make both
// match SQLite's shapes (ISO string, number) so repositories are dialect-blind.
const TIMESTAMPTZ_OID = 1184;
const INT8_OID = 20;

function openPostgres(url: string, poolSize: number): Database {
  const types = {
    getTypeParser: ((oid: number, format?: "text" | "binary") => {
      if (oid === TIMESTAMPTZ_OID) return (value: string) => new Date(value).toISOString();
      if (oid === INT8_OID) return (value: string) => Number(value);
      // pg types its built-in parsers as `any`; they all take the text form and return a value.
      return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
    }) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
  // A dead server must surface as an error on the next query, not crash the process.
  pool.on("error", () => {});
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: "postgres",
    engine: "PostgreSQL",
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

async function migrateToLatest(db: Db, dialect: DialectName): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => allMigrations(dialect) };
  const migrator = new Migrator({ db, provider, migrationTableName: "auspex_migrations", migrationLockTableName: "auspex_migrations_lock" });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`Database migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}
