import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { compressSync } from "snappy";
import { encodeWriteRequest } from "#server/platform/remote-write/write-request.encode.ts";
import { spawnServer } from "#test/process/server-process.ts";
import { startPrometheus } from "#e2e/support/prometheus.ts";

/*
 * `node server/bench/tsdb-http.bench.ts [--comparePrometheus]` (part of `npm run bench:tsdb`): the
 * real server as a child process, measured over HTTP on loopback.
 *  1. remote_write throughput: pre-encoded requests of exactly 2,000 samples (Prometheus's default
 *     max_samples_per_send), 8 concurrent senders taking the next request in turn, only 204
 *     answers counted (on series of their own: such senders deliver a series' samples out of
 *     order, which the out-of-order window accepts).
 *  2. `sum by (instance) (rate(node_cpu_seconds_total[5m]))` as query_range over 1 h at a 15 s
 *     step on 100 hosts × 8 CPUs × 8 modes (6,400 series, 1.7 M samples read), written as
 *     Prometheus's sharded remote_write delivers them (each series in time order): the first
 *     run (nothing decoded yet) and the median of 10 repeats (decoded data cached, as when a
 *     dashboard refreshes).
 * BENCH_TRACE=1 prints every repeat's time; AUSPEX_QUERY_THREADS passes through to the server (A/B runs).
 * Streaming anomaly detection is off (AUSPEX_DETECTION=false; --detection turns it on): it scores
 * every stored sample on the same event loop, which is its own benchmark (`npm run bench:detect`).
 * Besides wall-clock figures it reports the server process's CPU time (user + system, all
 * threads, from /proc) per sample and per query: on a shared machine those vary far less.
 * With --comparePrometheus the query's requests go to Debian's Prometheus (remote-write receiver
 * on, one sender in time order) and the same query is timed there.
 * Prints a markdown summary.
 */

const { values: args } = parseArgs({ options: { comparePrometheus: { type: "boolean", default: false }, detection: { type: "boolean", default: false } } });

/** CPU time (ms, user + system, all threads) a process has used so far, from /proc (Linux). */
function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
    // utime and stime are fields 14 and 15 of stat (12 and 13 after the pid and comm are cut off), in clock ticks (100 Hz).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

const STEP = 15_000;
const HOSTS = 100;
const CPUS = 8;
const MODES = ["idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"];
/** 65 minutes of scrapes: the 1 h query plus its 5 m rate window. */
const POINTS = 261;
const SENDERS = 8;
const SAMPLES_PER_REQUEST = 2000;

function cpuSeries(): Array<{ labels: Record<string, string>; base: number }> {
  const out: Array<{ labels: Record<string, string>; base: number }> = [];
  for (let h = 0; h < HOSTS; h++) {
    for (let c = 0; c < CPUS; c++) {
      for (const mode of MODES) {
        out.push({ labels: { __name__: "node_cpu_seconds_total", instance: `host-${h}:9100`, job: "node", cpu: String(c), mode }, base: (h * 7 + c * 3) * 1000 });
      }
    }
  }
  return out;
}

const value = (series: { base: number }, k: number, i: number): number => series.base + i * (k % 8 === 0 ? 14.2 : 0.37);

/**
 * The write benchmark's requests: every series' sample at each timestamp, in time order, cut into
 * requests of exactly 2,000 samples (one per series; a request may span two timestamps).
 */
function writeRequests(series: ReturnType<typeof cpuSeries>, start: number, points: number): Array<{ body: Buffer; samples: number }> {
  const bodies: Array<{ body: Buffer; samples: number }> = [];
  let batch: Array<{ labels: Record<string, string>; samples: Array<{ t: number; v: number }> }> = [];
  const flush = () => {
    if (batch.length === 0) return;
    bodies.push({ body: compressSync(Buffer.from(encodeWriteRequest(batch))), samples: batch.length });
    batch = [];
  };
  for (let i = 0; i < points; i++) {
    series.forEach((s, k) => {
      batch.push({ labels: s.labels, samples: [{ t: start + i * STEP, v: value(s, k, i) }] });
      if (batch.length === SAMPLES_PER_REQUEST) flush();
    });
  }
  flush();
  return bodies;
}

/**
 * The query data as Prometheus's sharded remote_write sends it: each shard owns a fixed part of
 * the series and sends its requests one at a time, so every series arrives in time order. Shard
 * `s`'s requests are `shards[s]`, each one timestamp of its series.
 */
function shardedRequests(series: ReturnType<typeof cpuSeries>, start: number, points: number, shardCount: number): Array<Array<{ body: Buffer; samples: number }>> {
  const size = Math.ceil(series.length / shardCount);
  const shards: Array<Array<{ body: Buffer; samples: number }>> = [];
  for (let from = 0; from < series.length; from += size) {
    const requests: Array<{ body: Buffer; samples: number }> = [];
    for (let i = 0; i < points; i++) {
      const batch = series.slice(from, from + size).map((s, k) => ({ labels: s.labels, samples: [{ t: start + i * STEP, v: value(s, from + k, i) }] }));
      requests.push({ body: compressSync(Buffer.from(encodeWriteRequest(batch))), samples: batch.length });
    }
    shards.push(requests);
  }
  return shards;
}

/** Sends the bodies with `senders` concurrent senders taking the next body in turn; only 204 answers count. Returns the samples sent. */
async function send(baseUrl: string, key: string | undefined, bodies: Array<{ body: Buffer; samples: number }>, route = "/prometheus/api/v1/write", senders = SENDERS): Promise<number> {
  let next = 0;
  let accepted = 0;
  const headers: Record<string, string> = { "content-type": "application/x-protobuf", "content-encoding": "snappy" };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const sender = async () => {
    while (next < bodies.length) {
      const { body, samples } = bodies[next++]!;
      const response = await fetch(`${baseUrl}${route}`, { method: "POST", headers, body });
      if (response.status !== 204) throw new Error(`remote_write answered ${response.status}: ${await response.text()}`);
      accepted += samples;
    }
  };
  await Promise.all(Array.from({ length: senders }, sender));
  return accepted;
}

const QUERY = "sum by (instance) (rate(node_cpu_seconds_total[5m]))";

/** Times the 1 h query_range ending at `end` (ms): the first run, then 10 repeats. */
async function timeQuery(
  baseUrl: string,
  headers: Record<string, string>,
  end: number,
  route = "/prometheus/api/v1/query_range",
  pid?: number,
): Promise<{ first: number; median: number; best: number; worst: number; resultSeries: number; cpuPerQuery: number }> {
  const params = new URLSearchParams({ query: QUERY, start: String((end - 3_600_000) / 1000), end: String(end / 1000), step: "15" });
  const timings: number[] = [];
  let resultSeries = 0;
  let cpuBefore = Number.NaN;
  for (let run = 0; run < 11; run++) {
    if (run === 1) cpuBefore = cpuMsOf(pid);
    const q0 = performance.now();
    const response = await fetch(`${baseUrl}${route}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: params.toString(),
    });
    const body = (await response.json()) as { status: string; data: { result: Array<{ values: unknown[] }> } };
    timings.push(performance.now() - q0);
    if (body.status !== "success") throw new Error(`query failed: ${JSON.stringify(body)}`);
    resultSeries = body.data.result.length;
    if (resultSeries !== HOSTS || body.data.result[0]?.values.length !== 241) throw new Error(`unexpected result shape from ${baseUrl}`);
  }
  const cpuPerQuery = (cpuMsOf(pid) - cpuBefore) / 10;
  const first = timings.shift() ?? Number.NaN;
  if (process.env.BENCH_TRACE) console.error(timings.map((t) => t.toFixed(0)).join(" "));
  timings.sort((a, b) => a - b);
  return { first, median: timings[Math.floor(timings.length / 2)] ?? Number.NaN, best: timings[0] ?? Number.NaN, worst: timings.at(-1) ?? Number.NaN, resultSeries, cpuPerQuery };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "auspex-tsdb-http-"));
  const server = await spawnServer(
    {
      AUSPEX_RATE_LIMIT: "false",
      AUSPEX_LOG_LEVEL: "warn",
      AUSPEX_REMOTE_WRITE_MAX_SAMPLES_PER_SECOND: "1000000000",
      AUSPEX_DETECTION: args.detection ? "true" : "false",
      // The query's worker threads: the server's default unless set for a comparison.
      ...(process.env.AUSPEX_QUERY_THREADS === undefined ? {} : { AUSPEX_QUERY_THREADS: process.env.AUSPEX_QUERY_THREADS }),
    },
    { dataDir },
  );
  const pid = server.child.pid;
  try {
    // Waiting for a child process to listen: bounded polling is the only signal it gives.
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${server.baseUrl}/health`)).ok) break;
      } catch {
        if (i > 300) throw new Error(`server did not start: ${server.stderr()}`);
      }
      await sleep(100);
    }
    const register = (await (
      await fetch(`${server.baseUrl}/api/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "bench", email: "bench@example.com", password: "bench-Password-7f3k9q2m" }),
      })
    ).json()) as { access_token: string };
    const { key } = (await (
      await fetch(`${server.baseUrl}/api/v1/api-keys`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${register.access_token}` },
        body: JSON.stringify({ name: "bench", scopes: ["ingest", "read"] }),
      })
    ).json()) as { key: string };

    const series = cpuSeries();
    const end = Math.floor(Date.now() / STEP) * STEP - 60_000;
    const start = end - (POINTS - 1) * STEP;
    // 1. Write throughput, on series of their own (8 senders may deliver a series' samples out of order).
    const writeSeries = series.map((s) => ({ ...s, labels: { ...s.labels, __name__: "bench_write_seconds_total" } }));
    const bodies = writeRequests(writeSeries, start, POINTS);
    const warm = bodies.splice(0, 20);
    await send(server.baseUrl, key, warm);
    const c0 = cpuMsOf(pid);
    const t0 = performance.now();
    const accepted = await send(server.baseUrl, key, bodies);
    const seconds = (performance.now() - t0) / 1000;
    const ingestRate = accepted / seconds;
    const ingestCpuNs = ((cpuMsOf(pid) - c0) * 1e6) / accepted;

    // 2. The query's data, every series in time order (4 shards, one request in flight each).
    const shards = shardedRequests(series, start, POINTS, 4);
    await Promise.all(shards.map((requests) => send(server.baseUrl, key, requests, undefined, 1)));

    const auspexQuery = await timeQuery(server.baseUrl, { authorization: `Bearer ${key}` }, end, undefined, pid);
    let prometheusLine = "";
    if (args.comparePrometheus) {
      const prometheus = await startPrometheus();
      try {
        // One sender, in time order: Prometheus 2.42 refuses a sample older than its series' newest.
        const inTimeOrder = Array.from({ length: POINTS }, (_, i) => shards.map((requests) => requests[i]!)).flat();
        await send(prometheus.url, undefined, inTimeOrder, "/api/v1/write", 1);
        const timing = await timeQuery(prometheus.url, {}, end, "/api/v1/query_range");
        prometheusLine = `- The same query on Prometheus ${prometheus.version} (Debian) fed the same requests: first run **${timing.first.toFixed(1)} ms**, median **${timing.median.toFixed(1)} ms**, best ${timing.best.toFixed(1)} ms\n`;
      } finally {
        await prometheus.stop();
      }
    }

    process.stdout.write(
      [
        `## Embedded TSDB over HTTP (${os.cpus().length} × ${os.cpus()[0]?.model.split(" ").slice(0, 2).join(" ")}, Node ${process.version})`,
        "",
        `- remote_write: ${accepted.toLocaleString("en-US")} samples in ${bodies.length} requests of ${SAMPLES_PER_REQUEST.toLocaleString("en-US")} (${SENDERS} concurrent senders taking requests in turn, server and client on the same 2 cores, detection ${args.detection ? "on" : "off"}): **${Math.round(ingestRate).toLocaleString("en-US")} samples/s**; server CPU ${Math.round(ingestCpuNs).toLocaleString("en-US")} ns per sample (${Math.round(1e9 / ingestCpuNs).toLocaleString("en-US")} samples per CPU second)`,
        `- \`${QUERY}\` as query_range, 1 h at a 15 s step over ${series.length.toLocaleString("en-US")} series (${auspexQuery.resultSeries} result series): first run **${auspexQuery.first.toFixed(1)} ms**, then median **${auspexQuery.median.toFixed(1)} ms**, best ${auspexQuery.best.toFixed(1)} ms, worst ${auspexQuery.worst.toFixed(1)} ms (10 repeats); server CPU ${auspexQuery.cpuPerQuery.toFixed(0)} ms per repeated query`,
        prometheusLine,
      ].join("\n"),
    );
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
