import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newEpisodeState, stepEpisode } from "#server/modules/detection/engine/episode.rules.ts";
import { isDetectable, outputLabels } from "#server/modules/detection/engine/output-series.rules.ts";

describe("anomaly episodes", () => {
  it("open after N points above the threshold, close after M at or below, ignoring single blips", () => {
    const state = newEpisodeState();
    const config = { openAfter: 2, closeAfter: 3 };
    const events = [0.5, 1.5, 0.9, 1.2, 1.3, 2, 0.8, 1.1, 0.7, 0.6, 0.5, 0.4].map((s) => stepEpisode(state, s, 1, config));
    assert.deepEqual(events, [null, null, null, null, "open", "extend", null, "extend", null, null, "close", null]);
  });
});

describe("output series", () => {
  it("keep the source labels, move the name to source_metric, and leave auspex_ and scrape_ series alone", () => {
    assert.deepEqual(outputLabels({ __name__: "node_load1", instance: "a" }, "auspex_anomaly_score"), {
      instance: "a",
      source_metric: "node_load1",
      __name__: "auspex_anomaly_score",
    });
    assert.deepEqual(outputLabels({ __name__: "m", source_metric: "x" }, "auspex_expected"), {
      exported_source_metric: "x",
      source_metric: "m",
      __name__: "auspex_expected",
    });
    assert.equal(isDetectable("node_load1"), true);
    assert.equal(isDetectable("auspex_anomaly_score"), false);
    assert.equal(isDetectable("scrape_duration_seconds"), false);
  });
});
