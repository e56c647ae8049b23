import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeWriteRequest, WriteRequestError } from "#server/platform/remote-write/write-request.decode.ts";
import { STALE_NAN, isStaleNaN } from "#server/platform/staleness.ts";
import { encodeWriteRequest, ProtobufWriter } from "#test/support/remote-write-encoder.ts";


describe("decodeWriteRequest", () => {
  it("decodes series, samples and metadata", () => {
    const bytes = encodeWriteRequest(
      [
        { labels: { __name__: "up", job: "node", instance: "web-1:9100" }, samples: [{ t: 1_700_000_000_000, v: 1 }, { t: 1_700_000_015_000, v: 0 }] },
        { labels: { __name__: "temp_celsius", room: "a" }, samples: [{ t: 1_700_000_000_000, v: -3.25 }] },
      ],
      [{ type: 1, name: "http_requests_total", help: "Requests.", unit: "" }],
    );
    const decoded = decodeWriteRequest(bytes);
    assert.equal(decoded.sampleCount, 3);
    assert.deepEqual(decoded.series[0], {
      labels: { __name__: "up", job: "node", instance: "web-1:9100" },
      samples: [
        { t: 1_700_000_000_000, v: 1 },
        { t: 1_700_000_015_000, v: 0 },
      ],
    });
    assert.deepEqual(decoded.series[1]?.samples, [{ t: 1_700_000_000_000, v: -3.25 }]);
    assert.deepEqual(decoded.metadata, [{ type: "counter", metricFamilyName: "http_requests_total", help: "Requests.", unit: "" }]);
  });

  it("keeps NaN, ±Inf, negative timestamps and the staleness marker's exact bits", () => {
    const bytes = encodeWriteRequest([
      {
        labels: { __name__: "x" },
        samples: [
          { t: -5000, v: Number.NaN },
          { t: 0, v: Number.POSITIVE_INFINITY },
          { t: 1, v: Number.NEGATIVE_INFINITY },
          { t: 2, v: STALE_NAN },
          { t: 3, v: Number.MAX_VALUE },
        ],
      },
    ]);
    const samples = decodeWriteRequest(bytes).series[0]?.samples ?? [];
    assert.equal(samples[0]?.t, -5000);
    assert.ok(Number.isNaN(samples[0]?.v));
    assert.equal(samples[1]?.v, Number.POSITIVE_INFINITY);
    assert.equal(samples[2]?.v, Number.NEGATIVE_INFINITY);
    assert.equal(isStaleNaN(samples[3]?.v ?? 0), true);
    assert.equal(Number.isNaN(samples[0]?.v) && !isStaleNaN(samples[0]?.v ?? 0), true, "a plain NaN is not a staleness marker");
    assert.equal(samples[4]?.v, Number.MAX_VALUE);
  });

  it("drops labels with empty values and ignores exemplars and unknown fields", () => {
    const series = new ProtobufWriter()
      .message(1, (l) => l.string(1, "__name__").string(2, "m"))
      .message(1, (l) => l.string(1, "empty").string(2, ""))
      .message(2, (s) => s.double(1, 7).tag(2, 0).varint(10))
      .message(3, (e) => e.double(2, 1))
      .string(15, "future field")
      .finish();
    const bytes = new ProtobufWriter().bytes(1, series).tag(9, 0).varint(42).finish();
    const decoded = decodeWriteRequest(bytes);
    assert.deepEqual(decoded.series, [{ labels: { __name__: "m" }, samples: [{ t: 10, v: 7 }] }]);
    assert.equal(decoded.exemplarsIgnored, 1);
  });

  it("hands out one frozen label object for label bytes seen before, and never a stale one", () => {
    const first = decodeWriteRequest(encodeWriteRequest([{ labels: { __name__: "cache_test", job: "a" }, samples: [{ t: 1, v: 1 }] }]));
    const again = decodeWriteRequest(encodeWriteRequest([{ labels: { __name__: "cache_test", job: "a" }, samples: [{ t: 2, v: 2 }] }]));
    assert.equal(again.series[0]?.labels, first.series[0]?.labels);
    assert.ok(Object.isFrozen(again.series[0]?.labels));
    assert.deepEqual(again.series[0]?.samples, [{ t: 2, v: 2 }]);
    // One byte different: another label set.
    const other = decodeWriteRequest(encodeWriteRequest([{ labels: { __name__: "cache_test", job: "b" }, samples: [] }]));
    assert.deepEqual(other.series[0]?.labels, { __name__: "cache_test", job: "b" });
    // The same leading labels with one more Label field after the samples: decoded in full.
    const trailing = new ProtobufWriter()
      .message(1, (l) => l.string(1, "__name__").string(2, "cache_test"))
      .message(1, (l) => l.string(1, "job").string(2, "a"))
      .message(2, (x) => x.double(1, 3).tag(2, 0).varint(3))
      .message(1, (l) => l.string(1, "zone").string(2, "z1"))
      .finish();
    const mixed = decodeWriteRequest(new ProtobufWriter().bytes(1, trailing).finish());
    assert.deepEqual(mixed.series[0], { labels: { __name__: "cache_test", job: "a", zone: "z1" }, samples: [{ t: 3, v: 3 }] });
    // ... and that label set is not remembered under the leading labels' bytes.
    const plain = decodeWriteRequest(encodeWriteRequest([{ labels: { __name__: "cache_test", job: "a" }, samples: [] }]));
    assert.deepEqual(plain.series[0]?.labels, { __name__: "cache_test", job: "a" });
    // Labels that passed under generous limits are checked again under stricter ones.
    const strict = { maxLabelsPerSeries: 8, maxLabelNameLength: 64, maxLabelValueLength: 3 };
    decodeWriteRequest(encodeWriteRequest([{ labels: { __name__: "cache_test", job: "long" }, samples: [] }]));
    assert.throws(() => decodeWriteRequest(encodeWriteRequest([{ labels: { __name__: "cache_test", job: "long" }, samples: [] }]), strict), /longer than 3/);
  });

  it("decodes an empty request", () => {
    assert.deepEqual(decodeWriteRequest(new Uint8Array()), { series: [], metadata: [], sampleCount: 0, exemplarsIgnored: 0 });
  });

  const rejects = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decodeWriteRequest(bytes), (error: unknown) => error instanceof WriteRequestError && pattern.test(error.message));

  it("rejects truncated or corrupt protobuf", () => {
    const good = encodeWriteRequest([{ labels: { __name__: "up" }, samples: [{ t: 1, v: 1 }] }]);
    rejects(good.subarray(0, good.length - 3), /malformed protobuf/);
    rejects(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), /malformed protobuf: length-delimited field runs past/);
    rejects(Uint8Array.from([0x0b]), /malformed protobuf: unsupported wire type 3/);
    rejects(Uint8Array.from(Array(11).fill(0xff)), /malformed protobuf/);
  });

  it("rejects invalid UTF-8, duplicate or empty names, a missing __name__ and native histograms", () => {
    rejects(encodeWriteRequest([{ labels: [["__name__", "up"], ["job", Uint8Array.from([0xc3, 0x28])]], samples: [] }]), /series 0: label value is not valid UTF-8/);
    rejects(encodeWriteRequest([{ labels: [["__name__", "up"], ["job", "a"], ["job", "b"]], samples: [] }]), /duplicate label name 'job'/);
    rejects(encodeWriteRequest([{ labels: [["__name__", "up"], ["", "a"]], samples: [] }]), /empty label name/);
    rejects(encodeWriteRequest([{ labels: { job: "a" }, samples: [{ t: 1, v: 1 }] }]), /series 0: no __name__ label/);
    rejects(encodeWriteRequest([{ labels: { __name__: "h" }, samples: [], histograms: 1 }]), /native histograms are not supported/);
  });

  it("enforces label count and length limits", () => {
    const limits = { maxLabelsPerSeries: 3, maxLabelNameLength: 10, maxLabelValueLength: 5 };
    const many = Object.fromEntries([["__name__", "m"], ...Array.from({ length: 3 }, (_, i) => [`l${i}`, "v"])]) as Record<string, string>;
    assert.throws(() => decodeWriteRequest(encodeWriteRequest([{ labels: { __name__: "m", averyveryverylongname: "v" }, samples: [] }]), limits), /label name longer than 10/);
    assert.throws(() => decodeWriteRequest(encodeWriteRequest([{ labels: { __name__: "m", a: "toolong" }, samples: [] }]), limits), /value of label 'a' longer than 5/);
    function rejectsWith(bytes: Uint8Array, pattern: RegExp) {
      assert.throws(() => decodeWriteRequest(bytes, limits), pattern);
    }
    rejectsWith(encodeWriteRequest([{ labels: many, samples: [] }]), /more than 3 labels/);
  });
});
