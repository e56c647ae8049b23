import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatMetricValue, summarizeAnomaly } from "#server/modules/anomalies/anomaly-summary.rules.ts";

describe("anomaly summaries", () => {
  it("writes values in the unit the metric name gives", () => {
    assert.equal(formatMetricValue("node_memory_MemAvailable_bytes", 800_000_000), "800MB");
    assert.equal(formatMetricValue("node_memory_MemAvailable_bytes", 4_200_000_000), "4.2GB");
    assert.equal(formatMetricValue("node_network_receive_bytes_total", 1536), "1.54kB");
    assert.equal(formatMetricValue("http_request_duration_seconds", 0.25), "250ms");
    assert.equal(formatMetricValue("node_load1", 3.14159), "3.14");
    assert.equal(formatMetricValue("disk_used_ratio", 0.925), "92.5%");
    assert.equal(formatMetricValue("requests_total", 12_345_678), "12.3M");
    assert.equal(formatMetricValue("x", Number.NaN), "NaN");
  });

  it("says what was observed against what was expected", () => {
    assert.equal(
      summarizeAnomaly("node_memory_MemAvailable_bytes", 800e6, 4e9, 3.5e9, 4.5e9),
      "observed 800MB, expected 4GB (band 3.5GB–4.5GB)",
    );
    assert.equal(
      summarizeAnomaly("node_network_receive_errs_total", 3.2, 0.01, 0, 0.05, true),
      "observed 3.2/s, expected 0.01/s (band 0/s–0.05/s)",
      "a counter is scored and described as its per-second rate",
    );
  });
});
