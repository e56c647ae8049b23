import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Labels, Matcher } from "#server/modules/metric-store/metric-store.port.ts";
import {
  InvalidMatcherError,
  LabelIndex,
  compileMatcher,
  intersect,
  labelsKey,
  hashLabels,
  labelsEqual,
  normalizeLabels,
  seriesKey,
  subtract,
  union,
} from "#server/modules/metric-store/labels.ts";

const series: Labels[] = [
  { __name__: "up", job: "node", instance: "a:9100" },
  { __name__: "up", job: "node", instance: "b:9100" },
  { __name__: "up", job: "api", instance: "c:80" },
  { __name__: "http_requests_total", job: "api", instance: "c:80", code: "200" },
  { __name__: "http_requests_total", job: "api", instance: "c:80", code: "500" },
];

function build(): LabelIndex {
  const index = new LabelIndex();
  series.forEach((labels, i) => index.add(i + 1, labels));
  return index;
}

function sel(index: LabelIndex, ...matchers: Matcher[]): number[] {
  return index.select(matchers.map(compileMatcher));
}

describe("labels", () => {
  it("normalizes: drops empty values, sorts, builds a stable key", () => {
    const a = normalizeLabels({ b: "2", a: "1", empty: "" });
    const b = normalizeLabels({ a: "1", b: "2" });
    assert.ok("key" in a && "key" in b);
    assert.equal(a.key, b.key);
    assert.deepEqual(Object.keys(a.labels), ["a", "b"]);
    assert.equal(labelsKey({ b: "2", a: "1" }), a.key);
    assert.deepEqual(normalizeLabels({ a: "" }), { error: "series without labels" });
    assert.ok("error" in normalizeLabels({ a: "x\u0000y" }));
  });

  it("sorted-list set operations", () => {
    assert.deepEqual(intersect([1, 3, 5, 7], [2, 3, 7, 9]), [3, 7]);
    assert.deepEqual(union([[1, 5], [2, 5, 9], []]), [1, 2, 5, 9]);
    assert.deepEqual(subtract([1, 2, 3, 4], [2, 4, 6]), [1, 3]);
  });
});

describe("inverted index matchers (PromQL semantics)", () => {
  const index = build();

  it("equality and inequality", () => {
    assert.deepEqual(sel(index, { type: "=", name: "__name__", value: "up" }), [1, 2, 3]);
    assert.deepEqual(sel(index, { type: "=", name: "__name__", value: "up" }, { type: "!=", name: "job", value: "node" }), [3]);
    assert.deepEqual(sel(index, { type: "=", name: "job", value: "nope" }), []);
  });

  it("regexes are fully anchored", () => {
    assert.deepEqual(sel(index, { type: "=~", name: "instance", value: "a" }), []);
    assert.deepEqual(sel(index, { type: "=~", name: "instance", value: "a.*|b:9100" }), [1, 2]);
    assert.deepEqual(sel(index, { type: "!~", name: "code", value: "5.." }, { type: "=", name: "job", value: "api" }), [3, 4]);
  });

  it("a matcher that matches the empty string also selects series without the label", () => {
    assert.deepEqual(sel(index, { type: "=", name: "code", value: "" }), [1, 2, 3]);
    assert.deepEqual(sel(index, { type: "!=", name: "code", value: "" }), [4, 5]);
    assert.deepEqual(sel(index, { type: "=~", name: "code", value: "200|" }), [1, 2, 3, 4]);
    assert.deepEqual(sel(index), [1, 2, 3, 4, 5]);
  });

  it("lists names and values and removes series", () => {
    const idx = build();
    assert.deepEqual(idx.names().sort(), ["__name__", "code", "instance", "job"]);
    assert.deepEqual(idx.values("job").sort(), ["api", "node"]);
    idx.remove([4, 5]);
    assert.deepEqual(idx.names().sort(), ["__name__", "instance", "job"]);
    assert.deepEqual(sel(idx, { type: "=", name: "job", value: "api" }), [3]);
    assert.equal(idx.size, 3);
  });

  it("rejects invalid regexes and unknown matcher types", () => {
    assert.throws(() => compileMatcher({ type: "=~", name: "a", value: "(" }), InvalidMatcherError);
    assert.throws(() => compileMatcher({ type: "<" as "=", name: "a", value: "" }), InvalidMatcherError);
  });
});

describe("seriesKey", () => {
  it("equals the normalized key for sorted, unsorted and sparse label sets, and rejects bad ones", () => {
    const sets: Labels[] = [{ a: "1", b: "2" }, { b: "2", a: "1" }, { b: "2", x: "", a: "1" }];
    for (const labels of sets) {
      const normalized = normalizeLabels(labels);
      assert.ok("key" in normalized);
      assert.equal(seriesKey(labels), normalized.key);
    }
    assert.deepEqual(seriesKey({ a: "" }), { error: "series without labels" });
    assert.deepEqual(seriesKey({ a: "x\u0000" }), { error: "label contains a NUL character" });
    assert.deepEqual(seriesKey({ a: 1 as unknown as string }), { error: "label a is not a string" });
  });
});

describe("hashLabels / labelsEqual", () => {
  it("hashes canonically (any order, empty values ignored) and compares exactly", () => {
    const h = hashLabels({ a: "1", b: "2" });
    assert.ok(h >= 0);
    assert.equal(hashLabels({ b: "2", a: "1" }), h);
    assert.equal(hashLabels({ a: "1", x: "", b: "2" }), h);
    assert.notEqual(hashLabels({ a: "1", b: "3" }), h);
    assert.notEqual(hashLabels({ ab: "c" }), hashLabels({ a: "bc" })); // names and values are delimited
    assert.equal(hashLabels({ a: 1 as unknown as string }), -1);
    assert.equal(labelsEqual({ a: "1", b: "2" }, 2, { b: "2", a: "1", c: "" }), true);
    assert.equal(labelsEqual({ a: "1", b: "2" }, 2, { a: "1" }), false);
    assert.equal(labelsEqual({ a: "1" }, 1, { a: "1", b: "2" }), false);
  });
});
