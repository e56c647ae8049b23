import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDurationParam, parseTime } from "#server/api/routes/prometheus/prometheus-params.ts";
import { MAX_TIME_MS, MIN_TIME_MS } from "#server/modules/query/index.ts";

describe("Prometheus API parameters", () => {
  it("parses times as Unix seconds (with fractions) or RFC 3339, and Go's min/max time", () => {
    assert.equal(parseTime("1700000000", "time"), 1_700_000_000_000);
    assert.equal(parseTime("1700000000.123", "time"), 1_700_000_000_123);
    assert.equal(parseTime("2026-11-22T10:00:00Z", "time"), Date.parse("2026-11-22T10:00:00Z"));
    assert.equal(parseTime("2026-11-22T10:00:00.5+01:00", "time"), Date.parse("2026-11-22T09:00:00.5Z"));
    assert.equal(parseTime("-292273086-05-16T16:47:06Z", "start"), MIN_TIME_MS);
    assert.equal(parseTime("292277025-08-18T07:12:54.999999999Z", "end"), MAX_TIME_MS);
    assert.throws(() => parseTime("yesterday", "time"), /invalid parameter "time": cannot parse "yesterday" to a valid timestamp/);
  });

  it("parses durations as seconds or PromQL durations", () => {
    assert.equal(parseDurationParam("15", "step"), 15_000);
    assert.equal(parseDurationParam("0.5", "step"), 500);
    assert.equal(parseDurationParam("1m30s", "step"), 90_000);
    assert.equal(parseDurationParam("250ms", "timeout"), 250);
    for (const bad of ["", "1x", "m5", "1m 30s"]) {
      assert.throws(() => parseDurationParam(bad, "step"), /invalid parameter "step": cannot parse ".*" to a valid duration/, bad);
    }
  });
});
