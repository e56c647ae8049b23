import { after, before } from "node:test";
import { openDatabase, type Database } from "#server/storage/database.ts";
import { startPostgres, type PostgresServer } from "#e2e/support/postgres.ts";

/** Runs a repository contract suite on a real PostgreSQL (a fresh database for the suite). */
export function onPostgres(describeContract: (dialect: string, open: () => Promise<Database>) => void): void {
  let server: PostgresServer | undefined;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });
  describeContract("PostgreSQL", async () => {
    if (!server) throw new Error("PostgreSQL did not start");
    const url = await server.createDatabase();
    return openDatabase({ kind: "postgres", url, poolSize: 5 }, { busyTimeoutMs: 5000 });
  });
}
