import type { CauseKind, FixPlan, RankedCause, Rca, Severity } from "@auspex/shared/contracts/rca.ts";
import { hostMatcher, type AnomalyInput } from "#server/modules/rca/evidence-queries.rules.ts";
import type { CauseCandidate, Ranking } from "#server/modules/rca/rank-causes.rules.ts";
import { SIGNAL_LABELS, capitalize, formatTime, formatValue, movementText, signalName } from "#server/modules/rca/rca-format.rules.ts";
import type { SignalObservation } from "#server/modules/rca/signals.rules.ts";

/**
 * The RCA's words without an LLM: title, summary, root cause, fix plan, severity and confidence
 * templated from the ranked causes and the evidence they cite. Pure.
 */

const KIND_TITLES: Readonly<Record<CauseKind, string>> = {
  memory_exhaustion: "Memory exhaustion",
  disk_full: "Filesystem filling up",
  cpu_saturation: "CPU saturation",
  cpu_steal: "CPU steal by the hypervisor",
  io_saturation: "Disk I/O saturation",
  network_errors: "Network interface errors",
  process_restart: "Process restart",
  dependency_latency: "Slow dependency",
  unknown: "Anomalies without a clear cause",
};

const where = (c: CauseCandidate) => c.targets[0] ?? (c.host || "the affected hosts");
const label = (c: CauseCandidate, name: string) => c.primary.map((o) => o.labels[name]).find((v) => v !== undefined && v !== "");
const cite = (ids: readonly string[]) => (ids.length > 0 ? ` [${ids.join(", ")}]` : "");

/** "Memory exhaustion on web-1:9100", "Filesystem /data filling up on db-1:9100", … */
export function causeTitle(c: CauseCandidate): string {
  switch (c.kind) {
    case "disk_full": {
      const mount = label(c, "mountpoint");
      return mount ? `Filesystem ${mount} filling up on ${where(c)}` : `${KIND_TITLES.disk_full} on ${where(c)}`;
    }
    case "io_saturation": {
      const device = label(c, "device");
      return `${KIND_TITLES.io_saturation} on ${where(c)}${device ? ` (${device})` : ""}`;
    }
    case "network_errors": {
      const device = label(c, "device");
      return `${KIND_TITLES.network_errors} on ${where(c)}${device ? ` (${device})` : ""}`;
    }
    case "dependency_latency":
      return c.dependency ? `Slow dependency ${c.dependency.peer} (called by ${c.dependency.caller})` : `${KIND_TITLES.dependency_latency} ${where(c)}`;
    case "unknown":
      return c.targets.length > 0 ? `${KIND_TITLES.unknown} on ${c.targets.slice(0, 3).join(", ")}` : KIND_TITLES.unknown;
    default:
      return `${KIND_TITLES[c.kind]} on ${where(c)}`;
  }
}

/** One or two sentences on why this cause is (or is not) the likely one. */
export function causeExplanation(c: CauseCandidate): string {
  const parts: string[] = [];
  const lead = c.primary[0];
  if (c.kind === "unknown") {
    parts.push("No node_exporter signal or service series crossed a failure threshold; the anomalies alone do not point at one failure mode.");
  } else if (c.kind === "dependency_latency" && c.dependency) {
    const d = c.dependency;
    if (d.peerSeries?.onset != null) parts.push(`${signalName(d.peerSeries)} rose first (${formatTime(d.peerSeries.onset)}), and ${d.caller}'s latency followed.`);
    else parts.push(`Calls from ${d.caller} to ${d.peer} slowed down, but ${d.peer}'s own series did not show it.`);
  } else if (lead) {
    parts.push(`${movementText(lead)}${lead.onset !== null ? ` from ${formatTime(lead.onset)}` : ""}${lead.saturated ? ", past its saturation point" : ""}.`);
  } else if (c.anomalies.length > 0) {
    parts.push(`Only detection's anomaly records point here (${c.anomalies.map((a) => a.metric).slice(0, 3).join(", ")}); the queried signals stayed within their normal range.`);
  }
  if (c.kind !== "unknown" && c.symptoms.length > 0) {
    const names = [...new Set(c.symptoms.map((o) => (o.signal === "service" ? (o.labels.__name__ ?? "service latency") : SIGNAL_LABELS[o.signal])))];
    parts.push(`Followed by ${names.slice(0, 5).join(", ")}.`);
  }
  if (c.explainedBy) parts.push(`Likely a symptom of ${KIND_TITLES[c.explainedBy.kind].toLowerCase()} on ${c.explainedBy.host}, which started no later.`);
  return parts.map(capitalize).join(" ");
}

function fmt(o: SignalObservation | undefined): string {
  return o ? formatValue(o.peak, o.unit) : "?";
}

/** Concrete steps for the cause, naming its instance, mountpoint, device or peer. */
export function fixPlanFor(c: CauseCandidate): FixPlan {
  const target = where(c);
  const host = c.host || target;
  const sel = c.host ? hostMatcher(c.host) : "";
  switch (c.kind) {
    case "memory_exhaustion":
      return {
        immediate: [
          `Find the process whose memory keeps growing on ${host} (\`ps aux --sort=-rss | head\`) and restart it or roll back its latest deploy; available memory reached ${fmt(c.primary.find((o) => o.signal === "memory_available_ratio"))}.`,
          `Check the kernel log on ${host} for OOM kills (\`journalctl -k | grep -i -e oom -e "killed process"\`).`,
          `Once memory is free again, empty swap so the system stops paging (\`swapoff -a && swapon -a\` when free RAM exceeds used swap).`,
        ],
        prevention: [
          `Give the service a memory limit (systemd \`MemoryMax=\` or a container limit) so a leak restarts one process instead of swapping the whole host.`,
          `Alert before exhaustion: \`node_memory_MemAvailable_bytes{${sel}} / node_memory_MemTotal_bytes{${sel}} < 0.1\` for 10 minutes.`,
          `Profile the service's heap over a day (or compare heap snapshots) to find and fix the leak.`,
        ],
      };
    case "disk_full": {
      const mount = label(c, "mountpoint") ?? "/";
      const device = label(c, "device");
      const fs = `${sel}${sel ? "," : ""}mountpoint="${mount}"`;
      return {
        immediate: [
          `Find what is growing under ${mount} on ${host} (\`du -xh --max-depth=2 ${mount} | sort -h | tail\`) and stop the writer if it is runaway (free space reached ${fmt(c.primary.find((o) => o.signal === "filesystem_avail_ratio"))}).`,
          `Free space on ${mount}: rotate and compress logs, delete old backups or dumps, or clear deleted-but-open files (\`lsof +L1\`).`,
          `If the data is legitimate, grow the volume${device ? ` (${device})` : ""} and the filesystem.`,
        ],
        prevention: [
          `Alert on the trend, not only the level: \`predict_linear(node_filesystem_avail_bytes{${fs}}[6h], 24 * 3600) < 0\`.`,
          `Cap what can fill ${mount}: log rotation by size, retention on backups and dumps, quotas for batch jobs.`,
        ],
      };
    }
    case "cpu_saturation":
      return {
        immediate: [
          `Find the process using the CPU on ${host} (\`top -o %CPU\`, \`pidstat -u 5\`); busy time reached ${fmt(c.primary[0])}. Throttle, restart or move it if it is a runaway or batch job.`,
          `If it is legitimate traffic, add capacity: scale out or give ${host} more CPUs.`,
        ],
        prevention: [
          `Put CPU quotas on batch and background work (systemd \`CPUQuota=\`, container CPU limits) so it cannot starve the service.`,
          `Alert on sustained saturation: \`1 - avg by (instance) (rate(node_cpu_seconds_total{${sel},mode="idle"}[5m])) > 0.85\` for 15 minutes, and plan capacity from its trend.`,
        ],
      };
    case "cpu_steal":
      return {
        immediate: [
          `${host} is losing CPU to other guests on its hypervisor (steal ${fmt(c.primary[0])}): migrate the VM to another hypervisor (a stop/start on most clouds) or ask the provider.`,
          `Meanwhile move latency-sensitive load off ${host}; adding work there makes it worse.`,
        ],
        prevention: [
          `Run the service on dedicated or non-burstable instances; on burstable ones, watch the CPU credit balance.`,
          `Alert on \`avg by (instance) (rate(node_cpu_seconds_total{${sel},mode="steal"}[5m])) > 0.1\` for 10 minutes.`,
        ],
      };
    case "io_saturation": {
      const device = label(c, "device");
      return {
        immediate: [
          `Find the process doing the I/O on ${host} (\`iotop -o\`, \`pidstat -d 5\`): a backup, compaction, reindex or scan; pause it or lower its priority (\`ionice -c3 -p <pid>\`).`,
          `Check the health and queue of ${device ? `device ${device}` : "the busy device"} (\`iostat -x 5\`, \`smartctl -a\`).`,
        ],
        prevention: [
          `Schedule heavy I/O jobs off-peak and run them with \`ionice -c3\`; keep data, logs and backups on separate volumes.`,
          `Alert on \`rate(node_disk_io_time_seconds_total{${sel}}[5m]) > 0.8\` for 15 minutes; move to faster or provisioned-IOPS storage if it is the normal load.`,
        ],
      };
    }
    case "network_errors": {
      const device = label(c, "device") ?? "the interface";
      return {
        immediate: [
          `Inspect ${device} on ${host} (\`ip -s link show ${device}\`, \`ethtool -S ${device}\`); errors at ${fmt(c.primary[0])} point to a bad cable, NIC, driver, duplex or MTU mismatch.`,
          `Move traffic away from ${host} (drain it from the load balancer) until the interface is healthy.`,
        ],
        prevention: [
          `Alert on \`rate(node_network_receive_errs_total{${sel}}[5m]) > 0\` and on drops, so a failing link is caught before users are.`,
          `Keep NIC firmware and drivers current and check the switch port's counters.`,
        ],
      };
    }
    case "process_restart":
      return {
        immediate: [`Find why the process on ${target} restarted: its logs and exit code (\`journalctl -u <service> -n 200\`), OOM kills (\`journalctl -k | grep -i oom\`) and deploys at that time.`],
        prevention: [`Alert on unexpected restarts (\`changes(process_start_time_seconds[15m]) > 0\`) and make restarts graceful (drain, readiness checks).`],
      };
    case "dependency_latency": {
      const peer = c.dependency?.peer ?? target;
      const caller = c.dependency?.caller ?? "the caller";
      return {
        immediate: [
          `Investigate ${peer} first: its own latency rose before ${caller}'s. Look for slow queries, lock waits and saturation there (for a database: \`pg_stat_activity\`, the slow query log).`,
          `Protect ${caller}: make sure calls to ${peer} time out and shed load or serve degraded responses instead of queueing.`,
        ],
        prevention: [
          `Set a latency objective and alert on ${peer}'s own latency, not only its callers'.`,
          `Give calls from ${caller} to ${peer} timeouts, retry budgets and a circuit breaker; label client latency series with the peer so the next incident is traced at once.`,
        ],
      };
    }
    case "unknown":
      return {
        immediate: ["Review the anomalies cited as evidence; none of the known failure signals (memory, disk, CPU, steal, I/O, network, restarts, dependencies) crossed a threshold."],
        prevention: ["Collect node_exporter on every host and service latency series labelled with the peer they call, so causes can be traced."],
      };
  }
}

/** Severity from the leading cause: exhausted resources with users affected are critical. */
export function severityOf(top: CauseCandidate, anomalies: readonly AnomalyInput[]): Severity {
  if (top.kind === "unknown") return anomalies.some((a) => a.peak_score >= 5) ? "medium" : "low";
  const serviceHit = top.symptoms.some((o) => o.signal === "service") || (top.kind === "dependency_latency" && top.primary.length > 0);
  if (top.saturated && serviceHit && top.strength >= 0.9) return "critical";
  if (top.saturated || (serviceHit && top.strength >= 0.6)) return "high";
  if (top.strength >= 0.4) return "medium";
  return "low";
}

/** How sure the ranking is: the leader's margin over the runner-up, tempered by its own strength. */
export function confidenceOf(causes: readonly CauseCandidate[]): number {
  const [top, second] = causes;
  if (!top || top.kind === "unknown") return 0.2;
  const margin = top.raw / (top.raw + (second?.raw ?? 0));
  return Math.round(Math.min(0.95, Math.max(0.05, margin * Math.min(1, top.strength + 0.1))) * 100) / 100;
}

function summaryText(ranking: Ranking, anomalies: readonly AnomalyInput[]): string {
  const top = ranking.causes[0]!;
  const instances = new Set(anomalies.map((a) => a.labels.instance ?? "").filter((i) => i !== ""));
  const counts = `${anomalies.length} anomal${anomalies.length === 1 ? "y" : "ies"} on ${instances.size} instance${instances.size === 1 ? "" : "s"}`;
  if (top.kind === "unknown") return `${counts}, none of them tied to a known failure mode.`;
  const lead = [...top.primary].sort((a, b) => (a.onset ?? Infinity) - (b.onset ?? Infinity))[0];
  const start = lead?.onset ?? top.onset;
  const first = lead ? `${movementText(lead)}` : `${KIND_TITLES[top.kind]} on ${where(top)}`;
  const follow = [...new Set(top.symptoms.map((o) => (o.signal === "service" ? (o.labels.__name__ ?? "service latency") : SIGNAL_LABELS[o.signal])))].slice(0, 4);
  return `${start !== null ? `From ${formatTime(start)}, ` : ""}${first}${follow.length > 0 ? `; ${follow.join(", ")} followed` : ""}. ${counts[0]!.toUpperCase()}${counts.slice(1)} in the incident.`;
}

function rootCauseText(ranking: Ranking): string {
  const [top, ...rest] = ranking.causes;
  if (!top) return "No cause could be ranked.";
  const runnerUp = rest.find((c) => c.kind !== "unknown");
  let text = `${causeTitle(top)}. ${causeExplanation(top)}${cite(top.evidenceIds)}`;
  if (runnerUp) {
    text += ` Next most likely: ${causeTitle(runnerUp).replace(/^[A-Z](?=[a-z])/, (ch) => ch.toLowerCase())} (score ${runnerUp.score.toFixed(2)} against ${top.score.toFixed(2)})${runnerUp.explainedBy ? ", which reads as a symptom" : ""}.`;
  }
  return text;
}

/** The ranked causes in the contract's shape. */
export function rankedCauses(ranking: Ranking, limit = 5): RankedCause[] {
  return ranking.causes.slice(0, limit).map((c) => ({
    kind: c.kind,
    title: causeTitle(c),
    score: c.score,
    explanation: causeExplanation(c),
    evidence_ids: c.evidenceIds,
    targets: c.targets,
  }));
}

/** The whole deterministic RCA. */
export function composeRca(ranking: Ranking, anomalies: readonly AnomalyInput[], generatedAt: Date): Rca {
  const top = ranking.causes[0]!;
  const severity = severityOf(top, anomalies);
  const plan = fixPlanFor(top);
  return {
    title: causeTitle(top),
    severity,
    summary: summaryText(ranking, anomalies),
    root_cause: rootCauseText(ranking),
    fix_plan: plan,
    confidence: confidenceOf(ranking.causes),
    causes: rankedCauses(ranking),
    evidence: ranking.evidence,
    source: { kind: "deterministic", provider: null, model: null },
    generated_at: generatedAt.toISOString(),
  };
}
