import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { compressSync } from "snappy";
import { createEmbeddedMetricStore } from "#server/modules/metric-store/index.ts";
import { spawnServer } from "#test/process/server-process.ts";
import { TEST_PASSWORD } from "#test/harness.ts";
import { encodeWriteRequest } from "#test/support/remote-write-encoder.ts";

const SERIES = 20;
const CONCURRENT_WRITERS = 4;

describe("remote_write durability", () => {
  it("keeps every sample acknowledged with 204 when the server is killed with SIGKILL mid-stream", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "auspex-durability-"));
    try {
      const server = await spawnServer({}, { dataDir });
      await server.waitForLog((line) => typeof line.message === "string" && line.message.startsWith("Auspex listening"));
      const register = await fetch(`${server.baseUrl}/api/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "durable", email: "durable@example.com", password: TEST_PASSWORD }),
      });
      const { access_token: token, user } = (await register.json()) as { access_token: string; user: { id: string } };
      const keyResponse = await fetch(`${server.baseUrl}/api/v1/api-keys`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ name: "writer", scopes: ["ingest"] }),
      });
      const { key } = (await keyResponse.json()) as { key: string };

      // Each writer sends batches of one new sample per series; a batch's timestamp identifies it.
      const start = Math.floor(Date.now() / 1000) * 1000;
      const acknowledged: number[] = [];
      let next = 0;
      let killed = false;
      const writer = async () => {
        while (!killed) {
          const t = start + next++ * 10;
          const body = compressSync(
            Buffer.from(encodeWriteRequest(Array.from({ length: SERIES }, (_, s) => ({ labels: { __name__: "durability_probe", series: String(s) }, samples: [{ t, v: t / 10 }] })))),
          );
          try {
            const response = await fetch(`${server.baseUrl}/prometheus/api/v1/write`, {
              method: "POST",
              headers: { "content-type": "application/x-protobuf", "content-encoding": "snappy", authorization: `Bearer ${key}` },
              body,
            });
            if (response.status === 204) acknowledged.push(t);
            else if (!killed) assert.fail(`write answered ${response.status}: ${await response.text()}`);
          } catch {
            // The connection died with the server: this batch was never acknowledged.
          }
        }
      };
      const writers = Array.from({ length: CONCURRENT_WRITERS }, () => writer());
      // Kill once a steady stream has been acknowledged, while requests are in flight.
      while (acknowledged.length < 200) await new Promise((resolve) => setImmediate(resolve));
      server.child.kill("SIGKILL");
      killed = true;
      await server.exited;
      await Promise.all(writers);

      const store = createEmbeddedMetricStore({ dir: path.join(dataDir, "tsdb"), maintenanceIntervalMs: 0 });
      try {
        const series = await store.select(user.id, [{ type: "=", name: "__name__", value: "durability_probe" }], start, start + next * 10);
        assert.equal(series.length, SERIES);
        for (const s of series) {
          const stored = new Set(s.timestamps);
          const missing = acknowledged.filter((t) => !stored.has(t));
          assert.deepEqual(missing, [], `series ${s.labels.series}: acknowledged samples lost after SIGKILL`);
        }
      } finally {
        await store.close();
      }

      // And the server itself starts again on the crashed data directory.
      const restarted = await spawnServer({}, { dataDir });
      try {
        await restarted.waitForLog((line) => typeof line.message === "string" && line.message.startsWith("Auspex listening"));
        const health = await fetch(`${restarted.baseUrl}/health`);
        assert.equal(health.status, 200);
      } finally {
        await restarted.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
