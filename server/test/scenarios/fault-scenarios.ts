import type { CauseKind } from "@auspex/shared/contracts/rca.ts";
import { seededRandom } from "#test/support/random.ts";

/*
 * Realistic multi-metric fault scenarios for the RCA suite: node_exporter-like hosts (cumulative
 * per-CPU/per-mode counters, per-device disk and network counters, per-mountpoint filesystems,
 * memory and swap gauges, load) plus app-level latency series, a day of normal history with a
 * diurnal swing and noise, then one injected fault that starts somewhere and propagates to its
 * symptoms over minutes to an hour.
 *
 * Every run has three hosts: the web host running the `api` service (where host faults are
 * injected), the database host the api calls (its own query latency is a series of job
 * `postgres`; the dependency fault is injected there), and an unrelated healthy neighbour.
 */

export type ScenarioKind =
  | "memory_leak"
  | "disk_filling"
  | "cpu_hog"
  | "io_saturation"
  | "network_errors"
  | "noisy_neighbour"
  | "dependency_latency"
  | "db_memory_leak"
  | "crash_loop"
  | "control";

export const EXPECTED_CAUSE: Readonly<Record<ScenarioKind, CauseKind | null>> = {
  memory_leak: "memory_exhaustion",
  disk_filling: "disk_full",
  cpu_hog: "cpu_saturation",
  io_saturation: "io_saturation",
  network_errors: "network_errors",
  noisy_neighbour: "cpu_steal",
  dependency_latency: "dependency_latency",
  db_memory_leak: "memory_exhaustion",
  crash_loop: "process_restart",
  control: null,
};

export interface ScenarioSpec {
  name: string;
  kind: ScenarioKind;
  seed: number;
  /** 0.5 (mild) … 1.5 (severe): scales the fault's magnitudes. */
  severity: number;
  /** How long the fault takes to develop, relative (0.6 fast … 1.5 slow). */
  pace: number;
  /** Minutes after the end of the normal history when the fault starts. */
  onsetMinutes: number;
  cpus: number;
  memoryGiB: number;
  /** Suffix of the host names of this run (web-<suffix>, db-<suffix>, batch-<suffix>). */
  hosts: string;
  /** Whether the web host has swap (without it a memory leak ends in OOM kills and restarts). */
  swap: boolean;
  /** An unrelated job on the batch host around the same time (a distraction the ranking must see through). */
  distractor: "none" | "batch_cpu" | "batch_io";
  /** Its start relative to the fault's (minutes, may be negative). */
  distractorOffsetMinutes: number;
}

export interface ScenarioSeries {
  labels: Record<string, string>;
  t: number[];
  v: number[];
}

export interface GeneratedScenario {
  spec: ScenarioSpec;
  expected: CauseKind | null;
  /** Where the fault sits (instances), for the report. */
  faultInstances: string[];
  start: number;
  faultStart: number;
  end: number;
  step: number;
  series: ScenarioSeries[];
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const GiB = 1024 ** 3;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** 0 before `start`, 1 after `start + duration`, smooth in between. */
const ramp = (t: number, start: number, duration: number) => {
  const x = clamp((t - start) / duration, 0, 1);
  return x * x * (3 - 2 * x);
};

/** What a fault adds to a host's normal behaviour at one instant. */
interface Effects {
  memUsed: number;
  swapUsed: number;
  majfaults: number;
  user: number;
  system: number;
  iowait: number;
  steal: number;
  load: number;
  diskBusy: number;
  diskRead: number;
  diskWrite: number;
  dataFill: number;
  netErrs: number;
  netDrops: number;
  ctx: number;
  latency: number;
  clientLatency: number;
  dbLatency: number;
}
const noEffects = (): Effects => ({
  memUsed: 0,
  swapUsed: 0,
  majfaults: 0,
  user: 0,
  system: 0,
  iowait: 0,
  steal: 0,
  load: 0,
  diskBusy: 0,
  diskRead: 0,
  diskWrite: 0,
  dataFill: 0,
  netErrs: 0,
  netDrops: 0,
  ctx: 0,
  latency: 1,
  clientLatency: 1,
  dbLatency: 1,
});

interface HostShape {
  instance: string;
  cpus: number;
  memTotal: number;
  swapTotal: number;
  availShare: number;
  userBase: number;
  stealBase: number;
  dataSize: number;
  dataAvail: number;
  rootSize: number;
  rootAvail: number;
  netBase: number;
  phase: number;
}

/** One node_exporter host: cumulative counters advanced step by step. */
function nodeHost(shape: HostShape, rand: () => number, step: number) {
  const gauss = () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const modes = ["user", "system", "iowait", "steal", "idle"] as const;
  const cpu = Array.from({ length: shape.cpus }, () => ({ user: 1e5, system: 3e4, iowait: 2e3, steal: 500, idle: 4e5 }));
  const c = { majfault: 3e5, ctx: 8e9, ioTime: 2e4, read: 5e11, written: 9e11, rx: 3e12, tx: 2e12, rxErrs: 3, txErrs: 0, rxDrop: 40 };
  let dataAvail = shape.dataAvail;
  let leakFloor = Number.POSITIVE_INFINITY;
  const dt = step / 1000;
  return (t: number, e: Effects): Array<[Record<string, string>, number]> => {
    const day = 1 + 0.18 * Math.sin((2 * Math.PI * t) / DAY + shape.phase);
    const user0 = clamp(shape.userBase * day * (1 + 0.08 * gauss()), 0.02, 0.9);
    const out: Array<[Record<string, string>, number]> = [];
    let busySum = 0;
    for (let i = 0; i < shape.cpus; i++) {
      const jitter = 1 + 0.1 * gauss();
      const steal = clamp(shape.stealBase * (1 + 0.3 * gauss()) + e.steal * (1 + 0.05 * gauss()), 0, 0.6);
      const user = clamp(user0 * jitter + e.user, 0, 0.99 - steal);
      const system = clamp(user0 * 0.3 * jitter + e.system, 0, 0.99 - steal - user);
      const iowait = clamp(0.012 + 0.004 * gauss() + e.iowait * (1 + 0.1 * gauss()), 0, Math.max(0, 1 - steal - user - system));
      const idle = Math.max(0, 1 - user - system - iowait - steal);
      busySum += user + system;
      const share = { user, system, iowait, steal, idle };
      const counters = cpu[i]!;
      for (const mode of modes) counters[mode] += share[mode] * dt;
    }
    const busy = busySum / shape.cpus;
    const load = Math.max(0.01, shape.cpus * busy * 1.05 + e.load * shape.cpus + 0.15 * Math.abs(gauss()));

    const memUsedNormal = shape.memTotal * (1 - shape.availShare) * (1 + 0.01 * Math.sin((2 * Math.PI * t) / DAY + shape.phase)) + shape.memTotal * 0.003 * gauss();
    let avail = shape.memTotal - memUsedNormal - e.memUsed;
    if (e.memUsed > 0) {
      // The kernel keeps a little free memory; once the leak reaches it, pages go to swap instead.
      const floor = shape.memTotal * (0.015 + 0.004 * rand());
      leakFloor = Math.min(leakFloor, floor);
      avail = Math.max(avail, leakFloor);
    }
    const swapFree = shape.swapTotal === 0 ? 0 : clamp(shape.swapTotal - 60e6 - e.swapUsed - 2e6 * Math.abs(gauss()), 0, shape.swapTotal);

    c.majfault += dt * Math.max(0, 0.8 + 0.6 * gauss() + e.majfaults * (1 + 0.1 * gauss()));
    c.ctx += dt * (2500 + 18000 * busy + e.ctx) * (1 + 0.03 * gauss());
    c.ioTime += dt * clamp(0.03 + 0.08 * busy + 0.01 * gauss() + e.diskBusy, 0, 1);
    c.read += dt * Math.max(0, 1.5e6 * day + 4e5 * gauss() + e.diskRead);
    c.written += dt * Math.max(0, 4e6 * day + 8e5 * gauss() + e.diskWrite + e.dataFill);
    const net = shape.netBase * day * (1 + 0.05 * gauss());
    c.rx += dt * net;
    c.tx += dt * net * 0.6;
    if (rand() < 0.004) c.rxErrs += 1;
    c.rxErrs += dt * e.netErrs * (1 + 0.2 * gauss() ** 2);
    c.txErrs += dt * e.netErrs * 0.1;
    if (rand() < 0.02) c.rxDrop += 1;
    c.rxDrop += dt * e.netDrops * (1 + 0.2 * gauss() ** 2);
    dataAvail = Math.max(shape.dataSize * 0.004, dataAvail - dt * (2e3 + e.dataFill) + 3e5 * gauss());

    const s = (name: string, value: number, labels: Record<string, string> = {}) => out.push([{ __name__: name, instance: shape.instance, job: "node", ...labels }, value]);
    for (let i = 0; i < shape.cpus; i++) for (const mode of modes) s("node_cpu_seconds_total", cpu[i]![mode], { cpu: String(i), mode });
    s("node_load1", load);
    s("node_load5", load * 0.95);
    s("node_memory_MemTotal_bytes", shape.memTotal);
    s("node_memory_MemAvailable_bytes", avail);
    s("node_memory_SwapTotal_bytes", shape.swapTotal);
    s("node_memory_SwapFree_bytes", swapFree);
    s("node_vmstat_pgmajfault", Math.round(c.majfault));
    s("node_context_switches_total", Math.round(c.ctx));
    s("node_disk_io_time_seconds_total", c.ioTime, { device: "sda" });
    s("node_disk_read_bytes_total", Math.round(c.read), { device: "sda" });
    s("node_disk_written_bytes_total", Math.round(c.written), { device: "sda" });
    s("node_filesystem_size_bytes", shape.rootSize, { device: "/dev/sda1", fstype: "ext4", mountpoint: "/" });
    s("node_filesystem_avail_bytes", shape.rootAvail + 2e6 * gauss(), { device: "/dev/sda1", fstype: "ext4", mountpoint: "/" });
    s("node_filesystem_size_bytes", shape.dataSize, { device: "/dev/sda2", fstype: "xfs", mountpoint: "/var/lib/data" });
    s("node_filesystem_avail_bytes", dataAvail, { device: "/dev/sda2", fstype: "xfs", mountpoint: "/var/lib/data" });
    s("node_network_receive_bytes_total", Math.round(c.rx), { device: "eth0" });
    s("node_network_transmit_bytes_total", Math.round(c.tx), { device: "eth0" });
    s("node_network_receive_errs_total", Math.round(c.rxErrs), { device: "eth0" });
    s("node_network_transmit_errs_total", Math.round(c.txErrs), { device: "eth0" });
    s("node_network_receive_drop_total", Math.round(c.rxDrop), { device: "eth0" });
    return out;
  };
}

/** Builds a scenario's series: `historyDays` of normal behaviour at `step`, then the fault and `faultHours` after its start. */
export function generateScenario(spec: ScenarioSpec, options: { start: number; step: number; historyDays: number; faultHours: number }): GeneratedScenario {
  const rand = seededRandom(spec.seed);
  const { start, step } = options;
  const historyEnd = start + options.historyDays * DAY;
  const faultStart = historyEnd + spec.onsetMinutes * MINUTE;
  const end = faultStart + options.faultHours * 3_600_000;
  const sev = spec.severity;
  const pace = spec.pace;
  const web = `web-${spec.hosts}:9100`;
  const db = `db-${spec.hosts}:9100`;
  const batch = `batch-${spec.hosts}:9100`;
  const apiInstance = `web-${spec.hosts}:8080`;
  const dbService = `db-${spec.hosts}:9187`;

  const shape = (instance: string, cpus: number, memGiB: number): HostShape => ({
    instance,
    cpus,
    memTotal: memGiB * GiB,
    swapTotal: instance === web && !spec.swap ? 0 : (memGiB >= 16 ? 4 : 2) * GiB,
    availShare: 0.45 + 0.25 * rand(),
    userBase: 0.12 + 0.18 * rand(),
    stealBase: 0.002 + 0.006 * rand(),
    dataSize: (200 + Math.round(rand() * 300)) * GiB,
    dataAvail: 0,
    rootSize: 40 * GiB,
    rootAvail: (14 + 10 * rand()) * GiB,
    netBase: 2e6 + 8e6 * rand(),
    phase: rand() * 2 * Math.PI,
  });
  const webShape = shape(web, spec.cpus, spec.memoryGiB);
  const dbShape = shape(db, 4, 32);
  const batchShape = shape(batch, 2, 8);
  for (const s of [webShape, dbShape, batchShape]) s.dataAvail = s.dataSize * (0.3 + 0.3 * rand());
  const hosts = [
    { shape: webShape, next: nodeHost(webShape, seededRandom(spec.seed * 7 + 1), step) },
    { shape: dbShape, next: nodeHost(dbShape, seededRandom(spec.seed * 7 + 2), step) },
    { shape: batchShape, next: nodeHost(batchShape, seededRandom(spec.seed * 7 + 3), step) },
  ];
  const appRand = seededRandom(spec.seed * 7 + 4);
  const appGauss = () => Math.sqrt(-2 * Math.log(Math.max(appRand(), 1e-12))) * Math.cos(2 * Math.PI * appRand());
  const latencyBase = 0.08 + 0.1 * rand();
  const clientBase = 0.008 + 0.01 * rand();
  const dbBase = 0.005 + 0.006 * rand();
  const requestsBase = 40 + 200 * rand();
  let requests = 1e7;
  // Time constants of this variant.
  const leakMinutes = (45 + 40 * rand()) * pace;
  const swapMinutes = (20 + 15 * rand()) * pace;
  const fillMinutes = (70 + 50 * rand()) * pace;
  const lag = (2 + 4 * rand()) * MINUTE;
  const oomAt = spec.kind === "memory_leak" && !spec.swap ? faultStart + (leakMinutes * 0.8 + swapMinutes * 0.7) * MINUTE : undefined;
  const restarts: number[] = [];
  if (spec.kind === "crash_loop") for (let r = faultStart; r < end; r += (6 + 10 * rand()) * pace * MINUTE) restarts.push(Math.round(r / step) * step);
  if (oomAt !== undefined) restarts.push(Math.round(oomAt / step) * step);

  /**
   * A memory leak on a host from the fault's start: available memory drains; near the floor the
   * kernel swaps (or, without swap, evicts file pages), and major faults, I/O wait, disk reads and
   * load follow. Without swap the OOM killer ends it by killing the api, which restarts and leaks
   * again. Returns when the memory pressure (paging) began.
   */
  const memoryLeak = (t: number, m: Effects, host: HostShape, swap: boolean): number => {
    const cycleStart = oomAt !== undefined && t >= oomAt ? oomAt + 2 * MINUTE : faultStart;
    const leak = ramp(t, cycleStart, leakMinutes * MINUTE);
    m.memUsed = leak * host.memTotal * host.availShare * 1.05;
    const pressureStart = cycleStart + leakMinutes * 0.8 * MINUTE;
    const pressure = ramp(t, pressureStart, swapMinutes * MINUTE);
    m.swapUsed = pressure * host.swapTotal * clamp(0.45 * sev, 0.15, 0.9);
    m.majfaults = pressure * (swap ? 250 : 120) * sev;
    m.iowait = pressure * (swap ? 0.22 : 0.12) * sev;
    m.system = pressure * 0.04;
    m.diskBusy = pressure * (swap ? 0.5 : 0.3) * sev;
    m.diskRead = pressure * 30e6 * sev;
    m.load = pressure * 0.9 * sev;
    m.latency = 1 + ramp(t, pressureStart + lag, 10 * MINUTE) * 5 * sev;
    m.clientLatency = 1 + ramp(t, pressureStart + lag, 10 * MINUTE) * 1.5 * sev;
    return pressureStart;
  };
  const distractorStart = faultStart + spec.distractorOffsetMinutes * MINUTE;
  const distractorMinutes = 20 + 25 * rand();

  /** The fault's effects on the web host (or the db service) at t. */
  const faultEffects = (t: number): { web: Effects; db: Effects; batch: Effects } => {
    const w = noEffects();
    const d = noEffects();
    switch (spec.kind) {
      case "memory_leak":
        memoryLeak(t, w, webShape, spec.swap);
        break;
      case "db_memory_leak": {
        // The database host leaks: its queries slow down once it pages, and the api's calls follow.
        const pressureStart = memoryLeak(t, d, dbShape, true);
        d.dbLatency = 1 + ramp(t, pressureStart + lag / 2, 8 * MINUTE) * 8 * sev;
        w.clientLatency = 1 + ramp(t, pressureStart + lag / 2 + MINUTE, 8 * MINUTE) * 6 * sev;
        w.latency = 1 + ramp(t, pressureStart + lag / 2 + 2 * MINUTE, 8 * MINUTE) * 2.5 * sev;
        d.clientLatency = 1;
        break;
      }
      case "crash_loop": {
        // A bad config push: the api crashes every few minutes; each start is slow (cold caches, warm-up CPU).
        const since = restarts.filter((r) => r <= t).at(-1);
        const warm = since === undefined ? 0 : 1 - ramp(t, since, 4 * MINUTE);
        w.latency = 1 + warm * 4 * sev;
        w.clientLatency = 1 + warm * 0.5 * sev;
        w.user = warm * 0.12;
        break;
      }
      case "disk_filling": {
        // A runaway job writes to /var/lib/data until it is full.
        const fillRate = (webShape.dataAvail * (0.98 + 0.02 * sev)) / (fillMinutes * 60);
        const writing = t >= faultStart ? 1 : 0;
        w.dataFill = writing * fillRate;
        w.diskBusy = writing * 0.12 * sev;
        w.iowait = writing * 0.02 * sev;
        const fullAt = faultStart + fillMinutes * MINUTE;
        w.latency = 1 + ramp(t, fullAt, 3 * MINUTE) * 3 * sev;
        break;
      }
      case "cpu_hog": {
        const hog = ramp(t, faultStart, 4 * pace * MINUTE);
        w.user = hog * Math.max(0.2, clamp(0.55 + 0.35 * sev, 0.6, 0.97) - webShape.userBase * 1.3);
        w.load = hog * (0.8 + 1.2 * sev);
        w.ctx = hog * 30000 * sev;
        // The hungry process also writes some output.
        w.diskBusy = hog * 0.08;
        w.diskWrite = hog * 8e6;
        w.latency = 1 + ramp(t, faultStart + lag, 6 * MINUTE) * 3 * sev;
        w.clientLatency = 1 + ramp(t, faultStart + lag, 6 * MINUTE) * 0.5 * sev;
        break;
      }
      case "io_saturation": {
        const io = ramp(t, faultStart, 5 * pace * MINUTE);
        w.diskBusy = io * clamp(0.5 + 0.4 * sev, 0.55, 0.95);
        w.diskRead = io * 120e6 * sev;
        w.iowait = io * 0.25 * sev;
        // The backup also compresses what it reads.
        w.user = io * 0.15 * sev;
        w.load = io * 0.7 * sev;
        w.latency = 1 + ramp(t, faultStart + lag, 8 * MINUTE) * 3 * sev;
        break;
      }
      case "network_errors": {
        const bad = ramp(t, faultStart, 3 * pace * MINUTE);
        w.netErrs = bad * 30 * sev ** 3;
        w.netDrops = bad * 60 * sev ** 3;
        w.latency = 1 + ramp(t, faultStart + lag, 5 * MINUTE) * 2 * sev;
        w.clientLatency = 1 + ramp(t, faultStart + lag, 5 * MINUTE) * 4 * sev;
        break;
      }
      case "noisy_neighbour": {
        const steal = ramp(t, faultStart, 8 * pace * MINUTE);
        w.steal = steal * clamp(0.25 * sev, 0.1, 0.45);
        w.load = steal * 0.4 * sev;
        w.latency = 1 + ramp(t, faultStart + lag, 8 * MINUTE) * 2 * sev;
        break;
      }
      case "dependency_latency": {
        // Lock contention in the database: its query latency climbs, the api's calls to it follow.
        const slow = ramp(t, faultStart, 8 * pace * MINUTE);
        d.dbLatency = 1 + slow * 10 * sev;
        // Queries piling up behind the locks cost the database host some CPU too.
        d.user = slow * 0.12 * sev;
        w.clientLatency = 1 + ramp(t, faultStart + MINUTE, 8 * pace * MINUTE) * 8 * sev;
        w.latency = 1 + ramp(t, faultStart + 2 * MINUTE, 8 * pace * MINUTE) * 3 * sev;
        w.user = -slow * webShape.userBase * 0.3;
        break;
      }
      case "control":
        break;
    }
    const b = noEffects();
    const job = t >= distractorStart && t < distractorStart + distractorMinutes * MINUTE ? ramp(t, distractorStart, 2 * MINUTE) : 0;
    if (spec.distractor === "batch_cpu") {
      b.user = job * 0.75;
      b.load = job * 1.2;
    } else if (spec.distractor === "batch_io") {
      b.diskBusy = job * 0.85;
      b.diskRead = job * 80e6;
      b.iowait = job * 0.2;
    }
    return { web: w, db: d, batch: b };
  };

  const series = new Map<string, ScenarioSeries>();
  const push = (labels: Record<string, string>, t: number, v: number) => {
    const key = JSON.stringify(labels);
    let s = series.get(key);
    if (!s) series.set(key, (s = { labels, t: [], v: [] }));
    s.t.push(t);
    s.v.push(v);
  };
  for (let t = start; t <= end; t += step) {
    const { web: w, db: d, batch: b } = faultEffects(t);
    for (const host of hosts) for (const [labels, v] of host.next(t, host.shape === webShape ? w : host.shape === dbShape ? { ...d, dbLatency: 1 } : b)) push(labels, t, v);
    const day = 1 + 0.18 * Math.sin((2 * Math.PI * t) / DAY + webShape.phase);
    const api = { instance: apiInstance, job: "api" };
    push({ __name__: "http_request_duration_seconds", ...api, handler: "/api/orders", quantile: "0.99" }, t, latencyBase * (0.9 + 0.1 * day) * w.latency * Math.exp(0.08 * appGauss()));
    push({ __name__: "http_client_request_duration_seconds", ...api, peer: dbService, quantile: "0.99" }, t, clientBase * w.clientLatency * Math.exp(0.1 * appGauss()));
    requests += (step / 1000) * requestsBase * day;
    const lastStart = restarts.filter((r) => r <= t).at(-1);
    if (lastStart === t) requests = 0;
    push({ __name__: "process_start_time_seconds", ...api }, t, lastStart !== undefined ? Math.floor(lastStart / 1000) + 3 : Math.floor(start / 1000) - 86_400 * 3);
    push({ __name__: "http_requests_total", ...api, handler: "/api/orders" }, t, Math.round(requests));
    push({ __name__: "pg_query_duration_seconds", instance: dbService, job: "postgres", quantile: "0.99" }, t, dbBase * d.dbLatency * Math.exp(0.1 * appGauss()));
  }
  const faultInstances = spec.kind === "control" ? [] : spec.kind === "dependency_latency" ? [dbService] : spec.kind === "db_memory_leak" ? [db] : spec.kind === "crash_loop" ? [apiInstance] : [web];
  return { spec, expected: EXPECTED_CAUSE[spec.kind], faultInstances, start, faultStart, end, step, series: [...series.values()] };
}

/**
 * The suite: every fault kind in `variants` variants (hosts, seeds, sizes, severities, timings,
 * swap or none, an unrelated batch job nearby or not) plus controls. Variant v of every kind
 * shares nothing but the seed stream.
 */
export function scenarioSuite(variants = 2, seed = 20261122): ScenarioSpec[] {
  const kinds: ScenarioKind[] = [
    "memory_leak",
    "disk_filling",
    "cpu_hog",
    "io_saturation",
    "network_errors",
    "noisy_neighbour",
    "dependency_latency",
    "db_memory_leak",
    "crash_loop",
    "control",
  ];
  const distractors = ["none", "batch_cpu", "batch_io"] as const;
  const specs: ScenarioSpec[] = [];
  const rand = seededRandom(seed);
  let n = 0;
  for (let v = 0; v < variants; v++) {
    for (const kind of kinds) {
      n++;
      const distractor = kind === "control" ? "none" : distractors[Math.floor(rand() * 3)]!;
      specs.push({
        name: `${kind}#${v + 1}`,
        kind,
        seed: seed + n * 17,
        severity: 0.3 + 1.2 * rand(),
        pace: 0.6 + 0.9 * rand(),
        onsetMinutes: Math.round(10 + 50 * rand()),
        cpus: [2, 4][Math.floor(rand() * 2)]!,
        memoryGiB: [8, 16, 32][Math.floor(rand() * 3)]!,
        hosts: `${String.fromCharCode(97 + (v % 26))}${n}`,
        swap: rand() < 0.6,
        distractor,
        distractorOffsetMinutes: Math.round(-40 + 70 * rand()),
      });
    }
  }
  return specs;
}
