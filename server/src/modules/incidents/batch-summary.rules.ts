import { z } from "zod";
import { Severity } from "@auspex/shared/contracts/rca.ts";

/** One series of the batch as the LLM sees it: a few numbers instead of its samples. */
export interface SeriesSummary {
  readonly ref: string;
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Per-second rate for counters, the value for gauges. */
  readonly kind: "rate" | "value";
  readonly now: number;
  readonly min: number;
  readonly max: number;
  readonly baseline: number;
  readonly baselineSd: number;
  /** (now − baseline) / spread: how unusual the window is against the hour before. */
  readonly z: number;
}

interface Point {
  readonly t: number;
  readonly v: number;
}

/** Names Prometheus conventions mark as counters. */
export function isCounterName(metric: string): boolean {
  return /_(total|count|sum|bucket)$/.test(metric);
}

/** Per-second increases between consecutive points; a drop is a counter reset (the new value is the increase). */
function rates(points: readonly Point[]): Point[] {
  const out: Point[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0) continue;
    const increase = b.v >= a.v ? b.v - a.v : b.v;
    out.push({ t: b.t, v: increase / dt });
  }
  return out;
}

function stats(values: readonly number[]): { mean: number; sd: number; min: number; max: number } {
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = values.length === 0 ? Number.NaN : sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return { mean, sd: values.length > 1 ? Math.sqrt(sq / (values.length - 1)) : 0, min, max };
}

/**
 * Summarises one series over [windowStart, end] against its own recent past (the points before
 * windowStart): where it is now, its range in the window, and how unusual that is. Undefined
 * when the series has no finite point in the window.
 */
export function summarizeSeries(ref: string, labels: Readonly<Record<string, string>>, points: readonly Point[], windowStart: number): SeriesSummary | undefined {
  const metric = labels.__name__ ?? "";
  const kind = isCounterName(metric) ? "rate" : "value";
  const usable = (kind === "rate" ? rates(points) : points).filter((p) => Number.isFinite(p.v));
  const window = usable.filter((p) => p.t >= windowStart).map((p) => p.v);
  if (window.length === 0) return undefined;
  const before = stats(usable.filter((p) => p.t < windowStart).map((p) => p.v));
  const now = stats(window);
  const baseline = Number.isFinite(before.mean) ? before.mean : now.mean;
  // A floor on the spread so a flat series that moves a little is not "infinitely" unusual.
  const spread = Math.max(before.sd, Math.abs(baseline) * 0.05, 1e-9);
  return { ref, metric, labels, kind, now: now.mean, min: now.min, max: now.max, baseline, baselineSd: before.sd, z: (now.mean - baseline) / spread };
}

/** The series the prompt carries: the most unusual first, at most `limit`. */
export function selectForPrompt(summaries: readonly SeriesSummary[], limit: number): SeriesSummary[] {
  return [...summaries].sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.ref.localeCompare(b.ref)).slice(0, limit);
}

function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const magnitude = Math.abs(v);
  return magnitude >= 1000 ? Math.round(v) : magnitude >= 1 ? Math.round(v * 100) / 100 : Number(v.toPrecision(3));
}

/** The batch as prompt data, grouped by instance as seed 000 does, compact. */
export function batchPromptData(window: { from: string; to: string }, summaries: readonly SeriesSummary[], totalSeries: number): unknown {
  const byInstance: Record<string, unknown[]> = {};
  for (const s of summaries) {
    const instance = s.labels.instance ?? s.labels.job ?? "(none)";
    const { __name__: _, instance: _i, ...rest } = s.labels;
    (byInstance[instance] ??= []).push({
      ref: s.ref,
      metric: s.metric,
      ...(Object.keys(rest).length > 0 && { labels: rest }),
      kind: s.kind,
      now: round(s.now),
      min: round(s.min),
      max: round(s.max),
      baseline: round(s.baseline),
      z: Math.round(s.z * 10) / 10,
    });
  }
  return { window, series_in_batch: totalSeries, series_shown: summaries.length, instances: byInstance };
}

/** Seed 000's answer: an incident (or none) and the anomalies behind it. */
export const BatchAnswer = z.strictObject({
  incident: z
    .strictObject({
      title: z.string().min(3).max(200),
      severity: Severity,
      summary: z.string().min(3).max(1500),
      root_cause: z.string().min(3).max(800),
      fix_plan: z.strictObject({ immediate: z.array(z.string().max(300)).max(8), prevention: z.array(z.string().max(300)).max(8) }),
    })
    .nullable(),
  anomalies: z
    .array(
      z.strictObject({
        ref: z.string().describe("The ref of the series in the data"),
        metric: z.string(),
        instance: z.string(),
        observed: z.string(),
        expected: z.string(),
        symptom: z.string().max(300),
      }),
    )
    .max(50),
});
export type BatchAnswer = z.infer<typeof BatchAnswer>;

export const BATCH_SYSTEM = [
  "You are the anomaly detector of a monitoring system (seed 000 batch analysis).",
  "You receive a summary of one user's metrics over the last window, grouped by instance: for each series its ref,",
  "metric, kind (rate per second for counters, value for gauges), now (window mean), min, max, the baseline of the hour before and z (how unusual).",
  "Report only real problems: anomalies that matter for reliability, each naming the ref of a series in the data,",
  "and, when they form one problem, an incident with title, severity, summary, root cause and fix plan. Report none when all is normal.",
].join(" ");

/**
 * The reported anomalies that name a series of the batch (by ref, with a matching metric and
 * instance); the rest were invented and are dropped.
 */
export function matchReportedAnomalies(
  answer: BatchAnswer,
  summaries: readonly SeriesSummary[],
): { matched: Array<{ summary: SeriesSummary; reported: BatchAnswer["anomalies"][number] }>; invented: number } {
  const byRef = new Map(summaries.map((s) => [s.ref, s]));
  const matched: Array<{ summary: SeriesSummary; reported: BatchAnswer["anomalies"][number] }> = [];
  const seen = new Set<string>();
  let invented = 0;
  for (const reported of answer.anomalies) {
    const summary = byRef.get(reported.ref);
    if (!summary || summary.metric !== reported.metric || (summary.labels.instance ?? summary.labels.job ?? "(none)") !== reported.instance) {
      invented += 1;
      continue;
    }
    if (seen.has(summary.ref)) continue;
    seen.add(summary.ref);
    matched.push({ summary, reported });
  }
  return { matched, invented };
}

/** A rough token count (about four characters per token for English and JSON), for comparisons. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * What seed 000's approach sends for the same window: every sample of every series, grouped by
 * instance, as text. Only its size matters (the comparison in docs/benchmarks.md).
 */
export function seedBatchText(series: ReadonlyArray<{ labels: Readonly<Record<string, string>>; points: readonly Point[] }>, windowStart: number): string {
  const lines: string[] = [];
  for (const s of series) {
    const values = s.points.filter((p) => p.t >= windowStart).map((p) => `${new Date(p.t).toISOString()} ${p.v}`);
    if (values.length === 0) continue;
    lines.push(`${JSON.stringify(s.labels)}: ${values.join(", ")}`);
  }
  return lines.join("\n");
}
