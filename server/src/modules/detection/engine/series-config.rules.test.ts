import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DetectionSettings } from "@auspex/shared/contracts/detection.ts";
import { seriesDetectorConfig } from "#server/modules/detection/engine/series-config.rules.ts";

describe("per-series detector settings", () => {
  const settings = DetectionSettings.parse({
    sensitivity: "low",
    rules: [
      { metric: "node_load1", labels: { instance: "db-1" }, sensitivity: 3 },
      { metric: "node_memory_.*_bytes", direction: "down", min_relative_deviation: 0.1 },
      { metric: "node_load1", sensitivity: "high", min_history: 120 },
    ],
  });

  it("takes the first matching rule: per series, per family (exact or regex), else the user's default", () => {
    assert.deepEqual(seriesDetectorConfig(settings, { __name__: "node_load1", instance: "db-1" }, 1), { sensitivity: 3 });
    assert.deepEqual(seriesDetectorConfig(settings, { __name__: "node_load1", instance: "web-1" }, 1), { sensitivity: 2, minHistory: 120 });
    // A rule without a sensitivity keeps the user's default.
    assert.deepEqual(seriesDetectorConfig(settings, { __name__: "node_memory_MemAvailable_bytes" }, 1), {
      sensitivity: 0.5,
      direction: "down",
      minRelativeDeviation: 0.1,
    });
    assert.deepEqual(seriesDetectorConfig(settings, { __name__: "node_memory_MemAvailable_bytes_total" }, 1), { sensitivity: 0.5, kind: "counter" }, "regexes are anchored");
    assert.deepEqual(seriesDetectorConfig(undefined, { __name__: "x" }, 1.5), { sensitivity: 1.5 }, "no settings: the instance default");
  });

  it("scores series named as counters (_total, _count, _sum, _bucket) as counters, however rarely they move", () => {
    assert.deepEqual(seriesDetectorConfig(undefined, { __name__: "node_network_receive_errs_total" }, 1), { sensitivity: 1, kind: "counter" });
    assert.equal(seriesDetectorConfig(settings, { __name__: "http_request_duration_seconds_bucket" }, 1).kind, "counter");
    assert.equal(seriesDetectorConfig(undefined, { __name__: "node_load1" }, 1).kind, undefined, "others: decided from the data");
  });

  it("rejects rules that are neither a name nor a regular expression", () => {
    assert.equal(DetectionSettings.safeParse({ rules: [{ metric: "node_(load" }] }).success, false);
    assert.equal(DetectionSettings.safeParse({ sensitivity: 50 }).success, false);
  });
});
