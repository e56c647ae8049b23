import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatMatrix, formatSampleValue, matrixSuccessJson } from "#server/api/routes/prometheus/prometheus-format.ts";
import type { MatrixValue } from "#server/modules/query/index.ts";

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

describe("matrixSuccessJson", () => {
  it("writes exactly what JSON.stringify writes for the success envelope", () => {
    const matrices: MatrixValue[] = [
      { type: "matrix", series: [] },
      {
        type: "matrix",
        series: [
          { labels: {}, points: [{ t: 0, v: 0 }] },
          {
            labels: { __name__: "up", job: 'a "quoted" \\ job', instance: "ünïcødé\n\u0001", "0": "numeric name" },
            points: [
              { t: 1_700_000_000_123, v: Number.NaN },
              { t: 1_700_000_015_000, v: Number.POSITIVE_INFINITY },
              { t: -5, v: Number.NEGATIVE_INFINITY },
              { t: 1, v: -0 },
              { t: 2, v: 1e-7 },
              { t: 3, v: 1.2345e25 },
              { t: 4, v: 0.1 + 0.2 },
            ],
          },
          { labels: { a: "b" }, points: [] },
        ],
      },
    ];
    for (const m of matrices) assert.equal(matrixSuccessJson(m), JSON.stringify({ status: "success", data: formatMatrix(m) }));
  });
});
