import { z } from "zod";
import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type { CauseKind, Rca } from "@auspex/shared/contracts/rca.ts";

/**
 * The LLM's part of an RCA: prose and a fix plan written from the ranked evidence. Numbers,
 * evidence and causes stay deterministic; the model may reorder causes only by citing evidence.
 */
export const RcaNarration = z.strictObject({
  title: z.string().min(3).max(160),
  summary: z.string().min(10).max(1500),
  root_cause: z.string().min(5).max(800),
  fix_plan: z.strictObject({
    immediate: z.array(z.string().min(3).max(300)).min(1).max(8),
    prevention: z.array(z.string().min(3).max(300)).min(1).max(8),
  }),
  cause_order: z.array(z.string()).min(1).max(12).describe("The given cause kinds, most likely first"),
  citations: z.array(z.string()).min(1).max(40).describe("Ids of the evidence the text relies on"),
});
export type RcaNarration = z.infer<typeof RcaNarration>;

export const NARRATION_SYSTEM = [
  "You are the incident analyst of a monitoring system. You receive a deterministic root-cause analysis:",
  "ranked candidate causes and numbered evidence (series, PromQL, observed vs expected values).",
  "Write a clear title, a summary for an on-call engineer, the root cause, and a concrete fix plan",
  "(immediate actions and prevention). Rely only on the evidence given; cite the evidence ids you use.",
  "Keep cause_order to the given cause kinds. Put a different cause first only when evidence you cite supports it.",
  "Never mention a metric, host or value that is not in the evidence.",
].join(" ");

/** What the model sees: the draft and the evidence, compact (no raw samples). */
export function narrationData(rca: Rca, anomalies: readonly Anomaly[]): unknown {
  return {
    draft: { title: rca.title, severity: rca.severity, summary: rca.summary, root_cause: rca.root_cause, fix_plan: rca.fix_plan },
    causes: rca.causes.map((c) => ({ kind: c.kind, title: c.title, score: round(c.score), explanation: c.explanation, evidence_ids: c.evidence_ids, targets: c.targets })),
    evidence: rca.evidence.map((e) => ({
      id: e.id,
      kind: e.kind,
      claim: e.claim,
      metric: e.metric,
      labels: e.labels,
      promql: e.promql,
      observed: e.observed === null ? null : round(e.observed),
      expected: e.expected === null ? null : round(e.expected),
      unit: e.unit,
      at: e.at,
    })),
    anomalies: anomalies.slice(0, 30).map((a) => ({ id: a.id, metric: a.metric, labels: a.labels, started_at: a.started_at, summary: a.summary, peak_score: round(a.peak_score) })),
  };
}

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}

/** snake_case identifiers with three or more parts read as metric names (node_memory_MemAvailable_bytes). */
const METRIC_LIKE = /\b[a-zA-Z][a-zA-Z0-9]*(?:_[a-zA-Z0-9]+){2,}\b/g;

/**
 * The narration schema for one RCA: the shape, plus what the shape cannot say (checked by
 * `narrationProblem`), so a violation goes back to the model in its one repair attempt.
 */
export function narrationSchemaFor(rca: Rca, anomalies: readonly Anomaly[]) {
  return RcaNarration.superRefine((narration, ctx) => {
    const problem = narrationProblem(rca, narration, anomalies);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
}

/**
 * Why a narration cannot be merged, if it cannot: citations of evidence that does not exist, a
 * cause kind that was not offered, a new top cause without its evidence cited, or a metric name
 * the evidence does not contain.
 */
export function narrationProblem(rca: Rca, narration: RcaNarration, anomalies: readonly Anomaly[]): string | undefined {
  const evidenceIds = new Set(rca.evidence.map((e) => e.id));
  const unknown = narration.citations.filter((id) => !evidenceIds.has(id));
  if (unknown.length > 0) return `cites evidence that does not exist: ${unknown.slice(0, 5).join(", ")}`;

  const offered = rca.causes.map((c) => c.kind as string);
  const order = [...new Set(narration.cause_order)];
  const foreign = order.filter((kind) => !offered.includes(kind));
  if (foreign.length > 0) return `orders causes that were not offered: ${foreign.join(", ")}`;
  const top = rca.causes.find((c) => c.kind === causeOrder(rca, narration)[0]);
  if (top && top.kind !== rca.causes[0]?.kind && !top.evidence_ids.some((id) => narration.citations.includes(id))) {
    return `puts ${top.kind} first without citing its evidence`;
  }

  const known = new Set<string>();
  for (const e of rca.evidence) {
    if (e.metric) known.add(e.metric.toLowerCase());
    for (const v of Object.values(e.labels)) known.add(v.toLowerCase());
    for (const m of (e.promql ?? "").match(METRIC_LIKE) ?? []) known.add(m.toLowerCase());
  }
  for (const a of anomalies) known.add(a.metric.toLowerCase());
  for (const c of rca.causes) known.add(c.kind);
  const text = [narration.title, narration.summary, narration.root_cause, ...narration.fix_plan.immediate, ...narration.fix_plan.prevention].join("\n");
  const invented = [...new Set((text.match(METRIC_LIKE) ?? []).filter((m) => !known.has(m.toLowerCase())))];
  if (invented.length > 0) return `names series not in the evidence: ${invented.slice(0, 5).join(", ")}`;
  return undefined;
}

/** The offered cause kinds in the model's order (kinds it left out keep theirs, after). */
function causeOrder(rca: Rca, narration: RcaNarration): CauseKind[] {
  const offered = rca.causes.map((c) => c.kind);
  const order = [...new Set(narration.cause_order)].filter((kind): kind is CauseKind => (offered as string[]).includes(kind));
  return [...order, ...offered.filter((kind) => !order.includes(kind))];
}

/** The deterministic RCA with the model's prose and cause order (a narration that passed `narrationProblem`). */
export function mergeNarration(rca: Rca, narration: RcaNarration, source: { provider: string; model: string }, generatedAt: string): Rca {
  const byKind = new Map(rca.causes.map((c) => [c.kind, c]));
  return {
    ...rca,
    title: narration.title,
    summary: narration.summary,
    root_cause: narration.root_cause,
    fix_plan: narration.fix_plan,
    causes: causeOrder(rca, narration).map((kind) => byKind.get(kind)!),
    source: { kind: "llm", provider: source.provider, model: source.model },
    generated_at: generatedAt,
  };
}

/**
 * What a narration depends on: the ranked causes, the evidence cited and the severity. A new
 * deterministic RCA with the same fingerprint (fresher numbers, same story) keeps the narration.
 */
export function narrationFingerprint(rca: Rca): string {
  return JSON.stringify([rca.severity, rca.causes.map((c) => c.kind), rca.evidence.map((e) => e.id)]);
}

/** A fresh deterministic RCA told in an earlier narration's words (same fingerprint). */
export function reuseNarration(rca: Rca, narrated: Rca): Rca {
  const byKind = new Map(rca.causes.map((c) => [c.kind, c]));
  return {
    ...rca,
    title: narrated.title,
    summary: narrated.summary,
    root_cause: narrated.root_cause,
    fix_plan: narrated.fix_plan,
    causes: narrated.causes.map((c) => byKind.get(c.kind) ?? c),
    source: narrated.source,
  };
}
