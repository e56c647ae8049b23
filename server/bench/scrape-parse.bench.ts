import os from "node:os";
import { performance } from "node:perf_hooks";
import { parseExposition, type OpenMetricsValidation } from "#server/platform/exposition/index.ts";

/*
 * `npm run bench:scrape`: parse throughput of the scrape exposition parser on a realistic
 * node_exporter-like body (CPU, memory, disk, filesystem, network, a few histograms and summaries,
 * ~1,070 series in ~150 families with HELP/TYPE), in text format 0.0.4 and in OpenMetrics 1.0 (strict
 * and Prometheus-compatible validation).
 * Each case parses the same body in 40 batches of 50 after a warm-up; the median batch and the best
 * batch are reported in samples/s. The best batch is the figure to compare between runs on a shared
 * machine (other processes only ever slow a batch down). Prints a markdown summary.
 */

const BATCHES = 40;
const BATCH_SIZE = 50;
const WARMUP = 500;

type Format = "text" | "openmetrics";

/** A metric family; for histograms and summaries each series' buckets or quantiles are generated. */
interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary";
  help: string;
  series: Array<{ labels: string; value: number }>;
}

const CPUS = 24;
const CPU_MODES = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"];
const DISKS = ["nvme0n1", "nvme1n1", "sda", "sdb", "dm-0", "dm-1", "loop0", "loop1"];
const MOUNTS = [
  ["/dev/nvme0n1p2", "ext4", "/"],
  ["/dev/nvme0n1p1", "vfat", "/boot/efi"],
  ["/dev/mapper/data", "xfs", "/var/lib/data"],
  ["/dev/sda1", "ext4", "/srv/backup"],
  ["tmpfs", "tmpfs", "/run"],
  ["tmpfs", "tmpfs", "/dev/shm"],
  ["tmpfs", "tmpfs", "/run/lock"],
  ["tmpfs", "tmpfs", "/run/user/1000"],
];
const NICS = ["eth0", "eth1", "lo", "docker0", "veth1a2b3c", "wg0"];
const HANDLERS = ["/api/v1/query", "/api/v1/query_range", "/api/v1/series", "/api/v1/labels", "/metrics", "/-/healthy", "/api/v1/write", "/federate"];
const BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"];

let seed = 42;
const random = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const counterValue = (): number => Math.round(random() * 1e9) / 100;

function families(): Family[] {
  const out: Family[] = [];
  const add = (name: string, type: Family["type"], help: string, labelSets: string[], value: () => number): void => {
    out.push({ name, type, help, series: labelSets.map((labels) => ({ labels, value: value() })) });
  };
  const cpuLabels = Array.from({ length: CPUS }, (_, c) => CPU_MODES.map((mode) => `cpu="${c}",mode="${mode}"`)).flat();
  add("node_cpu_seconds", "counter", "Seconds the CPUs spent in each mode.", cpuLabels, counterValue);
  add("node_cpu_guest_seconds", "counter", "Seconds the CPUs spent in guests (VMs) for each mode.", Array.from({ length: CPUS }, (_, c) => [`cpu="${c}",mode="nice"`, `cpu="${c}",mode="user"`]).flat(), () => 0);
  for (const f of ["core_throttles", "package_throttles"]) add(`node_cpu_${f}`, "counter", `Number of times this CPU ${f.replace("_", " ")} has been throttled.`, Array.from({ length: CPUS }, (_, c) => `core="${c}",package="0"`), counterValue);
  add("node_cpu_scaling_frequency_hertz", "gauge", "Current scaled CPU thread frequency in hertz.", Array.from({ length: CPUS }, (_, c) => `cpu="${c}"`), () => 2.1e9 + Math.round(random() * 1e9));
  const memory = ["Active", "Active_anon", "Active_file", "AnonHugePages", "AnonPages", "Bounce", "Buffers", "Cached", "CommitLimit", "Committed_AS", "DirectMap1G", "DirectMap2M", "DirectMap4k", "Dirty", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp", "HugePages_Total", "Hugepagesize", "Inactive", "Inactive_anon", "Inactive_file", "KernelStack", "Mapped", "MemAvailable", "MemFree", "MemTotal", "Mlocked", "NFS_Unstable", "PageTables", "SReclaimable", "SUnreclaim", "Shmem", "ShmemHugePages", "ShmemPmdMapped", "Slab", "SwapCached", "SwapFree", "SwapTotal", "Unevictable", "VmallocChunk", "VmallocTotal", "VmallocUsed", "Writeback", "WritebackTmp"];
  for (const m of memory) add(`node_memory_${m}_bytes`, "gauge", `Memory information field ${m}_bytes.`, [""], () => Math.round(random() * 3.4e10));
  const disk = ["reads_completed", "reads_merged", "read_bytes", "read_time_seconds", "writes_completed", "writes_merged", "written_bytes", "write_time_seconds", "io_time_seconds", "io_time_weighted_seconds", "discards_completed", "discarded_sectors", "flush_requests"];
  for (const d of disk) add(`node_disk_${d}`, "counter", `The total number of ${d.replaceAll("_", " ")}.`, DISKS.map((dev) => `device="${dev}"`), counterValue);
  add("node_disk_io_now", "gauge", "The number of I/Os currently in progress.", DISKS.map((dev) => `device="${dev}"`), () => Math.round(random() * 4));
  const fsLabels = MOUNTS.map(([device, fstype, mountpoint]) => `device="${device}",fstype="${fstype}",mountpoint="${mountpoint}"`);
  for (const f of ["avail_bytes", "free_bytes", "size_bytes", "files", "files_free", "readonly", "device_error"]) add(`node_filesystem_${f}`, "gauge", `Filesystem ${f.replace("_", " ")}.`, fsLabels, () => Math.round(random() * 1e12));
  const nic = ["receive_bytes", "receive_compressed", "receive_drop", "receive_errs", "receive_fifo", "receive_frame", "receive_multicast", "receive_packets", "transmit_bytes", "transmit_carrier", "transmit_colls", "transmit_compressed", "transmit_drop", "transmit_errs", "transmit_fifo", "transmit_packets"];
  for (const n of nic) add(`node_network_${n}`, "counter", `Network device statistic ${n}.`, NICS.map((dev) => `device="${dev}"`), counterValue);
  for (const n of ["mtu_bytes", "speed_bytes", "up", "carrier", "transmit_queue_length"]) add(`node_network_${n}`, "gauge", `Network device property ${n}.`, NICS.map((dev) => `device="${dev}"`), () => Math.round(random() * 1500));
  add("node_network_info", "gauge", "Non-numeric data from /sys/class/net/<iface>.", NICS.map((dev, i) => `address="52:54:00:12:34:${10 + i}",broadcast="ff:ff:ff:ff:ff:ff",device="${dev}",duplex="full",ifalias="",operstate="up"`), () => 1);
  const netstat = ["Icmp_InErrors", "Icmp_InMsgs", "Icmp_OutMsgs", "Ip_Forwarding", "IpExt_InOctets", "IpExt_OutOctets", "Tcp_ActiveOpens", "Tcp_CurrEstab", "Tcp_InErrs", "Tcp_InSegs", "Tcp_OutRsts", "Tcp_OutSegs", "Tcp_PassiveOpens", "Tcp_RetransSegs", "TcpExt_ListenDrops", "TcpExt_ListenOverflows", "TcpExt_SyncookiesFailed", "TcpExt_SyncookiesRecv", "TcpExt_SyncookiesSent", "TcpExt_TCPSynRetrans", "Udp_InDatagrams", "Udp_InErrors", "Udp_NoPorts", "Udp_OutDatagrams", "Udp_RcvbufErrors", "Udp_SndbufErrors"];
  for (const n of netstat) add(`node_netstat_${n}`, "gauge", `Statistic ${n}.`, [""], counterValue);
  for (const [name, help] of [["node_load1", "1m load average."], ["node_load5", "5m load average."], ["node_load15", "15m load average."], ["node_boot_time_seconds", "Node boot time, in unixtime."], ["node_time_seconds", "System time in seconds since epoch (1970)."], ["node_procs_running", "Number of processes in runnable state."], ["node_procs_blocked", "Number of processes blocked waiting for I/O to complete."], ["node_entropy_available_bits", "Bits of available entropy."], ["node_filefd_allocated", "File descriptor statistics: allocated."], ["node_filefd_maximum", "File descriptor statistics: maximum."]] as const) {
    add(name, "gauge", help, [""], () => Math.round(random() * 1e4) / 100);
  }
  for (const zone of ["0", "1", "2", "3"]) add(`node_hwmon_temp_celsius_${zone}`, "gauge", "Hardware monitor for temperature (input).", [`chip="pci0000:00_0000:00:18_3",sensor="temp${zone}"`], () => 30 + Math.round(random() * 400) / 10);
  add("node_scrape_collector_duration_seconds", "gauge", "node_exporter: Duration of a collector scrape.", ["cpu", "diskstats", "filesystem", "loadavg", "meminfo", "netdev", "netstat", "stat", "time", "vmstat"].map((c) => `collector="${c}"`), () => random() / 100);
  add("node_scrape_collector_success", "gauge", "node_exporter: Whether a collector succeeded.", ["cpu", "diskstats", "filesystem", "loadavg", "meminfo", "netdev", "netstat", "stat", "time", "vmstat"].map((c) => `collector="${c}"`), () => 1);
  add("promhttp_metric_handler_request_duration_seconds", "histogram", "Histogram of latencies for HTTP requests.", HANDLERS.flatMap((h) => ["GET", "POST"].map((m) => `handler="${h}",method="${m}"`)), () => 0);
  add("node_disk_io_duration_seconds", "histogram", "Distribution of I/O completion times.", DISKS.map((dev) => `device="${dev}"`), () => 0);
  add("go_gc_duration_seconds", "summary", "A summary of the pause duration of garbage collection cycles.", [""], () => 0);
  for (const g of ["go_goroutines", "go_threads", "go_memstats_alloc_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_sys_bytes", "process_resident_memory_bytes", "process_open_fds", "process_max_fds"]) add(g, "gauge", `Go runtime statistic ${g}.`, [""], () => Math.round(random() * 1e8));
  return out;
}

const withLabels = (name: string, labels: string, extra?: string): string => {
  const all = labels === "" ? (extra ?? "") : extra === undefined ? labels : `${labels},${extra}`;
  return all === "" ? name : `${name}{${all}}`;
};

/** The body in one format, and how many samples it holds. */
function render(format: Format): { body: string; samples: number } {
  seed = 42;
  const lines: string[] = [];
  let samples = 0;
  const sample = (name: string, labels: string, value: number, extra?: string): void => {
    lines.push(`${withLabels(name, labels, extra)} ${value}`);
    samples++;
  };
  for (const f of families()) {
    const total = f.type === "counter" && format === "openmetrics";
    const family = f.type === "counter" && format === "text" ? `${f.name}_total` : f.name;
    lines.push(`# HELP ${family} ${f.help}`, `# TYPE ${family} ${f.type}`);
    for (const s of f.series) {
      if (f.type === "counter" || f.type === "gauge") {
        sample(total ? `${f.name}_total` : family, s.labels, s.value);
      } else if (f.type === "histogram") {
        let cumulative = 0;
        for (const le of BUCKETS) {
          cumulative += Math.round(random() * 50);
          sample(`${f.name}_bucket`, s.labels, cumulative, `le="${le}"`);
        }
        cumulative += Math.round(random() * 5);
        sample(`${f.name}_bucket`, s.labels, cumulative, 'le="+Inf"');
        sample(`${f.name}_sum`, s.labels, Math.round(random() * 1e6) / 1000);
        sample(`${f.name}_count`, s.labels, cumulative);
      } else {
        for (const q of ["0", "0.25", "0.5", "0.75", "1"]) sample(f.name, s.labels, random() / 1000, `quantile="${q}"`);
        sample(`${f.name}_sum`, s.labels, random() * 10);
        sample(`${f.name}_count`, s.labels, 12345);
      }
    }
  }
  if (format === "openmetrics") lines.push("# EOF");
  return { body: `${lines.join("\n")}\n`, samples };
}

/** Samples/s of the median and the best batch. */
function measure(body: string | Uint8Array, c: Case, expected: number): { median: number; best: number } {
  const runOnce = (): void => {
    const parsed = parseExposition(body, c.contentType, { openMetricsValidation: c.validation });
    if (parsed.samples.length !== expected) throw new Error(`parsed ${parsed.samples.length} samples, expected ${expected}`);
  };
  for (let i = 0; i < WARMUP; i++) runOnce();
  const rates: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < BATCH_SIZE; i++) runOnce();
    rates.push((BATCH_SIZE * expected) / ((performance.now() - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)] ?? 0, best: rates[rates.length - 1] ?? 0 };
}

interface Case {
  format: Format;
  label: string;
  contentType: string;
  validation: OpenMetricsValidation;
  inputs: ReadonlyArray<"string" | "UTF-8 bytes">;
}

const cases: Case[] = [
  { format: "text", label: "text 0.0.4", contentType: "text/plain; version=0.0.4", validation: "strict", inputs: ["string", "UTF-8 bytes"] },
  { format: "openmetrics", label: "OpenMetrics 1.0, strict", contentType: "application/openmetrics-text; version=1.0.0", validation: "strict", inputs: ["string", "UTF-8 bytes"] },
  { format: "openmetrics", label: "OpenMetrics 1.0, Prometheus-compatible", contentType: "application/openmetrics-text; version=1.0.0", validation: "prometheus", inputs: ["string"] },
];
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const rows: string[] = [];
for (const c of cases) {
  const { body, samples } = render(c.format);
  const bytes = new TextEncoder().encode(body);
  const series = new Set(body.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => line.slice(0, line.lastIndexOf(" ")))).size;
  for (const label of c.inputs) {
    const { median, best } = measure(label === "string" ? body : bytes, c, samples);
    rows.push(`| ${c.label} | ${label} | ${fmt(series)} | ${fmt(bytes.length)} | ${fmt(median)} | ${fmt(best)} | ${((1000 * samples) / median).toFixed(2)} |`);
  }
}

console.log(
  [
    "### Scrape parse throughput",
    "",
    `\`npm run bench:scrape\` — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"} ` +
      `(${os.cpus().length} cores), load average ${os.loadavg()[0]?.toFixed(2) ?? "?"} at the end. ${BATCHES} batches of ${BATCH_SIZE} parses.`,
    "",
    "| format | input | samples (= series) per body | body bytes | samples/s, median batch | samples/s, best batch | ms per body (median) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
  ].join("\n"),
);
