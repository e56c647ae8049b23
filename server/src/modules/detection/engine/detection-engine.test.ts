import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { createAnomaliesModule } from "#server/modules/anomalies/index.ts";
import { createDetectionEngine, type DetectionEngine } from "#server/modules/detection/engine/detection-engine.ts";
import { createDetectorStatesRepository } from "#server/modules/detection/engine/detector-states.repository.ts";
import { createEmbeddedMetricStore, type EmbeddedMetricStore } from "#server/modules/metric-store/index.ts";
import { createLogger } from "#server/platform/logger.ts";
import { openDatabase, type Database } from "#server/storage/database.ts";
import { seededRandom } from "#test/support/random.ts";

/*
 * A restart mid-stream continues where the last run stopped: the checkpointed detectors are
 * restored, the samples stored after the checkpoint are replayed from the store, and every score
 * equals an uninterrupted run's.
 */

const STEP = 15_000;
const T0 = Date.parse("2026-05-01T00:00:00Z");
const LABELS = { __name__: "app_requests_in_flight", instance: "a:1", job: "app" };

function series(n: number): number[] {
  const rand = seededRandom(11);
  // Daily-ish wave, noise, a level shift and a spike, so every detector has state worth keeping.
  return Array.from({ length: n }, (_, i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 240) + (rand() - 0.5) * 4 + (i > 500 ? 25 : 0) + (i === 650 ? 90 : 0));
}

describe("detection engine restart", () => {
  const root = mkdtempSync(path.join(tmpdir(), "auspex-detect-restart-"));
  const open: Array<{ store: EmbeddedMetricStore; database: Database }> = [];
  after(async () => {
    for (const o of open) {
      await o.store.close().catch(() => {});
      await o.database.close().catch(() => {});
    }
    rmSync(root, { recursive: true, force: true });
  });

  async function world(name: string): Promise<{ store: EmbeddedMetricStore; database: Database; userId: string }> {
    const store = createEmbeddedMetricStore({ dir: path.join(root, name, "tsdb"), maintenanceIntervalMs: 0, clock: { now: () => new Date(T0 + 86_400_000) } });
    const database = await openDatabase({ kind: "sqlite", path: path.join(root, name, "auspex.db") }, { busyTimeoutMs: 5000 });
    open.push({ store, database });
    const userId = "user-restart";
    await database.db.insertInto("users").values({ id: userId, username: `u_${name}`, email: `${name}@example.com`, password_hash: "x", display_name: null, time_zone: "UTC", created_at: new Date(T0).toISOString(), updated_at: new Date(T0).toISOString() }).execute();
    return { store, database, userId };
  }

  function engineFor(w: { store: EmbeddedMetricStore; database: Database }, evictIdleMs?: number): DetectionEngine {
    // Just after the last sample: no series is idle for the default 6 h.
    const clock = { now: () => new Date(T0 + 800 * STEP + 60_000) };
    return createDetectionEngine({
      store: w.store,
      anomalies: createAnomaliesModule({ db: w.database.db, clock }),
      states: createDetectorStatesRepository(w.database.db),
      clock,
      logger: createLogger({ level: "silent", format: "json" }),
      settings: { detector: {}, episode: { openAfter: 2, closeAfter: 4 }, maxQueuedSamples: 10_000_000, ...(evictIdleMs !== undefined && { evictIdleMs }) },
    });
  }

  /** Stores `values[from..to)` and lets the engine score them, 50 samples per append. */
  async function feed(w: { store: EmbeddedMetricStore; userId: string }, engine: DetectionEngine | undefined, values: number[], from: number, to: number): Promise<void> {
    for (let i = from; i < to; i += 50) {
      const batch = [{ labels: LABELS, samples: values.slice(i, Math.min(to, i + 50)).map((v, k) => ({ t: T0 + (i + k) * STEP, v })) }];
      await w.store.append(w.userId, batch);
      engine?.observe(w.userId, batch);
      await engine?.idle();
    }
  }

  async function scores(w: { store: EmbeddedMetricStore; userId: string }): Promise<number[]> {
    const [out] = await w.store.select(w.userId, [{ type: "=", name: "__name__", value: "auspex_anomaly_score" }], T0, T0 + 10_000 * STEP);
    return Array.from(out?.values ?? []);
  }

  it("scores exactly like an uninterrupted run after a crash between checkpoints", async () => {
    const values = series(800);

    const straight = await world("straight");
    await feed(straight, engineFor(straight), values, 0, 800);
    const expected = await scores(straight);
    assert.ok(expected.length > 400, `${expected.length} scores`);
    assert.ok(expected.some((s) => s > 1), "the run has anomalies to get right");

    const crashed = await world("crashed");
    const first = engineFor(crashed);
    await feed(crashed, first, values, 0, 300);
    assert.equal(await first.checkpoint(), 1);
    // Stored but, as far as the checkpoint knows, never scored: the process dies here.
    await feed(crashed, undefined, values, 300, 450);

    const second = engineFor(crashed);
    await second.restore();
    await feed(crashed, second, values, 450, 800);
    assert.deepEqual(await scores(crashed), expected);
  });

  it("a checkpoint in another state layout costs the series its learning, not the restart", async () => {
    const values = series(800);
    const w = await world("old-layout");
    const first = engineFor(w);
    await feed(w, first, values, 0, 300);
    assert.equal(await first.checkpoint(), 1);
    // As a build with another detector layout would have written it: an unknown version byte.
    const [row] = await w.database.db.selectFrom("detector_states").selectAll().execute();
    const bytes = Buffer.from(row!.state, "base64");
    bytes[0] = 255;
    await w.database.db.updateTable("detector_states").set({ state: bytes.toString("base64") }).execute();

    const second = engineFor(w);
    await second.restore();
    await feed(w, second, values, 300, 800);
    // Scores are written once warm (minHistory 200): samples 200–299 by the first run, then, as
    // the fresh detector warms up on 300–499, samples 500–799. A restored detector would have
    // gone on scoring from 300 (the test above): 600 scores.
    const [out] = await w.store.select(w.userId, [{ type: "=", name: "__name__", value: "auspex_anomaly_score" }], T0, T0 + 10_000 * STEP);
    const times = Array.from(out?.timestamps ?? [], (t) => (t - T0) / STEP);
    assert.equal(times.length, 400);
    assert.deepEqual([times[0], times[99], times[100], times.at(-1)], [200, 299, 500, 799]);
  });

  it("drops idle series from memory at a checkpoint and brings them back with what they learned", async () => {
    const values = series(800);
    const straight = await world("straight-evict");
    await feed(straight, engineFor(straight), values, 0, 800);

    const evicting = await world("evicting");
    // The engine's clock stands after all 800 samples: after 400 the series is idle for an hour and more.
    const engine = engineFor(evicting, 60_000);
    await feed(evicting, engine, values, 0, 400);
    assert.equal(engine.size, 1);
    await engine.checkpoint();
    assert.equal(engine.size, 0, "evicted after its checkpoint");
    await feed(evicting, engine, values, 400, 800);
    assert.equal(engine.size, 1, "back when it reports again");
    assert.deepEqual(await scores(evicting), await scores(straight));
  });
});
