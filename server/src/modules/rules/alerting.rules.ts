/**
 * One alerting rule's state machine, as Prometheus 2.42/3.x runs it (rules/alerting.go Eval):
 * inactive → pending → firing after `for`, `keep_firing_for`, resolved alerts kept 15 minutes
 * (resolvedRetention), ALERTS{alertstate} = 1 and ALERTS_FOR_STATE = activeAt in seconds. And a
 * recording rule's output. Pure: the caller runs the query and stores the output.
 */
import type { RuleDef } from "#server/modules/rules/rule-file.rules.ts";
import { expandTemplate } from "#server/modules/rules/template.rules.ts";

export type Labels = Readonly<Record<string, string>>;
export type AlertState = "pending" | "firing" | "inactive";

/** Prometheus keeps resolved alerts this long so that receivers learn they resolved. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

export interface InstantSample {
  labels: Labels;
  value: number;
}

export interface ActiveAlert {
  /** Sorted label set including alertname and the rule's (expanded) labels. */
  labels: Labels;
  annotations: Readonly<Record<string, string>>;
  state: AlertState;
  /** ms */
  activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
  keepFiringSince?: number;
  value: number;
}

export interface AlertingRuleState {
  active: Map<string, ActiveAlert>;
}

export interface AlertingContext {
  externalLabels: Labels;
  externalURL: string;
  /** Alerts a rule may have pending or firing at once (0 = unlimited). */
  limit: number;
  parseDuration?: (text: string) => number | undefined;
}

export type RuleStepResult = { ok: true; output: InstantSample[] } | { ok: false; error: string; output: InstantSample[] };

export function labelsKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\xff${labels[k] ?? ""}`)
    .join("\xfe");
}

function sortedLabels(labels: Record<string, string>): Labels {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) if (labels[k] !== "") out[k] = labels[k]!;
  return out;
}

export function createAlertingRuleState(): AlertingRuleState {
  return { active: new Map() };
}

/** One evaluation of an alerting rule at `ts` (ms) over the query result `samples`. Mutates `state`. */
export function stepAlertingRule(rule: RuleDef, state: AlertingRuleState, samples: readonly InstantSample[], ts: number, ctx: AlertingContext): RuleStepResult {
  const name = `__alert_${rule.name}`;
  const resultKeys = new Set<string>();
  const fresh = new Map<string, ActiveAlert>();
  for (const smpl of samples) {
    const sampleLabels: Record<string, string> = {};
    for (const [k, v] of Object.entries(smpl.labels)) if (k !== "__name__") sampleLabels[k] = v;
    const expand = (text: string): string =>
      expandTemplate(text, {
        name,
        data: { labels: sampleLabels, externalLabels: ctx.externalLabels, externalURL: ctx.externalURL, value: smpl.value },
        evaluatedAt: ts,
        ...(ctx.parseDuration && { parseDuration: ctx.parseDuration }),
      });
    const lb: Record<string, string> = { ...sampleLabels };
    for (const [k, v] of Object.entries(rule.labels)) lb[k] = expand(v);
    lb.alertname = rule.name;
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(rule.annotations)) annotations[k] = expand(v);
    const labels = sortedLabels(lb);
    const key = labelsKey(labels);
    if (fresh.has(key)) return { ok: false, error: "vector contains metrics with the same labelset after applying alert labels", output: [] };
    resultKeys.add(key);
    fresh.set(key, { labels, annotations, state: "pending", activeAt: ts, value: smpl.value });
  }
  for (const [key, alert] of fresh) {
    const existing = state.active.get(key);
    if (existing && existing.state !== "inactive") {
      existing.value = alert.value;
      existing.annotations = alert.annotations;
      continue;
    }
    state.active.set(key, alert);
  }
  const output: InstantSample[] = [];
  let numActivePending = 0;
  for (const [key, a] of state.active) {
    if (!resultKeys.has(key)) {
      let keepFiring = false;
      if (a.state === "firing" && rule.keepFiringForMs > 0) {
        a.keepFiringSince ??= ts;
        if (ts - a.keepFiringSince < rule.keepFiringForMs) keepFiring = true;
      }
      if (a.state === "pending" || (a.resolvedAt !== undefined && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) state.active.delete(key);
      if (a.state !== "inactive" && !keepFiring) {
        a.state = "inactive";
        a.resolvedAt = ts;
      }
      if (!keepFiring) continue;
    } else {
      delete a.keepFiringSince;
    }
    numActivePending++;
    if (a.state === "pending" && ts - a.activeAt >= rule.forMs) {
      a.state = "firing";
      a.firedAt = ts;
    }
    output.push({ labels: sortedLabels({ ...a.labels, __name__: "ALERTS", alertstate: a.state }), value: 1 });
    output.push({ labels: sortedLabels({ ...a.labels, __name__: "ALERTS_FOR_STATE" }), value: Math.floor(a.activeAt / 1000) });
  }
  if (ctx.limit > 0 && numActivePending > ctx.limit) {
    state.active.clear();
    return { ok: false, error: `exceeded limit of ${ctx.limit} with ${numActivePending} alerts`, output: [] };
  }
  return { ok: true, output };
}

/** A recording rule's output: the query result renamed and relabelled. */
export function recordingRuleOutput(rule: RuleDef, samples: readonly InstantSample[], limit: number): RuleStepResult {
  const output: InstantSample[] = [];
  const seen = new Set<string>();
  for (const s of samples) {
    const labels = sortedLabels({ ...s.labels, ...rule.labels, __name__: rule.name });
    const key = labelsKey(labels);
    if (seen.has(key)) return { ok: false, error: "vector contains metrics with the same labelset after applying rule labels", output: [] };
    seen.add(key);
    output.push({ labels, value: s.value });
  }
  if (limit > 0 && output.length > limit) return { ok: false, error: `exceeded limit of ${limit} with ${output.length} series`, output: [] };
  return { ok: true, output };
}

/** Alerts of a rule that are pending, firing, or resolved within the retention, sorted by labels. */
export function listAlerts(state: AlertingRuleState): ActiveAlert[] {
  return [...state.active.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, alert]) => alert);
}
