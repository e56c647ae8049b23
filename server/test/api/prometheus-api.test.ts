import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { compressSync } from "snappy";
import type { TokenResponse } from "@auspex/shared/contracts/auth.ts";
import { encodeWriteRequest } from "#test/support/remote-write-encoder.ts";
import { startTestApp, type TestApp } from "#test/harness.ts";

const NOW = Math.floor(Date.now() / 1000) * 1000;
const WRITE_HEADERS = {
  "content-type": "application/x-protobuf",
  "content-encoding": "snappy",
  "x-prometheus-remote-write-version": "0.1.0",
};

describe("Prometheus-compatible API: remote_write, series, labels, metadata", () => {
  let t: TestApp;
  let alice: TokenResponse;
  let bob: TokenResponse;
  let aliceIngest: string;
  let aliceRead: string;
  let bobIngest: string;

  const key = (owner: TokenResponse, scopes: string[]) => t.apiKey(owner.access_token, scopes);
  const write = (apiKey: string, body: Uint8Array | Buffer, headers: Record<string, string> = WRITE_HEADERS) =>
    t.auspex.app.inject({ method: "POST", url: "/prometheus/api/v1/write", headers: { ...headers, authorization: `Bearer ${apiKey}` }, payload: Buffer.from(body) });
  const get = (apiKey: string, url: string) => t.auspex.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${apiKey}` } });

  before(async () => {
    t = await startTestApp({ AUSPEX_REMOTE_WRITE_MAX_SAMPLES_PER_SECOND: "1000" });
    alice = await t.register("prom_alice");
    bob = await t.register("prom_bob");
    aliceIngest = await key(alice, ["ingest"]);
    aliceRead = await key(alice, ["read"]);
    bobIngest = await key(bob, ["ingest", "read"]);
    const body = compressSync(
      Buffer.from(
        encodeWriteRequest(
          [
            { labels: { __name__: "node_load1", instance: "web-1:9100", job: "node" }, samples: [{ t: NOW - 30_000, v: 0.5 }, { t: NOW - 15_000, v: 0.7 }] },
            { labels: { __name__: "node_load1", instance: "web-2:9100", job: "node" }, samples: [{ t: NOW - 15_000, v: 1.5 }] },
          ],
          [{ type: 2, name: "node_load1", help: "1m load average.", unit: "" }],
        ),
      ),
    );
    const written = await write(aliceIngest, body);
    assert.equal(written.statusCode, 204, written.body);
    const bobs = compressSync(Buffer.from(encodeWriteRequest([{ labels: { __name__: "node_load1", instance: "db-1:9100", job: "node" }, samples: [{ t: NOW, v: 9 }] }])));
    assert.equal((await write(bobIngest, bobs)).statusCode, 204);
  });
  after(() => t.close());

  it("lists only the caller's series, label names and values", async () => {
    const series = await get(aliceRead, "/prometheus/api/v1/series?match[]=node_load1");
    assert.equal(series.statusCode, 200, series.body);
    assert.deepEqual(series.json(), {
      status: "success",
      data: [
        { __name__: "node_load1", instance: "web-1:9100", job: "node" },
        { __name__: "node_load1", instance: "web-2:9100", job: "node" },
      ],
    });
    assert.deepEqual((await get(aliceRead, "/prometheus/api/v1/labels")).json(), { status: "success", data: ["__name__", "instance", "job"] });
    assert.deepEqual((await get(aliceRead, "/prometheus/api/v1/label/instance/values")).json(), { status: "success", data: ["web-1:9100", "web-2:9100"] });
    assert.deepEqual((await get(bobIngest, "/prometheus/api/v1/label/instance/values")).json(), { status: "success", data: ["db-1:9100"] });
  });

  it("accepts form-encoded POSTs with repeated match[] and honours limit", async () => {
    const response = await t.auspex.app.inject({
      method: "POST",
      url: "/prometheus/api/v1/series",
      headers: { authorization: `Bearer ${aliceRead}`, "content-type": "application/x-www-form-urlencoded" },
      payload: "match[]=node_load1{instance=%22web-1:9100%22}&match[]=node_load1{instance=%22nope%22}&limit=5",
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json<{ data: unknown[] }>().data, [{ __name__: "node_load1", instance: "web-1:9100", job: "node" }]);
  });

  it("serves metadata sent with remote_write", async () => {
    assert.deepEqual((await get(aliceRead, "/prometheus/api/v1/metadata")).json(), {
      status: "success",
      data: { node_load1: [{ type: "gauge", help: "1m load average.", unit: "" }] },
    });
    assert.deepEqual((await get(bobIngest, "/prometheus/api/v1/metadata")).json(), { status: "success", data: {} });
  });

  it("answers bad parameters with Prometheus's error envelope", async () => {
    const missing = await get(aliceRead, "/prometheus/api/v1/series");
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json(), { status: "error", errorType: "bad_data", error: "no match[] parameter provided" });
    const badSelector = await get(aliceRead, "/prometheus/api/v1/series?match[]=node_load1{");
    assert.equal(badSelector.statusCode, 400);
    assert.match(badSelector.json<{ error: string }>().error, /^invalid parameter "match\[\]": parse error/);
    const badTime = await get(aliceRead, "/prometheus/api/v1/labels?start=yesterday");
    assert.deepEqual(badTime.json(), { status: "error", errorType: "bad_data", error: 'invalid parameter "start": cannot parse "yesterday" to a valid timestamp' });
    const anonymous = await t.auspex.app.inject({ method: "GET", url: "/prometheus/api/v1/labels" });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json<{ errorType: string }>().errorType, "unauthorized");
  });

  it("evaluates instant queries on the caller's series only", async () => {
    const instant = await get(aliceRead, `/prometheus/api/v1/query?query=${encodeURIComponent("sum(node_load1)")}&time=${NOW / 1000}`);
    assert.equal(instant.statusCode, 200, instant.body);
    assert.deepEqual(instant.json(), { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [NOW / 1000, "2.2"] }] } });
    const vector = await get(aliceRead, `/prometheus/api/v1/query?query=node_load1&time=${NOW / 1000}`);
    assert.deepEqual(
      vector.json<{ data: { result: Array<{ metric: { instance: string } }> } }>().data.result.map((r) => r.metric.instance),
      ["web-1:9100", "web-2:9100"],
    );
    const scalar = await get(aliceRead, `/prometheus/api/v1/query?query=1e21&time=${NOW / 1000}`);
    assert.deepEqual(scalar.json(), { status: "success", data: { resultType: "scalar", result: [NOW / 1000, "1000000000000000000000"] } });
  });

  it("evaluates range queries with Prometheus's parameters, also as form POST", async () => {
    const form = new URLSearchParams({ query: "node_load1{instance=\"web-1:9100\"}", start: String((NOW - 30_000) / 1000), end: new Date(NOW).toISOString(), step: "15s" });
    const response = await t.auspex.app.inject({
      method: "POST",
      url: "/prometheus/api/v1/query_range",
      headers: { authorization: `Bearer ${aliceRead}`, "content-type": "application/x-www-form-urlencoded" },
      payload: form.toString(),
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), {
      status: "success",
      data: {
        resultType: "matrix",
        result: [
          {
            metric: { __name__: "node_load1", instance: "web-1:9100", job: "node" },
            values: [
              [(NOW - 30_000) / 1000, "0.5"],
              [(NOW - 15_000) / 1000, "0.7"],
              [NOW / 1000, "0.7"],
            ],
          },
        ],
      },
    });
  });

  it("answers malformed PromQL and over-limit ranges as Prometheus does", async () => {
    const malformed = await get(aliceRead, `/prometheus/api/v1/query?query=${encodeURIComponent("sum(node_load1")}`);
    assert.equal(malformed.statusCode, 400);
    const body = malformed.json<{ status: string; errorType: string; error: string }>();
    assert.equal(body.errorType, "bad_data");
    assert.match(body.error, /^parse error at char \d+/);
    const tooManyPoints = await get(aliceRead, `/prometheus/api/v1/query_range?query=up&start=0&end=100000&step=1`);
    assert.equal(tooManyPoints.statusCode, 400);
    assert.match(tooManyPoints.json<{ error: string }>().error, /exceeded maximum resolution of 11,000 points/);
    const missingStep = await get(aliceRead, `/prometheus/api/v1/query_range?query=up&start=0&end=10`);
    assert.deepEqual(missingStep.json(), { status: "error", errorType: "bad_data", error: 'invalid parameter "step": cannot be empty' });
  });

  it("reports build information", async () => {
    const info = (await get(aliceRead, "/prometheus/api/v1/status/buildinfo")).json<{ status: string; data: { version: string; application: string } }>();
    assert.equal(info.status, "success");
    assert.match(info.data.version, /^\d+\.\d+\.\d+$/);
    assert.equal(info.data.application, "Auspex");
  });

  describe("remote_write refusals", () => {
    const valid = () => compressSync(Buffer.from(encodeWriteRequest([{ labels: { __name__: "x" }, samples: [{ t: NOW, v: 1 }] }])));

    it("needs an API key with the ingest scope, as bearer or basic-auth password", async () => {
      assert.equal((await t.auspex.app.inject({ method: "POST", url: "/prometheus/api/v1/write", headers: WRITE_HEADERS, payload: valid() })).statusCode, 401);
      assert.equal((await write(aliceRead, valid())).statusCode, 403);
      const basic = await t.auspex.app.inject({
        method: "POST",
        url: "/prometheus/api/v1/write",
        headers: { ...WRITE_HEADERS, authorization: `Basic ${Buffer.from(`prometheus:${aliceIngest}`).toString("base64")}` },
        payload: valid(),
      });
      assert.equal(basic.statusCode, 204, basic.body);
    });

    it("gives 415 for a wrong Content-Type, Content-Encoding or protocol version", async () => {
      for (const headers of [
        { ...WRITE_HEADERS, "content-type": "application/json" },
        { ...WRITE_HEADERS, "content-encoding": "gzip" },
        { "content-type": "application/x-protobuf" },
        { ...WRITE_HEADERS, "content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request" },
      ]) {
        const response = await write(aliceIngest, valid(), headers);
        assert.equal(response.statusCode, 415, JSON.stringify(headers));
        assert.equal(response.json<{ status: string }>().status, "error");
      }
    });

    it("gives 400 for corrupt snappy or protobuf, naming the problem", async () => {
      const notSnappy = await write(aliceIngest, Buffer.from([0x05, 0xff, 0xff, 0xff]));
      assert.equal(notSnappy.statusCode, 400);
      assert.match(notSnappy.json<{ error: string }>().error, /snappy/);
      const notProtobuf = await write(aliceIngest, compressSync(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])));
      assert.equal(notProtobuf.statusCode, 400);
      assert.match(notProtobuf.json<{ error: string }>().error, /malformed protobuf/);
      const badUtf8 = await write(aliceIngest, compressSync(Buffer.from(encodeWriteRequest([{ labels: [["__name__", "x"], ["a", Uint8Array.from([0xff])]], samples: [{ t: NOW, v: 1 }] }]))));
      assert.equal(badUtf8.statusCode, 400);
      assert.match(badUtf8.json<{ error: string }>().error, /not valid UTF-8/);
    });

    it("refuses a body that would decompress beyond the limit before inflating it", async () => {
      // A snappy block that claims 1 GiB of output.
      const bomb = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00]);
      const response = await write(aliceIngest, bomb);
      assert.equal(response.statusCode, 413);
    });

    it("answers 429 with Retry-After past the samples-per-second limit", async () => {
      const many = compressSync(
        Buffer.from(encodeWriteRequest([{ labels: { __name__: "burst" }, samples: Array.from({ length: 1001 }, (_, i) => ({ t: NOW + i, v: i })) }])),
      );
      const response = await write(bobIngest, many);
      assert.equal(response.statusCode, 429);
      assert.ok(response.headers["retry-after"]);
    });
  });
});

describe("Prometheus-compatible API: query limits", () => {
  it("refuses a query that would load more samples than AUSPEX_QUERY_MAX_SAMPLES with Prometheus's 422", async () => {
    const t = await startTestApp({ AUSPEX_QUERY_MAX_SAMPLES: "1000" });
    try {
      const owner = await t.register("prom_limits");
      const apiKey = await t.apiKey(owner.access_token, ["ingest", "read"]);
      const body = compressSync(
        Buffer.from(encodeWriteRequest([{ labels: { __name__: "dense" }, samples: Array.from({ length: 1200 }, (_, i) => ({ t: NOW - 1_200_000 + i * 1000, v: i })) }])),
      );
      const written = await t.auspex.app.inject({ method: "POST", url: "/prometheus/api/v1/write", headers: { ...WRITE_HEADERS, authorization: `Bearer ${apiKey}` }, payload: body });
      assert.equal(written.statusCode, 204, written.body);
      const query = encodeURIComponent("sum_over_time(dense[30m])");
      const response = await t.auspex.app.inject({ method: "GET", url: `/prometheus/api/v1/query?query=${query}&time=${NOW / 1000}`, headers: { authorization: `Bearer ${apiKey}` } });
      assert.equal(response.statusCode, 422);
      assert.deepEqual(response.json(), {
        status: "error",
        errorType: "execution",
        error: "query processing would load too many samples into memory in query execution",
      });
      // A smaller window stays under the limit.
      const small = await t.auspex.app.inject({ method: "GET", url: `/prometheus/api/v1/query?query=${encodeURIComponent("count_over_time(dense[5m])")}&time=${NOW / 1000}`, headers: { authorization: `Bearer ${apiKey}` } });
      assert.equal(small.statusCode, 200, small.body);
    } finally {
      await t.close();
    }
  });
});

describe("remote_write: body size limit", () => {
  it("answers 413 for a compressed body over AUSPEX_REMOTE_WRITE_BODY_LIMIT_BYTES", async () => {
    const t = await startTestApp({ AUSPEX_REMOTE_WRITE_BODY_LIMIT_BYTES: "1024" });
    try {
      const owner = await t.register("prom_body_limit");
      const apiKey = await t.apiKey(owner.access_token, ["ingest"]);
      const big = Buffer.alloc(4096, 7);
      const response = await t.auspex.app.inject({ method: "POST", url: "/prometheus/api/v1/write", headers: { ...WRITE_HEADERS, authorization: `Bearer ${apiKey}` }, payload: big });
      assert.equal(response.statusCode, 413);
      assert.equal(response.json<{ status: string }>().status, "error");
    } finally {
      await t.close();
    }
  });
});

describe("remote_write: active series limit", () => {
  it("answers 429 for samples that would create a series past the user's limit, and keeps the others", async () => {
    const t = await startTestApp({ AUSPEX_REMOTE_WRITE_MAX_ACTIVE_SERIES: "2" });
    try {
      const owner = await t.register("prom_series_limit");
      const apiKey = await t.apiKey(owner.access_token, ["ingest", "read"]);
      const write = (series: Array<{ name: string; t: number }>) =>
        t.auspex.app.inject({
          method: "POST",
          url: "/prometheus/api/v1/write",
          headers: { ...WRITE_HEADERS, authorization: `Bearer ${apiKey}` },
          payload: compressSync(Buffer.from(encodeWriteRequest(series.map((s) => ({ labels: { __name__: s.name }, samples: [{ t: s.t, v: 1 }] }))))),
        });
      assert.equal((await write([{ name: "a", t: NOW - 2000 }, { name: "b", t: NOW - 2000 }])).statusCode, 204);
      const third = await write([{ name: "a", t: NOW - 1000 }, { name: "c", t: NOW - 1000 }]);
      assert.equal(third.statusCode, 429, third.body);
      assert.ok(third.headers["retry-after"]);
      assert.match(third.json<{ error: string }>().error, /limit of 2 active series/);
      const stored = await t.auspex.app.inject({
        method: "GET",
        url: `/prometheus/api/v1/query?query=${encodeURIComponent("count_over_time(a[1m])")}&time=${NOW / 1000}`,
        headers: { authorization: `Bearer ${apiKey}` },
      });
      assert.equal(stored.json<{ data: { result: Array<{ value: [number, string] }> } }>().data.result[0]?.value[1], "2", "the existing series' sample was stored");
      assert.deepEqual((await t.auspex.app.inject({ method: "GET", url: "/prometheus/api/v1/label/__name__/values", headers: { authorization: `Bearer ${apiKey}` } })).json(), {
        status: "success",
        data: ["a", "b"],
      });
    } finally {
      await t.close();
    }
  });
});

describe("Prometheus-compatible API: query timeout", () => {
  it("answers 503 with errorType timeout when a query outlives its deadline", async () => {
    // A clock that moves a second each time it is read: the deadline passes deterministically.
    let now = Date.now();
    const t = await startTestApp({}, { clock: { now: () => new Date((now += 1000)) } });
    try {
      const owner = await t.register("prom_timeout");
      const apiKey = await t.apiKey(owner.access_token, ["read"]);
      const response = await t.auspex.app.inject({
        method: "GET",
        url: `/prometheus/api/v1/query?query=${encodeURIComponent("sum(rate(x[5m]))")}&timeout=10ms`,
        headers: { authorization: `Bearer ${apiKey}` },
      });
      assert.equal(response.statusCode, 503, response.body);
      assert.deepEqual(response.json(), { status: "error", errorType: "timeout", error: "query timed out in query execution" });
    } finally {
      await t.close();
    }
  });
});
