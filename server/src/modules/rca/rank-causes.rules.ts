import type { CauseKind, Evidence } from "@auspex/shared/contracts/rca.ts";
import { hostOf, isLatencyMetric, peerOf, type AnomalyInput } from "#server/modules/rca/evidence-queries.rules.ts";
import { SIGNAL_LABELS, capitalize, formatMinutes, formatTime, labelText, movementText, signalMetric, signalName } from "#server/modules/rca/rca-format.rules.ts";
import type { DerivedSignal, SignalObservation } from "#server/modules/rca/signals.rules.ts";

/**
 * Ranks candidate causes of an incident from its anomalies and the signal observations:
 *
 * - strength: how far a cause's primary signals left their baseline, and whether they crossed
 *   the point where the resource is exhausted (available memory < 10%, free space < 10%, steal >
 *   10%, …);
 * - onset order: a cause precedes its symptoms, so the earlier a cause's signals deviated
 *   relative to the first deviation of the incident, the more it weighs;
 * - causal patterns: a cause whose known symptoms followed it (memory → swap → major faults →
 *   I/O wait → latency) gains, and a cause that is itself a known symptom of a stronger cause
 *   that started no later (I/O wait under memory exhaustion) is explained away;
 * - co-anomalies: the detection's anomaly records on the host that belong to the cause;
 * - label topology: a latency series naming a peer (`peer`, `upstream`, `dependency`, …) whose
 *   own series deviated first points at the dependency; so does another job's latency rising
 *   before this one's.
 *
 * Deterministic: the same input gives the same ranking and evidence ids. Pure.
 */

export type HostCause = Exclude<CauseKind, "dependency_latency" | "unknown">;

const CAUSE_ORDER: readonly CauseKind[] = [
  "memory_exhaustion",
  "disk_full",
  "cpu_steal",
  "io_saturation",
  "cpu_saturation",
  "network_errors",
  "process_restart",
  "dependency_latency",
  "unknown",
];

/** Signals that show a cause (primary) and the symptoms it is known to produce, in causal order. */
export const CAUSE_SIGNALS: Readonly<Record<HostCause, { primary: readonly DerivedSignal[]; symptoms: readonly DerivedSignal[] }>> = {
  memory_exhaustion: {
    primary: ["memory_available_ratio", "swap_used_ratio"],
    symptoms: ["major_faults_rate", "cpu_iowait_share", "disk_busy_ratio", "disk_read_rate", "load_per_cpu", "service"],
  },
  disk_full: { primary: ["filesystem_avail_ratio", "filesystem_fill_forecast"], symptoms: ["disk_write_rate", "disk_busy_ratio", "service"] },
  cpu_steal: { primary: ["cpu_steal_share"], symptoms: ["load_per_cpu", "service"] },
  io_saturation: { primary: ["disk_busy_ratio", "cpu_iowait_share"], symptoms: ["disk_read_rate", "disk_write_rate", "load_per_cpu", "service"] },
  cpu_saturation: { primary: ["cpu_busy_share"], symptoms: ["load_per_cpu", "service"] },
  network_errors: { primary: ["network_errors_rate", "network_drops_rate"], symptoms: ["service"] },
  process_restart: { primary: ["process_restarts", "up"], symptoms: ["service"] },
};

/** Causes that are known symptoms of another: a stronger cause that started no later explains them away. */
export const EXPLAINS: Readonly<Record<CauseKind, readonly CauseKind[]>> = {
  memory_exhaustion: ["io_saturation", "cpu_saturation", "process_restart", "dependency_latency"],
  disk_full: ["io_saturation", "process_restart", "dependency_latency"],
  cpu_steal: ["cpu_saturation", "dependency_latency"],
  io_saturation: ["cpu_saturation", "dependency_latency"],
  cpu_saturation: ["dependency_latency"],
  network_errors: ["dependency_latency"],
  process_restart: ["dependency_latency"],
  dependency_latency: [],
  unknown: [],
};

const MINUTE = 60_000;
/** Onset weight halves roughly every this long after the incident's first deviation. */
const ONSET_DECAY_MS = 15 * MINUTE;
/** Slack when comparing onsets (one or two scrapes). */
const ONSET_SLACK_MS = 2 * MINUTE;
/** A cause this strong (or past its saturation point) can explain its symptoms away. */
const EXPLAINING_STRENGTH = 0.7;
const EXPLAINED_FACTOR = 0.35;
/** Below this raw score the incident has no clear cause: "unknown" ranks first. */
const CLEAR_CAUSE = 0.25;
/** For a cause on hosts unconnected to any service series that deviated. */
const DETACHED_FACTOR = 0.6;
/** Added to a cause a service series (latency, errors) followed. */
const IMPACT_BONUS = 0.15;

export interface CauseCandidate {
  kind: CauseKind;
  /** The host the cause sits on ("" for unknown). */
  host: string;
  targets: string[];
  strength: number;
  onset: number | null;
  raw: number;
  score: number;
  saturated: boolean;
  /** Deviated primary signals, most deviated first. */
  primary: SignalObservation[];
  /** Deviated symptom signals, in onset order. */
  symptoms: SignalObservation[];
  /** The cause's own anomaly records. */
  anomalies: AnomalyInput[];
  explainedBy: { kind: CauseKind; host: string } | null;
  /** The first deviation among the hosts connected to this cause's host (ms). */
  firstOnset: number | null;
  /** For dependency_latency: who calls whom. */
  dependency: { caller: string; peer: string; label: string | null; callerSeries: SignalObservation | null; peerSeries: SignalObservation | null } | null;
  evidenceIds: string[];
}

export interface Ranking {
  causes: CauseCandidate[];
  evidence: Evidence[];
  /** The incident's first deviation (ms), from signals and anomalies. */
  firstOnset: number | null;
}

/** Which cause an anomaly record belongs to ("latency" for service latency; null when it says nothing specific). */
export function anomalyCause(a: Pick<AnomalyInput, "metric" | "labels" | "contributors">): HostCause | "latency" | null {
  const m = a.metric;
  if (m === "host") {
    const top = [...a.contributors].sort((x, y) => y.weight - x.weight || x.indicator.localeCompare(y.indicator))[0]?.indicator ?? "";
    const byIndicator: Record<string, HostCause> = {
      cpu_user: "cpu_saturation",
      cpu_system: "cpu_saturation",
      cpu_iowait: "io_saturation",
      cpu_steal: "cpu_steal",
      memory_available_ratio: "memory_exhaustion",
      swap_used_ratio: "memory_exhaustion",
      major_faults_per_second: "memory_exhaustion",
      disk_busy_ratio: "io_saturation",
      network_errors_per_second: "network_errors",
      filesystem_free_ratio_min: "disk_full",
    };
    return byIndicator[top] ?? null;
  }
  if (/^node_memory_(MemAvailable|MemFree|SwapFree|SwapCached|Committed_AS)_bytes$/.test(m) || /^node_vmstat_(pswp|oom_kill)/.test(m)) return "memory_exhaustion";
  if (/^node_filesystem_(avail|free|files_free)_bytes$|^node_filesystem_files_free$/.test(m)) return "disk_full";
  if (m === "node_cpu_seconds_total") {
    const mode = a.labels.mode ?? "";
    if (mode === "steal") return "cpu_steal";
    if (mode === "iowait") return "io_saturation";
    if (["user", "system", "nice", "irq", "softirq"].includes(mode)) return "cpu_saturation";
    return null;
  }
  if (/^node_disk_(io_time|io_time_weighted|read_time|write_time|reads_completed|writes_completed|read_bytes|written_bytes)/.test(m)) return "io_saturation";
  if (/^node_network_(receive|transmit)_(errs|drop|fifo|frame|carrier)/.test(m)) return "network_errors";
  if (m === "up" || m === "process_start_time_seconds" || m === "node_boot_time_seconds") return "process_restart";
  if (isLatencyMetric(m)) return "latency";
  return null;
}

/** One series' family across CPUs and devices, so eight CPUs' iowait count once. */
function anomalyFamily(a: AnomalyInput): string {
  const { cpu: _cpu, device: _device, ...rest } = a.labels;
  return JSON.stringify([a.metric, hostOf(a.labels.instance ?? ""), rest.mode ?? "", rest.mountpoint ?? ""]);
}

/** How strongly one observation shows its signal's failure (0 when it never left its baseline). */
export function signalStrength(o: SignalObservation): number {
  if (o.onset === null) return 0;
  return Math.min(1, 0.45 + (o.saturated ? 0.3 : 0) + 0.25 * Math.min(1, (o.deviation - 1) / 4));
}

const ms = (iso: string) => Date.parse(iso);
const byDeviation = (a: SignalObservation, b: SignalObservation) => signalStrength(b) - signalStrength(a) || b.deviation - a.deviation || obsKey(a).localeCompare(obsKey(b));
const byOnset = (a: SignalObservation, b: SignalObservation) => (a.onset ?? Infinity) - (b.onset ?? Infinity) || obsKey(a).localeCompare(obsKey(b));
const obsKey = (o: SignalObservation) => `${o.signal}${JSON.stringify(o.labels)}${o.promql}`;
const minOf = (values: readonly number[]): number | null => (values.length === 0 ? null : Math.min(...values));

function newCandidate(kind: CauseKind, host: string, targets: string[]): CauseCandidate {
  return { kind, host, targets, strength: 0, onset: null, raw: 0, score: 0, saturated: false, primary: [], symptoms: [], anomalies: [], explainedBy: null, firstOnset: null, dependency: null, evidenceIds: [] };
}

function hostCandidates(host: string, observations: readonly SignalObservation[], anomalies: readonly AnomalyInput[]): CauseCandidate[] {
  const out: CauseCandidate[] = [];
  const onHost = observations.filter((o) => o.host === host && o.onset !== null);
  const hostAnomalies = anomalies.filter((a) => hostOf(a.labels.instance ?? "") === host);
  for (const kind of Object.keys(CAUSE_SIGNALS) as HostCause[]) {
    const { primary, symptoms } = CAUSE_SIGNALS[kind];
    const prim = onHost.filter((o) => primary.includes(o.signal)).sort(byDeviation);
    const own = hostAnomalies.filter((a) => anomalyCause(a) === kind);
    if (prim.length === 0 && own.length === 0) continue;
    const instances = new Set<string>();
    for (const o of prim) if (o.labels.instance) instances.add(o.labels.instance);
    for (const a of own) if (a.labels.instance) instances.add(a.labels.instance);
    const c = newCandidate(kind, host, [...instances].sort());
    c.primary = prim;
    c.anomalies = [...own].sort((a, b) => a.started_at.localeCompare(b.started_at) || a.id.localeCompare(b.id));
    const primOnset = minOf(prim.map((o) => o.onset!));
    if (primOnset !== null) {
      const distinct = new Set(prim.map((o) => o.signal)).size;
      c.strength = Math.min(1, signalStrength(prim[0]!) + (distinct > 1 ? 0.1 : 0));
      // The cause's own anomalies may date its onset a little earlier than the queried signal did.
      c.onset = minOf([primOnset, ...own.map((a) => ms(a.started_at)).filter((t) => t >= primOnset - 30 * MINUTE)]);
      c.saturated = prim.some((o) => o.saturated);
    } else {
      const peak = Math.max(...own.map((a) => a.peak_score));
      c.strength = 0.12 * Math.min(1, peak / 3);
      c.onset = minOf(own.map((a) => ms(a.started_at)));
    }
    c.symptoms = onHost.filter((o) => symptoms.includes(o.signal) && !primary.includes(o.signal) && o.onset! >= (c.onset ?? 0) - ONSET_SLACK_MS).sort(byOnset);
    out.push(c);
  }
  return out;
}

/** Dependencies from label topology: latency series naming a peer, or another service's latency deviating first. */
function dependencyCandidates(observations: readonly SignalObservation[], anomalies: readonly AnomalyInput[]): CauseCandidate[] {
  const service = observations.filter((o) => o.signal === "service");
  const byAnomaly = new Map(service.filter((o) => o.anomalyId !== null).map((o) => [o.anomalyId!, o]));
  const found = new Map<string, CauseCandidate>();
  const offer = (c: CauseCandidate) => {
    const key = c.targets[0] ?? c.host;
    const existing = found.get(key);
    if (!existing || c.strength > existing.strength) found.set(key, c);
  };
  const latency = anomalies.filter((a) => anomalyCause(a) === "latency").sort((a, b) => a.started_at.localeCompare(b.started_at) || a.id.localeCompare(b.id));

  for (const a of latency) {
    const peer = peerOf(a.labels);
    if (!peer) continue;
    const peerHost = hostOf(peer.value);
    const callerHost = hostOf(a.labels.instance ?? "");
    if (peerHost === callerHost) continue;
    const callerSeries = byAnomaly.get(a.id) ?? null;
    const callerOnset = callerSeries?.onset ?? ms(a.started_at);
    const peerSeries =
      service
        .filter((o) => o.onset !== null && o.anomalyId !== a.id && peerOf(o.labels) === undefined && (o.labels.instance === peer.value || o.host === peerHost))
        .filter((o) => o.onset! <= callerOnset + ONSET_SLACK_MS)
        .sort(byOnset)[0] ?? null;
    const c = newCandidate("dependency_latency", peerHost, [peer.value]);
    c.dependency = { caller: a.labels.instance ?? "", peer: peer.value, label: peer.label, callerSeries, peerSeries };
    if (peerSeries) {
      c.strength = Math.min(1, signalStrength(peerSeries) + 0.2);
      c.onset = Math.min(peerSeries.onset!, callerOnset);
      c.saturated = peerSeries.saturated;
      c.primary = [peerSeries];
    } else {
      c.strength = callerSeries && callerSeries.onset !== null ? 0.35 * signalStrength(callerSeries) : 0.1;
      c.onset = callerOnset;
      c.primary = callerSeries && callerSeries.onset !== null ? [callerSeries] : [];
    }
    c.anomalies = [a];
    c.symptoms = service.filter((o) => o.onset !== null && o !== peerSeries && o.host === callerHost && o.onset >= c.onset! - ONSET_SLACK_MS).sort(byOnset);
    offer(c);
  }

  // Without peer labels: a latency series of another host deviating clearly before this one's.
  const deviated = service.filter((o) => o.onset !== null && isLatencyMetric(o.labels.__name__ ?? "") && peerOf(o.labels) === undefined).sort(byOnset);
  for (const first of deviated) {
    const later = deviated.filter((o) => o.host !== first.host && o.onset! > first.onset! + ONSET_SLACK_MS);
    if (later.length === 0) continue;
    const target = first.labels.instance ?? first.host;
    const c = newCandidate("dependency_latency", first.host, [target]);
    c.dependency = { caller: later[0]!.labels.instance ?? later[0]!.host, peer: target, label: null, callerSeries: later[0]!, peerSeries: first };
    c.strength = 0.6 * signalStrength(first);
    c.onset = first.onset;
    c.saturated = first.saturated;
    c.primary = [first];
    c.symptoms = later;
    offer(c);
  }
  return [...found.values()];
}

/**
 * Groups hosts that talk to each other: a series on one host naming another as its peer links
 * them. Returns each host's component key (its smallest member).
 */
export function hostComponents(hosts: readonly string[], observations: readonly SignalObservation[], anomalies: readonly AnomalyInput[]): (host: string) => string {
  const parent = new Map<string, string>();
  const find = (h: string): string => {
    let root = h;
    while ((parent.get(root) ?? root) !== root) root = parent.get(root)!;
    parent.set(h, root);
    return root;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const h of hosts) find(h);
  for (const labels of [...anomalies.map((a) => a.labels), ...observations.map((o) => o.labels)]) {
    const peer = peerOf(labels);
    if (peer && labels.instance) union(hostOf(labels.instance), hostOf(peer.value));
  }
  return find;
}

/** Ranks the causes and builds the evidence they cite. */
export function rankCauses(input: { anomalies: readonly AnomalyInput[]; observations: readonly SignalObservation[] }): Ranking {
  const { anomalies, observations } = input;
  const hosts = new Set<string>();
  for (const o of observations) hosts.add(o.host);
  for (const a of anomalies) hosts.add(hostOf(a.labels.instance ?? ""));
  const candidates: CauseCandidate[] = [];
  for (const host of [...hosts].sort()) candidates.push(...hostCandidates(host, observations, anomalies));
  candidates.push(...dependencyCandidates(observations, anomalies));

  // Onset order only means something among hosts that talk to each other: compare within a component.
  const component = hostComponents([...hosts, ...candidates.map((c) => c.host)], observations, anomalies);
  const firstByComponent = new Map<string, number>();
  for (const c of candidates) {
    if (c.strength < 0.4 || c.onset === null) continue;
    const key = component(c.host);
    firstByComponent.set(key, Math.min(firstByComponent.get(key) ?? Infinity, c.onset));
  }
  const firstOnset = minOf([...firstByComponent.values()]);
  for (const c of candidates) {
    const first = firstByComponent.get(component(c.host));
    c.firstOnset = first ?? null;
    const onsetFactor = first === undefined || c.onset === null ? 0.5 : Math.exp(-Math.max(0, c.onset - first) / ONSET_DECAY_MS);
    const symptomSignals = new Set(c.symptoms.map((o) => (o.signal === "service" ? `service:${o.labels.__name__ ?? ""}` : o.signal)));
    const pattern = c.strength >= 0.4 ? Math.min(0.3, 0.08 * symptomSignals.size) : 0;
    // A cause that users felt (a service series followed it) matters more than one nobody noticed.
    const impact = c.strength >= 0.4 && c.symptoms.some((o) => o.signal === "service") ? IMPACT_BONUS : 0;
    const coAnomalies = Math.min(0.12, 0.03 * new Set(c.anomalies.map(anomalyFamily)).size);
    c.raw = c.strength * (0.55 + 0.45 * onsetFactor) + pattern + impact + coAnomalies;
  }
  // Explaining away, strongest explainers first so a chain resolves to its head.
  for (const b of candidates) {
    const explainer = candidates
      .filter((a) => a !== b && EXPLAINS[a.kind].includes(b.kind) && (a.saturated || a.strength >= EXPLAINING_STRENGTH) && a.onset !== null && b.onset !== null)
      .filter((a) => a.host === b.host || (b.dependency !== null && a.host === hostOf(b.dependency.caller)))
      .filter((a) => a.onset! <= b.onset! + ONSET_SLACK_MS)
      .sort((x, y) => y.raw - x.raw || CAUSE_ORDER.indexOf(x.kind) - CAUSE_ORDER.indexOf(y.kind))[0];
    if (explainer) b.explainedBy = { kind: explainer.kind, host: explainer.host };
  }
  for (const c of candidates) if (c.explainedBy) c.raw *= EXPLAINED_FACTOR;
  // When users felt the incident (a service series deviated), causes on hosts with no path to
  // those services explain none of it.
  const felt = new Set(observations.filter((o) => o.signal === "service" && o.onset !== null).map((o) => component(o.host)));
  if (felt.size > 0) for (const c of candidates) if (!felt.has(component(c.host))) c.raw *= DETACHED_FACTOR;

  const best = Math.max(0, ...candidates.map((c) => c.raw));
  if (best < CLEAR_CAUSE) {
    const u = newCandidate("unknown", "", []);
    u.raw = CLEAR_CAUSE;
    u.anomalies = [...anomalies].sort((a, b) => b.peak_score - a.peak_score || a.id.localeCompare(b.id)).slice(0, 5);
    u.onset = minOf(anomalies.map((a) => ms(a.started_at)));
    u.targets = [...new Set(u.anomalies.map((a) => a.labels.instance ?? "").filter((i) => i !== ""))].sort();
    candidates.push(u);
  }
  candidates.sort((a, b) => b.raw - a.raw || CAUSE_ORDER.indexOf(a.kind) - CAUSE_ORDER.indexOf(b.kind) || a.host.localeCompare(b.host));
  const total = candidates.reduce((sum, c) => sum + c.raw, 0) + 0.3;
  for (const c of candidates) c.score = Math.round((c.raw / total) * 1000) / 1000;

  const evidence = buildEvidence(candidates.slice(0, 5));
  return { causes: candidates, evidence, firstOnset };
}

/** Evidence items for the leading causes, each cited by id; shared facts get one id. */
function buildEvidence(causes: CauseCandidate[]): Evidence[] {
  const evidence: Evidence[] = [];
  const ids = new Map<string, string>();
  const add = (key: string, item: Omit<Evidence, "id">): string => {
    const existing = ids.get(key);
    if (existing) return existing;
    const id = `e${evidence.length + 1}`;
    ids.set(key, id);
    evidence.push({ id, ...item, claim: capitalize(item.claim) });
    return id;
  };
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const series = (o: SignalObservation) =>
    add(`series:${obsKey(o)}`, {
      kind: "series",
      claim: `${movementText(o)}${o.onset !== null ? `, leaving its baseline at ${formatTime(o.onset)}` : ""}${o.saturated ? " (past its saturation point)" : ""}.`,
      metric: signalMetric(o),
      labels: { ...o.labels },
      promql: o.promql,
      observed: o.peak,
      expected: o.baseline,
      unit: o.unit,
      at: iso(o.peakAt),
      anomaly_id: o.anomalyId,
    });
  const anomaly = (a: AnomalyInput) =>
    add(`anomaly:${a.id}`, {
      kind: "anomaly",
      claim: `Detection flagged ${a.metric} on ${a.labels.instance ?? "?"}${labelText(a.labels)} from ${formatTime(ms(a.started_at))} (peak score ${Number(a.peak_score.toFixed(1))}, ${a.direction === "up" ? "above" : "below"} its band).`,
      metric: a.metric,
      labels: { ...a.labels },
      promql: null,
      // A counter's record holds the raw counter as observed but a rate as expected: quote neither.
      observed: /_total$|^node_vmstat_/.test(a.metric) || a.metric === "host" ? null : a.observed,
      expected: /_total$|^node_vmstat_/.test(a.metric) || a.metric === "host" ? null : a.expected,
      unit: null,
      at: a.started_at,
      anomaly_id: a.id,
    });

  for (const c of causes) {
    const cited: string[] = [];
    const lead = [...c.primary].sort(byOnset)[0];
    const firstOnset = c.firstOnset;
    if (lead && lead.onset !== null) {
      const others = [...c.symptoms].sort(byOnset);
      const next = others.find((o) => o.onset! > lead.onset!);
      const first = firstOnset !== null && lead.onset <= firstOnset + ONSET_SLACK_MS;
      cited.push(
        add(`onset:${obsKey(lead)}`, {
          kind: "onset",
          claim: `${signalName(lead)} left its baseline at ${formatTime(lead.onset)}${first ? ", the first deviation on the hosts involved" : firstOnset !== null ? `, ${formatMinutes(lead.onset - firstOnset)} after the first deviation on the hosts involved` : ""}${next ? `, ${formatMinutes(next.onset! - lead.onset)} before ${signalName(next)}` : ""}.`,
          metric: signalMetric(lead),
          labels: { ...lead.labels },
          promql: lead.promql,
          observed: lead.peak,
          expected: lead.baseline,
          unit: lead.unit,
          at: iso(lead.onset),
          anomaly_id: lead.anomalyId,
        }),
      );
    }
    for (const o of c.primary.slice(0, 3)) cited.push(series(o));
    if (c.kind === "dependency_latency" && c.dependency) {
      const d = c.dependency;
      const claim = d.label
        ? `${d.callerSeries ? (d.callerSeries.labels.__name__ ?? "latency") : "a latency series"} on ${d.caller} measures calls to ${d.peer} (label ${d.label}="${d.peer}")${d.peerSeries?.onset != null ? `; ${signalName(d.peerSeries)} rose first, at ${formatTime(d.peerSeries.onset)}` : "; the peer's own series did not deviate"}.`
        : `Latency on ${d.peer} rose at ${formatTime(d.peerSeries?.onset ?? 0)}, before latency on ${d.caller}${d.callerSeries?.onset != null ? ` (${formatTime(d.callerSeries.onset)})` : ""}: the later service waits on the earlier one.`;
      cited.push(
        add(`topology:${d.caller}->${d.peer}`, {
          kind: "topology",
          claim,
          metric: d.callerSeries?.labels.__name__ ?? null,
          labels: d.callerSeries ? { ...d.callerSeries.labels } : {},
          promql: d.callerSeries?.promql ?? null,
          observed: d.callerSeries?.peak ?? null,
          expected: d.callerSeries?.baseline ?? null,
          unit: d.callerSeries?.unit ?? null,
          at: iso(d.callerSeries?.onset ?? null),
          anomaly_id: d.callerSeries?.anomalyId ?? null,
        }),
      );
    }
    const chain = c.symptoms.filter((o) => o.onset !== null).slice(0, 5);
    if (c.kind !== "unknown" && chain.length >= 2 && lead) {
      const steps = [lead, ...chain].sort(byOnset).map((o) => `${o.signal === "service" ? (o.labels.__name__ ?? "service") : SIGNAL_LABELS[o.signal]} (${formatTime(o.onset!)})`);
      cited.push(
        add(`pattern:${c.kind}:${c.host}`, {
          kind: "pattern",
          claim: `The known ${c.kind.replace(/_/g, " ")} pattern on ${c.targets[0] ?? c.host}: the cause and its symptoms deviated in this order: ${steps.join(" → ")}.`,
          metric: null,
          labels: c.host ? { host: c.host } : {},
          promql: null,
          observed: null,
          expected: null,
          unit: null,
          at: iso(lead.onset),
          anomaly_id: null,
        }),
      );
      for (const o of chain.slice(0, 3)) cited.push(series(o));
    }
    const seen = new Set<string>();
    for (const a of c.anomalies) {
      const family = anomalyFamily(a);
      if (seen.has(family) || seen.size >= 3) continue;
      seen.add(family);
      cited.push(anomaly(a));
    }
    c.evidenceIds = [...new Set(cited)];
  }
  return evidence;
}
