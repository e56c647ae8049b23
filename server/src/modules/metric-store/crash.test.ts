import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { createEmbeddedMetricStore } from "#server/modules/metric-store/index.ts";

const FIXTURE = path.join(import.meta.dirname, "crash-writer.fixture.ts");

describe("embedded metric store under kill -9", () => {
  it("keeps every acknowledged sample when the writing process is killed", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auspex-crash-"));
    try {
      const t0 = Date.parse("2026-01-01T00:00:00Z");
      const child = spawn(process.execPath, [FIXTURE, dir, String(t0)], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
      let lastAck = -1;
      let buffered = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          buffered += d.toString();
          const lines = buffered.split("\n");
          buffered = lines.pop() ?? "";
          for (const line of lines) if (line.startsWith("ack ")) lastAck = Number(line.slice(4));
          if (lastAck >= 400 && child.kill("SIGKILL")) resolve();
        });
        child.on("exit", () => reject(new Error(`writer exited early: ${stderr}`)));
      }).catch((error: unknown) => {
        if (lastAck < 400) throw error;
      });
      assert.equal(await exited, "SIGKILL");
      const store = createEmbeddedMetricStore({ dir, maintenanceIntervalMs: 0, blockRangeMs: 60_000, clock: { now: () => new Date(t0) } });
      try {
        const series = await store.select("crash-user", [{ type: "=", name: "__name__", value: "crash_test" }], -Infinity, Infinity);
        assert.equal(series.length, 3);
        for (const s of series) {
          assert.ok(s.timestamps.length >= lastAck + 1, `${s.timestamps.length} samples, last ack ${lastAck}`);
          for (let i = 0; i <= lastAck; i++) {
            assert.equal(s.timestamps[i], t0 + i * 1000);
            assert.equal(s.values[i], i);
          }
        }
        assert.ok((await store.stats()).blocks! >= 1, "the writer cut blocks before it was killed");
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
