import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type { Incident } from "@auspex/shared/contracts/incidents.ts";
import type { Rca } from "@auspex/shared/contracts/rca.ts";

export type Health = "NORMAL" | "WARNING" | "CRITICAL";

/** Words people use for an area, and what they mean in series names. */
const FOCUS_PATTERNS: Record<string, RegExp> = {
  memory: /mem|swap|oom|pgmajfault|page/i,
  cpu: /cpu|load|steal|procs_running|context_switch/i,
  disk: /disk|filesystem|io_time|inode|storage/i,
  network: /network|net_|tcp|udp|errs|drop|sockstat/i,
  latency: /latency|duration|response_time|_seconds_(bucket|sum)|rtt/i,
  response_times: /latency|duration|response_time|_seconds_(bucket|sum)|rtt/i,
  errors: /error|errs|5xx|fail|exception/i,
  error_rates: /error|errs|5xx|fail|exception/i,
  availability: /^up$|probe_success|restarts?|start_time/i,
};

/**
 * Whether an anomaly is inside the requested focus: a known area (memory, cpu, disk, network,
 * latency, errors, availability) matched on the metric name, or any other word matched literally
 * against the metric, instance or job. No focus: everything.
 */
export function inFocus(anomaly: Pick<Anomaly, "metric" | "labels" | "contributors">, focus: readonly string[]): boolean {
  if (focus.length === 0) return true;
  const names = [anomaly.metric, ...anomaly.contributors.map((c) => c.indicator)];
  return focus.some((area) => {
    const pattern = FOCUS_PATTERNS[area.toLowerCase()];
    if (pattern) return names.some((name) => pattern.test(name));
    const word = area.toLowerCase();
    return [anomaly.metric, anomaly.labels.instance ?? "", anomaly.labels.job ?? ""].some((v) => v.toLowerCase().includes(word));
  });
}

/** Seed 001's health from what deviates now: open serious incidents or strong anomalies are critical. */
export function healthOf(anomalies: readonly Pick<Anomaly, "peak_score">[], incidents: readonly Pick<Incident, "severity">[]): Health {
  if (incidents.some((i) => i.severity === "critical" || i.severity === "high") || anomalies.some((a) => a.peak_score >= 4)) return "CRITICAL";
  if (incidents.length > 0 || anomalies.length > 0) return "WARNING";
  return "NORMAL";
}

export interface DeterministicAnalysis {
  analysis: string;
  key_findings: string[];
  recommendations: string[];
  confidence: number;
}

/** The templated analysis, complete without an LLM. */
export function describeWindow(input: {
  lookbackMinutes: number;
  focus: readonly string[];
  health: Health;
  anomalies: readonly Anomaly[];
  incidents: readonly Incident[];
  rca: Rca | null;
  seriesCount: number;
}): DeterministicAnalysis {
  const { anomalies, incidents, rca } = input;
  const scope = input.focus.length > 0 ? ` (focus: ${input.focus.join(", ")})` : "";
  if (input.seriesCount === 0) {
    return {
      analysis: `No samples arrived in the last ${input.lookbackMinutes} minutes${scope}: nothing can be judged until collection works.`,
      key_findings: ["No series reported in the window"],
      recommendations: ["Check that targets are up and remote_write or scraping reaches Auspex", "Run the analysis again once data arrives"],
      confidence: 0.3,
    };
  }
  const strongest = [...anomalies].sort((a, b) => b.peak_score - a.peak_score);
  const findings = [
    ...incidents.map((i) => `Incident "${i.title}" (${i.severity}, ${i.status}) since ${i.started_at}`),
    ...strongest.slice(0, 6).map((a) => `${a.metric} on ${a.labels.instance ?? a.labels.job ?? "?"}: ${a.summary}`),
  ];
  if (input.health === "NORMAL") {
    return {
      analysis: `All ${input.seriesCount} series behaved as expected over the last ${input.lookbackMinutes} minutes${scope}; no anomaly and no open incident.`,
      key_findings: [`${input.seriesCount} series inside their expected bands`],
      recommendations: ["No action needed"],
      confidence: 0.9,
    };
  }
  const cause = rca ? ` Most likely cause: ${rca.root_cause}` : "";
  return {
    analysis: `${input.health === "CRITICAL" ? "Critical" : "Warning"}: ${anomalies.length} anomal${anomalies.length === 1 ? "y" : "ies"} and ${incidents.length} open incident${incidents.length === 1 ? "" : "s"} in the last ${input.lookbackMinutes} minutes${scope}.${cause}`,
    key_findings: findings.length > 0 ? findings : ["Deviations without an open incident"],
    recommendations: rca ? [...rca.fix_plan.immediate, ...rca.fix_plan.prevention].slice(0, 8) : ["Watch the anomalous series; open the metrics explorer on them"],
    confidence: rca ? rca.confidence : 0.5,
  };
}
