import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeWriteRequest } from "#test/support/remote-write-encoder.ts";
import { encodeColumns, type ColumnSeries } from "#test/scenarios/write-request.ts";

describe("scenario write-request encoder", () => {
  it("writes the same bytes as the general test encoder", () => {
    const series: ColumnSeries[] = [
      { labels: { __name__: "node_load1", instance: "web-1:9100", job: "node" }, t: [1_772_409_600_000, 1_772_409_660_000, 1_772_409_720_000], v: [0.5, Number.NaN, 1e300] },
      { labels: { __name__: "é_metric", mountpoint: "/var/lib/data" }, t: [0, 127, 128], v: [-1, 0, 2 ** 53] },
    ];
    for (const [from, to] of [
      [0, 3],
      [1, 2],
      [2, 10],
    ] as const) {
      const expected = encodeWriteRequest(series.map((s) => ({ labels: s.labels, samples: s.t.slice(from, to).map((t, i) => ({ t, v: s.v[from + i]! })) })));
      assert.deepEqual(encodeColumns(series, from, to), expected, `[${from}, ${to})`);
    }
  });
});
