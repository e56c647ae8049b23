import { after, before } from "node:test";
import { openDatabase } from "#server/storage/database.ts";
import { describeTargetsRepositoryContract } from "#test/repositories/targets.repository.contract.ts";
import { startPostgres, type PostgresServer } from "./support/postgres.ts";

let server: PostgresServer | undefined;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

describeTargetsRepositoryContract("PostgreSQL", async () => {
  if (!server) throw new Error("PostgreSQL did not start");
  const url = await server.createDatabase();
  return openDatabase({ kind: "postgres", url, poolSize: 5 }, { busyTimeoutMs: 5000 });
});
