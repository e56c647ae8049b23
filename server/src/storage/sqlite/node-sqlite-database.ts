import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { SqliteDatabase, SqliteStatement } from "kysely";

type SqlValue = null | number | bigint | string | Uint8Array;

/*
 * Kysely's SqliteDialect speaks better-sqlite3's shape; node:sqlite (built into
 * Node 24) differs in three small ways this adapter bridges: parameters are
 * spread rather than passed as an array, statements do not say whether they
 * return rows, and booleans/Dates are not bindable. See docs/adr/0003.
 */
export function openNodeSqlite(file: string, options: { busyTimeoutMs: number }): SqliteDatabase & { raw: DatabaseSync } {
  const db = new DatabaseSync(file);
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");

  // Statements are compiled once per distinct SQL text; Kysely produces a small, fixed set.
  const cache = new Map<string, SqliteStatement>();
  const MAX_CACHED = 500;

  return {
    raw: db,
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      if (cached) return cached;
      const statement = wrap(db.prepare(sql));
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
      cache.set(sql, statement);
      return statement;
    },
  };
}

function wrap(statement: StatementSync): SqliteStatement {
  return {
    reader: statement.columns().length > 0,
    all: (parameters) => statement.all(...bind(parameters)),
    run: (parameters) => statement.run(...bind(parameters)),
    iterate: (parameters) => statement.iterate(...bind(parameters)),
  };
}

function bind(parameters: ReadonlyArray<unknown>): SqlValue[] {
  return parameters.map((value): SqlValue => {
    if (value === undefined || value === null) return null;
    if (typeof value === "boolean") return value ? 1 : 0;
    if (value instanceof Date) return value.toISOString();
    if (typeof value === "number" || typeof value === "bigint" || typeof value === "string" || value instanceof Uint8Array) return value;
    throw new TypeError(`Cannot bind a ${typeof value} to an SQLite parameter`);
  });
}
