import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { inspect, parseArgs } from "node:util";
import autocannon from "autocannon";
import { loadConfig } from "#server/config/load-config.ts";

/*
 * `npm run bench:api [-- --duration 30 --logins 30 --write]`
 *
 * Starts the real server (`node server/src/main.ts`) on a fresh temporary data
 * directory, registers one user and measures:
 *   a) GET /api/v1/auth/me with a Bearer token at a fixed offered rate, after a
 *      discarded warm-up: once with evenly spaced, open-loop arrivals (the run the
 *      p99 target is judged on) and once with autocannon's overallRate, which
 *      sends each connection's share in a burst at the start of every second;
 *   b) the same request with no rate cap (maximum throughput, autocannon);
 *   c) the cost of sequential logins (Argon2id verification dominates).
 * Prints a markdown section; --write puts it between the bench:api markers of
 * docs/benchmarks.md. Exits non-zero only when something fails, not when the
 * latency target is missed. The server and the data directory are always removed.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = path.join(ROOT, "server", "src", "main.ts");
const DOC = path.join(ROOT, "docs", "benchmarks.md");
const START_MARKER = "<!-- bench:api:start -->";
const END_MARKER = "<!-- bench:api:end -->";

const TARGET_P99_MS = 10;
const TARGET_RATE = 1000;
const WARMUP_SECONDS = 5;
const MAX_THROUGHPUT_SECONDS = 10;
const HEALTH_TIMEOUT_MS = 60_000;
const USERNAME = "bench";
const PASSWORD = "bench-Password-7f3k9q2m";

interface Options {
  duration: number;
  rate: number;
  connections: number;
  logins: number;
  write: boolean;
}

const USAGE = `Usage: npm run bench:api -- [--duration SECONDS] [--rate REQ_PER_S] [--connections N] [--logins N] [--write]

  --duration     seconds of each fixed-rate run, paced and autocannon (default 30; a ${WARMUP_SECONDS} s warm-up runs first)
  --rate         offered requests per second of the fixed-rate runs (default 1000)
  --connections  concurrent connections of the load runs (default 50)
  --logins       sequential logins to time (default 30)
  --write        replace the bench:api section of docs/benchmarks.md with the results`;

class UsageError extends Error {}

function parseOptions(argv: string[]): Options {
  try {
    return parseOptionsOrThrow(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function parseOptionsOrThrow(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string", default: "30" },
      rate: { type: "string", default: "1000" },
      connections: { type: "string", default: "50" },
      logins: { type: "string", default: "30" },
      write: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const positive = (name: string, text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1, got '${text}'`);
    return value;
  };
  return {
    duration: positive("duration", values.duration),
    rate: positive("rate", values.rate),
    connections: positive("connections", values.connections),
    logins: positive("logins", values.logins),
    write: values.write,
  };
}

// ---------------------------------------------------------------- statistics

interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles over the exact samples (milliseconds, sub-millisecond precision). */
function summarize(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => (sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN));
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN),
  };
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : "n/a");
const int = (value: number) => Math.round(value).toLocaleString("en-US");

// ---------------------------------------------------------------- server process

interface Server {
  baseUrl: string;
  child: ChildProcess;
  /** Set once the benchmark stops the server on purpose. */
  stopping: boolean;
  /** The last output of the server, for error messages. */
  output(): string;
  /** Resolves with how the process ended, e.g. "code 1" or "signal SIGKILL". */
  exited: Promise<string>;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen({ host, port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error("could not learn a free port"))));
    });
  });
}

function startServer(settings: Record<string, string>, port: number, host: string): Server {
  // Inherited AUSPEX_* settings (a developer's .env, say) must not change what is measured.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("AUSPEX_")) env[key] = value;
  Object.assign(env, settings);

  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-16_384);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`));
    child.once("error", (error) => resolve(`error ${error.message}`));
  });
  return { baseUrl: `http://${host}:${port}`, child, stopping: false, output: () => output, exited };
}

async function waitForHealth(server: Server): Promise<void> {
  let exit: string | undefined;
  void server.exited.then((how) => {
    exit = how;
  });
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit !== undefined) throw new Error(`the server exited (${exit}) before answering /health:\n${server.output()}`);
    try {
      const response = await fetch(`${server.baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not answer /health within ${HEALTH_TIMEOUT_MS / 1000} s:\n${server.output()}`);
}

async function stopServer(server: Server): Promise<void> {
  server.stopping = true;
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill("SIGTERM");
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 10_000);
  await server.exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------- HTTP helpers

async function postJson(url: string, body: unknown, expected: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: "POST",
    signal,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`POST ${url} answered ${response.status} (expected ${expected}): ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

// ---------------------------------------------------------------- load runs

interface LoadResult {
  title: string;
  seconds: number;
  responses: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

/**
 * One autocannon run. Latencies are taken from each response (sub-millisecond,
 * uncorrected) rather than from autocannon's histogram, which has 1 ms
 * resolution and, with a rate set, back-fills "coordinated omission" samples
 * with an expected interval of ceil(1/rate) = 1 ms that drags percentiles down.
 */
function runLoad(title: string, options: autocannon.Options, signal: AbortSignal): Promise<LoadResult> {
  const samples: number[] = [];
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const rated = options.overallRate !== undefined || options.connectionRate !== undefined;
    const settings = { timeout: 10, pipelining: 1, ...options, title, ...(rated ? { ignoreCoordinatedOmission: true } : {}) };
    const instance = autocannon(settings, (error, result) => {
      signal.removeEventListener("abort", onAbort);
      if (error) return reject(error);
      const responses = result["1xx"] + result["2xx"] + result["3xx"] + result["4xx"] + result["5xx"];
      const statusCodes: Record<string, number> = {};
      for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
      resolve({
        title,
        seconds: result.duration,
        responses,
        requestsPerSecond: result.duration > 0 ? responses / result.duration : 0,
        latency: summarize(samples),
        errors: result.errors,
        non2xx: result.non2xx,
        statusCodes,
      });
    });
    instance.on("response", (_client, _status, _bytes, responseTimeMs) => {
      samples.push(responseTimeMs);
    });
    const onAbort = () => {
      instance.stop();
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * An open-loop run: request i is due at start + i/rate seconds, whatever happened
 * to earlier ones, and sent on a keep-alive pool of `connections` sockets (queued
 * in the pool when all are busy). Latency runs from the due time to the end of
 * the response, so a stalled server cannot hide its backlog (no coordinated
 * omission); it includes the client's timer granularity (about 1 ms).
 */
async function runPaced(title: string, target: { url: string; headers: Record<string, string> }, rate: number, seconds: number, connections: number, signal: AbortSignal): Promise<LoadResult> {
  const url = new URL(target.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round(rate * seconds);
  const samples: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let non2xx = 0;
  let sent = 0;
  let finished = 0;
  let stopped = false;
  let onAbort = () => {};
  const started = performance.now() + 10;
  const dueAt = (i: number) => started + (i * 1000) / rate;
  try {
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      onAbort = () => {
        stopped = true;
        clearTimeout(deadline);
        reject(signal.reason as Error);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const deadline = setTimeout(() => {
        stopped = true;
        reject(new Error(`${title}: ${total - finished} requests unanswered ${seconds + 30} s after the start`));
      }, (seconds + 30) * 1000);
      const settle = () => {
        finished += 1;
        if (finished === total) {
          clearTimeout(deadline);
          resolve();
        }
      };
      const send = (due: number) => {
        let done = false;
        const finish = (status: number | null) => {
          if (done) return;
          done = true;
          if (status === null) {
            errors += 1;
          } else {
            samples.push(performance.now() - due);
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            if (status < 200 || status > 299) non2xx += 1;
          }
          settle();
        };
        const request = http.request(
          { host: url.hostname, port: url.port, path: url.pathname + url.search, method: "GET", agent, headers: target.headers, timeout: 10_000 },
          (response) => {
            response.on("error", () => finish(null));
            response.on("end", () => finish(response.statusCode ?? 0));
            response.resume();
          },
        );
        request.on("timeout", () => request.destroy(new Error("timeout")));
        request.on("error", () => finish(null));
        request.end();
      };
      const tick = () => {
        const now = performance.now();
        while (sent < total && dueAt(sent) <= now) {
          send(dueAt(sent));
          sent += 1;
        }
        if (sent < total && !stopped) setTimeout(tick, Math.max(0, Math.min(1, dueAt(sent) - performance.now())));
      };
      setTimeout(tick, 10);
    });
  } finally {
    signal.removeEventListener("abort", onAbort);
    agent.destroy();
  }
  const elapsed = (performance.now() - started) / 1000;
  const responses = total - errors;
  return {
    title,
    seconds: elapsed,
    responses,
    requestsPerSecond: responses / elapsed,
    latency: summarize(samples),
    errors,
    non2xx,
    statusCodes,
  };
}

interface LoginResult {
  count: number;
  latency: LatencySummary;
}

async function measureLogins(baseUrl: string, count: number, signal: AbortSignal): Promise<LoginResult> {
  const url = `${baseUrl}/api/v1/auth/login`;
  await postJson(url, { username: USERNAME, password: PASSWORD }, 200, signal); // warm-up, not counted
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await postJson(url, { username: USERNAME, password: PASSWORD }, 200, signal);
    samples.push(performance.now() - started);
  }
  return { count, latency: summarize(samples) };
}

// ---------------------------------------------------------------- report

interface Report {
  options: Options;
  command: string;
  date: string;
  argon2: { memoryKib: number; iterations: number; parallelism: number };
  /** Open-loop, evenly spaced arrivals at the offered rate: the run the target is judged on. */
  paced: LoadResult;
  /** autocannon at the same offered rate (per-connection bursts each second). */
  fixed: LoadResult;
  max: LoadResult;
  login: LoginResult;
}

function machineDescription(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim().replace(/\s+/g, " ") ?? "unknown CPU";
  const memoryGib = os.totalmem() / 1024 ** 3;
  return `${cpus.length} × ${model}, ${memoryGib.toFixed(1)} GiB RAM, ${os.type()} ${os.release()} (${os.arch()})`;
}

/** Whether a run at the offered rate meets p99 < 10 ms at 1,000 req/s, and why not. */
function checkTarget(run: LoadResult, offered: number): { met: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (offered < TARGET_RATE) reasons.push(`offered rate ${int(offered)} req/s is below ${int(TARGET_RATE)}`);
  if (run.requestsPerSecond < offered * 0.95) reasons.push(`only ${int(run.requestsPerSecond)} req/s achieved`);
  if (!(run.latency.p99 < TARGET_P99_MS)) reasons.push(`p99 ${ms(run.latency.p99)} ms`);
  if (run.errors + run.non2xx > 0) reasons.push(`${run.errors + run.non2xx} errors/non-2xx responses`);
  return { met: reasons.length === 0, reasons };
}

function verdictText(report: Report): string {
  const { paced, fixed, options } = report;
  const main = checkTarget(paced, options.rate);
  const burst = checkTarget(fixed, options.rate);
  const head = main.met
    ? `**Target met** (p99 < ${TARGET_P99_MS} ms at ${int(TARGET_RATE)} req/s, evenly spaced arrivals): p99 ${ms(paced.latency.p99)} ms at ${int(paced.requestsPerSecond)} req/s, no errors.`
    : `**Target not met** (p99 < ${TARGET_P99_MS} ms at ${int(TARGET_RATE)} req/s, evenly spaced arrivals): ${main.reasons.join("; ")}.`;
  const tail = `Bursty autocannon run at the same average rate: ${burst.met ? "also met" : main.met ? "not met" : "not met either"} (p99 ${ms(fixed.latency.p99)} ms).`;
  return `${head} ${tail}`;
}

function renderSection(report: Report): string {
  const { options, paced, fixed, max, login, argon2 } = report;
  const row = (run: LoadResult, offered: string) =>
    `| ${run.title} | ${offered} | ${int(run.requestsPerSecond)} | ${ms(run.latency.p50)} | ${ms(run.latency.p90)} | ${ms(run.latency.p99)} | ${ms(run.latency.max)} | ${int(run.responses)} | ${run.errors} | ${run.non2xx} |`;
  const perConnection = options.rate / options.connections;
  const lines = [
    START_MARKER,
    "## API (`npm run bench:api`)",
    "",
    `- Command: \`${report.command}\``,
    `- Date: ${report.date}`,
    `- Machine: ${machineDescription()}`,
    `- Node: ${process.version}`,
    `- Server: the real \`node server/src/main.ts\` on a fresh SQLite data directory, rate limits off (\`AUSPEX_RATE_LIMIT=false\`), \`AUSPEX_LOG_LEVEL=warn\`, production Argon2id defaults. The load generators run on the same machine and share its CPUs.`,
    "",
    `### Authenticated GET \`/api/v1/auth/me\` (Bearer access token), ${options.connections} keep-alive connections`,
    "",
    "| Run | Offered load | Achieved req/s | p50 ms | p90 ms | p99 ms | max ms | Responses | Errors | Non-2xx |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    row(paced, `${int(options.rate)} req/s, evenly spaced`),
    row(fixed, `${int(options.rate)} req/s, autocannon \`overallRate\``),
    row(max, "unlimited (autocannon)"),
    "",
    verdictText(report),
    "",
    `- *Paced*: an open-loop generator in the benchmark process sends request *i* at start + *i*/${int(options.rate)} s over a pool of ${options.connections} keep-alive sockets; latency runs from the scheduled send time to the end of the response (so server stalls are not hidden) and includes the client's ~1 ms timer granularity. ${options.duration} s.`,
    `- *Fixed rate*: autocannon with \`overallRate: ${options.rate}\`, ${options.duration} s, after a discarded ${WARMUP_SECONDS} s warm-up at the same rate. autocannon limits each connection to ${Number.isInteger(perConnection) ? perConnection : perConnection.toFixed(1)} requests per second and sends them back to back at the start of every second, so all ${options.connections} connections fire at once: this measures bursts of ${options.connections} concurrent requests, not steady ${int(options.rate)} req/s.`,
    `- *Max throughput*: autocannon without a rate cap, ${MAX_THROUGHPUT_SECONDS} s.`,
    "- autocannon latencies are taken per response (write to response end, sub-millisecond) instead of from its histogram, which has 1 ms resolution and, with a rate set, back-fills coordinated-omission samples at a 1 ms interval that pulls the percentiles down.",
    "",
    `### Login cost: ${login.count} sequential \`POST /api/v1/auth/login\``,
    "",
    "| Mean ms | p50 ms | p99 ms | max ms | Argon2id memory | Iterations | Parallelism |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    `| ${ms(login.latency.mean)} | ${ms(login.latency.p50)} | ${ms(login.latency.p99)} | ${ms(login.latency.max)} | ${int(argon2.memoryKib)} KiB | ${argon2.iterations} | ${argon2.parallelism} |`,
    "",
    "Each login verifies the Argon2id hash, inserts a session and its refresh token, and signs an access token; timed end to end by the client, one at a time, after one untimed login. The Argon2id parameters are the configuration defaults (`AUSPEX_ARGON2_*`).",
    END_MARKER,
  ];
  return `${lines.join("\n")}\n`;
}

const DOC_INTRO = `# Benchmarks

Measurements of Auspex on the machine named in each section. Each section is
produced by a script that starts the real server; rerun the command shown to
reproduce it, and add \`--write\` to replace the section here.

`;

async function writeSection(section: string): Promise<void> {
  const current = existsSync(DOC) ? await readFile(DOC, "utf8") : null;
  let next: string;
  if (current === null) {
    next = DOC_INTRO + section;
  } else {
    const start = current.indexOf(START_MARKER);
    const end = current.indexOf(END_MARKER);
    if (start >= 0 && end > start) {
      let after = current.slice(end + END_MARKER.length);
      if (after.startsWith("\n")) after = after.slice(1);
      next = current.slice(0, start) + section + after;
    } else {
      next = `${current.trimEnd()}\n\n${section}`;
    }
  }
  await mkdir(path.dirname(DOC), { recursive: true });
  await writeFile(DOC, next);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const args = process.argv.slice(2);
  const command = `npm run bench:api${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`;
  const host = "127.0.0.1";

  const dataDir = await mkdtemp(path.join(os.tmpdir(), "auspex-bench-"));
  let server: Server | undefined;
  const cleanup = async () => {
    if (server) await stopServer(server);
    await rm(dataDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping the server and removing ${dataDir}\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    const port = await freePort(host);
    const settings = {
      AUSPEX_DATA_DIR: dataDir,
      AUSPEX_HOST: host,
      AUSPEX_PORT: String(port),
      AUSPEX_RATE_LIMIT: "false",
      AUSPEX_LOG_LEVEL: "warn",
      // The default (15 min) unless a long run would outlive the one access token it uses.
      AUSPEX_ACCESS_TOKEN_TTL: String(Math.max(900, 2 * options.duration + WARMUP_SECONDS + MAX_THROUGHPUT_SECONDS + 300)),
    };
    // What the server will run with: these settings over the schema defaults (no Argon2 overrides).
    const argon2 = loadConfig(settings).auth.argon2;

    const log = (message: string) => process.stderr.write(`[bench:api] ${message}\n`);
    log(`starting the server on ${host}:${port} (data dir ${dataDir})`);
    const running = startServer(settings, port, host);
    server = running;
    // Every phase stops at once when the server dies under load.
    const abort = new AbortController();
    const { signal } = abort;
    void running.exited.then((how) => {
      if (!running.stopping) abort.abort(new Error(`the server exited unexpectedly (${how}); its last output:\n${running.output()}`));
    });
    await waitForHealth(running);

    const tokens = await postJson(`${running.baseUrl}/api/v1/auth/register`, { username: USERNAME, email: "bench@example.com", password: PASSWORD }, 201, signal);
    if (typeof tokens.access_token !== "string") throw new Error("register returned no access_token");
    const me = await fetch(`${running.baseUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${tokens.access_token}` }, signal });
    await me.arrayBuffer();
    if (me.status !== 200) throw new Error(`GET /api/v1/auth/me answered ${me.status}`);

    const load: autocannon.Options = {
      url: `${running.baseUrl}/api/v1/auth/me`,
      connections: options.connections,
      headers: { authorization: `Bearer ${tokens.access_token}` },
    };
    log(`warm-up: ${WARMUP_SECONDS} s at ${options.rate} req/s (discarded)`);
    await runLoad("warm-up", { ...load, overallRate: options.rate, duration: WARMUP_SECONDS }, signal);
    log(`paced: ${options.duration} s at ${options.rate} req/s evenly spaced, ${options.connections} connections`);
    const paced = await runPaced("Paced", { url: load.url, headers: load.headers ?? {} }, options.rate, options.duration, options.connections, signal);
    log(`fixed rate (autocannon): ${options.duration} s at ${options.rate} req/s, ${options.connections} connections`);
    const fixed = await runLoad("Fixed rate", { ...load, overallRate: options.rate, duration: options.duration }, signal);
    log(`max throughput: ${MAX_THROUGHPUT_SECONDS} s, ${options.connections} connections`);
    const max = await runLoad("Max throughput", { ...load, duration: MAX_THROUGHPUT_SECONDS }, signal);
    log(`login cost: ${options.logins} sequential logins`);
    const login = await measureLogins(running.baseUrl, options.logins, signal);

    const report: Report = { options, command, date: new Date().toISOString().replace(/\.\d+Z$/, "Z"), argon2, paced, fixed, max, login };
    const section = renderSection(report);
    process.stdout.write(`\n${section}`);
    if (options.write) {
      await writeSection(section);
      log(`wrote ${path.relative(ROOT, DOC)}`);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const cause = error instanceof Error && error.cause !== undefined ? `\ncaused by: ${error.cause instanceof Error ? error.cause.message : inspect(error.cause)}` : "";
  process.stderr.write(`bench:api failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}${cause}\n`);
  process.exitCode = 1;
});
