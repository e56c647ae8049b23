import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeWriteRequest } from "#server/platform/remote-write/write-request.decode.ts";
import { encodeWriteRequest } from "#server/platform/remote-write/write-request.encode.ts";
import { STALE_NAN, isStaleNaN } from "#server/platform/staleness.ts";

describe("encodeWriteRequest", () => {
  it("round-trips through the decoder, sorting labels and dropping empty ones", () => {
    const long = "x".repeat(20_000);
    const bytes = encodeWriteRequest([
      { labels: { job: "node", __name__: "up", empty: "" }, samples: [{ t: 1_700_000_000_000, v: 1 }, { t: -1, v: -0.5 }] },
      { labels: { __name__: "big", value: long }, samples: Array.from({ length: 300 }, (_, i) => ({ t: i * 15_000, v: i })) },
    ]);
    const decoded = decodeWriteRequest(bytes, { maxLabelsPerSeries: 10, maxLabelNameLength: 100, maxLabelValueLength: 30_000 });
    assert.deepEqual(decoded.series[0], { labels: { __name__: "up", job: "node" }, samples: [{ t: 1_700_000_000_000, v: 1 }, { t: -1, v: -0.5 }] });
    assert.equal(decoded.series[1]?.labels.value, long);
    assert.equal(decoded.series[1]?.samples.length, 300);
    assert.equal(decoded.series[1]?.samples[299]?.t, 299 * 15_000);
  });

  it("decodes short ASCII and multi-byte UTF-8 label values alike", () => {
    const labels = { __name__: "temp", city: "Zürich", note: "日本語のラベル", plain: "web-1:9100" };
    const decoded = decodeWriteRequest(encodeWriteRequest([{ labels, samples: [{ t: 1, v: 1 }] }]));
    assert.deepEqual(decoded.series[0]?.labels, labels);
  });

  it("writes staleness markers with their canonical bits", () => {
    const bytes = encodeWriteRequest([{ labels: { __name__: "gone" }, samples: [{ t: 5, v: new Float64Array([STALE_NAN])[0] ?? 0 }] }]);
    const v = decodeWriteRequest(bytes).series[0]?.samples[0]?.v ?? 0;
    assert.equal(isStaleNaN(v), true);
    // The canonical signalling-NaN bytes are on the wire: 02 00 00 00 00 00 f0 7f.
    const hex = Buffer.from(bytes).toString("hex");
    assert.ok(hex.includes("020000000000f07f"), hex);
  });
});
