import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { createEmbeddedMetricStore, withAppendObserver, type SeriesBatch } from "#server/modules/metric-store/index.ts";

describe("append observer", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "auspex-observed-"));
  const T0 = Date.parse("2026-01-01T00:00:00Z");
  const store = createEmbeddedMetricStore({ dir, maintenanceIntervalMs: 0, clock: { now: () => new Date(T0) } });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("hears what was stored, after it is stored, without the series that had a sample rejected", async () => {
    const heard: Array<[string, SeriesBatch]> = [];
    const observed = withAppendObserver(store, (userId, batch) => heard.push([userId, batch]));
    const good = { labels: { __name__: "a" }, samples: [{ t: T0, v: 1 }] };
    const tooNew = { labels: { __name__: "b" }, samples: [{ t: T0 + 86_400_000, v: 1 }] };
    const result = await observed.append("u1", [good, tooNew]);
    assert.equal(result.accepted, 1);
    assert.deepEqual(heard, [["u1", [good]]]);
    assert.equal((await store.select("u1", [{ type: "=", name: "__name__", value: "a" }], T0, T0)).length, 1, "stored before being heard");
    await observed.append("u1", [tooNew]);
    assert.equal(heard.length, 1, "nothing stored, nothing heard");
    assert.equal(typeof observed.select, "function", "the rest of the store is the store");
  });
});
