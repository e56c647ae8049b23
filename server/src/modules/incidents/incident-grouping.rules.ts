import type { Severity } from "@auspex/shared/contracts/rca.ts";

/** What grouping needs to know of an anomaly. Times in ms of sample time. */
export interface AnomalyLite {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly startedAt: number;
  /** null while open */
  endedAt: number | null;
  peakScore: number;
  /** Latest sample time the anomaly was seen at (its close time once closed). */
  lastSeenAt: number;
}

/** An incident still taking anomalies (open or acknowledged). */
export interface ActiveIncident {
  readonly id: string;
  readonly startedAt: number;
  lastActivityAt: number;
  readonly members: Map<string, AnomalyLite>;
}

export interface GroupingSettings {
  /** A related anomaly starting this long after the incident's last activity still joins it. */
  readonly joinWindowMs: number;
  /** An incident resolves once its anomalies have all been closed this long (sample time). */
  readonly quietMs: number;
  /** A lone anomaly becomes an incident once it has lasted this long… */
  readonly persistMs: number;
  /** …or at once when its score reaches this. */
  readonly strongScore: number;
  /**
   * The score a lasting lone anomaly, or one of a pair, must reach: barely outside the band is
   * worth a record but not an incident (three related anomalies are, whatever their scores).
   */
  readonly minScore: number;
}

export const DEFAULT_GROUPING: GroupingSettings = { joinWindowMs: 10 * 60_000, quietMs: 15 * 60_000, persistMs: 5 * 60_000, strongScore: 3, minScore: 2 };

/** Related anomalies that open an incident whatever their scores. */
const CONVINCING_GROUP = 3;

export type Relation = "same_host" | "same_service" | "dependency" | "fleet";

/** Relations in the order they bind: a shared host beats a shared service beats one metric across a job. */
const RELATION_STRENGTH: Record<Relation, number> = { same_host: 4, dependency: 3, same_service: 2, fleet: 1 };

const SERVICE_LABELS = ["service", "app", "application", "component", "deployment"] as const;
const DEPENDENCY_LABELS = ["dependency", "peer", "upstream", "downstream", "target_host", "db_host", "remote"] as const;

/** The machine a series is about: `instance` without its port, or a host-like label. */
export function hostOf(labels: Readonly<Record<string, string>>): string | undefined {
  const explicit = labels.host ?? labels.hostname ?? labels.node ?? labels.nodename;
  if (explicit) return explicit.toLowerCase();
  const instance = labels.instance;
  if (!instance) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracketed) return bracketed[1]!.toLowerCase();
  // One colon means host:port; more is a bare IPv6 address.
  const colons = instance.split(":").length - 1;
  return (colons === 1 ? instance.slice(0, instance.lastIndexOf(":")) : instance).toLowerCase();
}

/** The name an incident lists as an affected target. */
export function targetOf(labels: Readonly<Record<string, string>>): string | undefined {
  return labels.instance ?? hostOf(labels) ?? labels.job;
}

function dependencyHost(value: string): string {
  return hostOf({ instance: value }) ?? value.toLowerCase();
}

/** How two anomalies' series are related by their labels, if at all. */
export function relationOf(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): Relation | undefined {
  const hostA = hostOf(a);
  const hostB = hostOf(b);
  if (hostA !== undefined && hostA === hostB) return "same_host";
  for (const name of DEPENDENCY_LABELS) {
    if (a[name] !== undefined && hostB !== undefined && dependencyHost(a[name]) === hostB) return "dependency";
    if (b[name] !== undefined && hostA !== undefined && dependencyHost(b[name]) === hostA) return "dependency";
  }
  for (const name of SERVICE_LABELS) {
    if (a[name] !== undefined && a[name] === b[name]) return "same_service";
  }
  // The same metric deviating on several members of one job at once is one fleet-wide problem.
  if (a.job !== undefined && a.job === b.job && metricOf(a) === metricOf(b) && metricOf(a) !== "") return "fleet";
  return undefined;
}

/** The detected metric: the multivariate host detector's records are named "host". */
function metricOf(labels: Readonly<Record<string, string>>): string {
  return labels.__name__ ?? "";
}

/** Two spans (ms) overlap, the first widened by `slackMs` at its end. */
function overlaps(a: AnomalyLite, bStart: number, bEnd: number, slackMs: number): boolean {
  const aEnd = a.endedAt ?? Number.POSITIVE_INFINITY;
  return a.startedAt <= bEnd + slackMs && bStart <= aEnd + slackMs;
}

function openCount(incident: ActiveIncident): number {
  let n = 0;
  for (const m of incident.members.values()) if (m.endedAt === null) n += 1;
  return n;
}

/** Whether the incident still takes an anomaly starting at `t`: it has open anomalies, or its last activity is recent. */
export function takesAnomalyAt(incident: ActiveIncident, t: number, settings: GroupingSettings): boolean {
  return t >= incident.startedAt - settings.joinWindowMs && (openCount(incident) > 0 || t <= incident.lastActivityAt + settings.joinWindowMs);
}

/**
 * The active incident a new anomaly joins: among those still taking anomalies at its start, the one
 * holding the most strongly related member (ties: the most recent activity).
 */
export function chooseIncident(
  anomaly: AnomalyLite,
  incidents: Iterable<ActiveIncident>,
  settings: GroupingSettings,
): { incidentId: string; relation: Relation; memberId: string } | undefined {
  let best: { incidentId: string; relation: Relation; memberId: string; strength: number; activity: number } | undefined;
  for (const incident of incidents) {
    if (!takesAnomalyAt(incident, anomaly.startedAt, settings)) continue;
    for (const member of incident.members.values()) {
      const relation = relationOf(anomaly.labels, member.labels);
      if (!relation) continue;
      const strength = RELATION_STRENGTH[relation];
      if (!best || strength > best.strength || (strength === best.strength && incident.lastActivityAt > best.activity)) {
        best = { incidentId: incident.id, relation, memberId: member.id, strength, activity: incident.lastActivityAt };
      }
    }
  }
  return best && { incidentId: best.incidentId, relation: best.relation, memberId: best.memberId };
}

/**
 * Whether a not-yet-grouped anomaly starts an incident now (sample time `t`): together with the
 * related ungrouped anomalies overlapping it (three or more, or one of them reaching `minScore`),
 * or alone once it is strong, or has lasted and reached `minScore`. A short or faint lone blip
 * stays an anomaly.
 */
export function incidentToOpen(
  anomaly: AnomalyLite,
  pending: Iterable<AnomalyLite>,
  t: number,
  settings: GroupingSettings,
): { memberIds: string[]; reason: string } | undefined {
  const related: string[] = [];
  const byId = new Map<string, AnomalyLite>();
  for (const other of pending) {
    byId.set(other.id, other);
    if (other.id === anomaly.id) continue;
    if (!overlaps(other, anomaly.startedAt, anomaly.endedAt ?? t, settings.joinWindowMs)) continue;
    if (relationOf(anomaly.labels, other.labels)) related.push(other.id);
  }
  const group = [anomaly, ...related.map((id) => byId.get(id)!)];
  const peak = Math.max(...group.map((m) => m.peakScore));
  if (related.length > 0 && (group.length >= CONVINCING_GROUP || peak >= settings.minScore)) {
    return { memberIds: group.map((m) => m.id), reason: `${group.length} related anomalies overlap` };
  }
  if (peak >= settings.strongScore) return { memberIds: group.map((m) => m.id), reason: `score ${peak.toFixed(1)} reached ${settings.strongScore}` };
  const lasted = (anomaly.endedAt ?? t) - anomaly.startedAt;
  if (lasted >= settings.persistMs && anomaly.peakScore >= settings.minScore) {
    return { memberIds: group.map((m) => m.id), reason: `lasted ${Math.round(lasted / 60_000)} min at score ${anomaly.peakScore.toFixed(1)}` };
  }
  return undefined;
}

/** Whether the incident's anomalies have all closed and stayed quiet long enough by sample time `watermark`. */
export function isQuiet(incident: ActiveIncident, watermark: number, settings: GroupingSettings): boolean {
  return openCount(incident) === 0 && watermark >= incident.lastActivityAt + settings.quietMs;
}

const SEVERITY_ORDER: readonly Severity[] = ["low", "medium", "high", "critical"];

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_ORDER.indexOf(a) >= SEVERITY_ORDER.indexOf(b) ? a : b;
}

/** Severity from the anomalies alone (before, or without, a root-cause analysis). */
export function severityFromAnomalies(members: Iterable<AnomalyLite>): Severity {
  let count = 0;
  let peak = 0;
  const targets = new Set<string>();
  for (const m of members) {
    count += 1;
    peak = Math.max(peak, m.peakScore);
    const target = hostOf(m.labels) ?? m.labels.job;
    if (target !== undefined) targets.add(target);
  }
  if ((targets.size >= 3 && count >= 3) || peak >= 8) return "critical";
  if (peak >= 4 || count >= 4) return "high";
  if (peak >= 2 || count >= 2) return "medium";
  return "low";
}

/** Pearson correlation of two equally long series' first differences: how much they move together. */
export function coMovement(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length) - 1;
  if (n < 3) return 0;
  let sa = 0;
  let sb = 0;
  let count = 0;
  const da: number[] = [];
  const db: number[] = [];
  for (let i = 1; i <= n; i++) {
    const x = a[i]! - a[i - 1]!;
    const y = b[i]! - b[i - 1]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    da.push(x);
    db.push(y);
    sa += x;
    sb += y;
    count += 1;
  }
  if (count < 3) return 0;
  const ma = sa / count;
  const mb = sb / count;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < count; i++) {
    const x = da[i]! - ma;
    const y = db[i]! - mb;
    cov += x * y;
    va += x * x;
    vb += y * y;
  }
  return va === 0 || vb === 0 ? 0 : cov / Math.sqrt(va * vb);
}
