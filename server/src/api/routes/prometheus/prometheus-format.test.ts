import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatSampleValue } from "#server/api/routes/prometheus/prometheus-format.ts";

describe("formatSampleValue", () => {
  it("writes floats as Go's FormatFloat(v, 'f', -1, 64) does", () => {
    const cases: Array<[number, string]> = [
      [0, "0"],
      [1, "1"],
      [-2.5, "-2.5"],
      [0.1, "0.1"],
      [1e21, "1000000000000000000000"],
      [1.5e-7, "0.00000015"],
      [-1.2345e25, "-12345000000000000000000000"],
      [5e-324, `0.${"0".repeat(323)}5`],
      [Number.NaN, "NaN"],
      [Number.POSITIVE_INFINITY, "+Inf"],
      [Number.NEGATIVE_INFINITY, "-Inf"],
    ];
    for (const [value, expected] of cases) assert.equal(formatSampleValue(value), expected, String(value));
  });
});
