/**
 * Evaluates one rule group at one instant, rule after rule (a later rule sees what an earlier one
 * wrote, as in Prometheus), keeping each alerting rule's state between evaluations and writing
 * staleness markers for series a rule no longer produces. Pure: querying and appending are injected.
 */
import type { Value } from "#server/modules/query/index.ts";
import { STALE_NAN } from "#server/platform/staleness.ts";
import {
  createAlertingRuleState,
  labelsKey,
  listAlerts,
  recordingRuleOutput,
  stepAlertingRule,
  type AlertState,
  type AlertingRuleState,
  type InstantSample,
  type Labels,
  type RuleStepResult,
} from "#server/modules/rules/alerting.rules.ts";
import type { RuleDef, RuleGroupDef } from "#server/modules/rules/rule-file.rules.ts";

/** An alert of a rule group as reported to the alert sink. */
export interface RuleAlert {
  alertname: string;
  /** Including alertname and the rule's labels. */
  labels: Record<string, string>;
  /** Expanded. */
  annotations: Record<string, string>;
  /** inactive = resolved, still reported during the 15 minutes' retention. */
  state: AlertState;
  activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
  value: number;
  generatorURL?: string;
}

export interface RuleStatus {
  name: string;
  type: "alerting" | "recording";
  query: string;
  health: "unknown" | "ok" | "err";
  lastError?: string;
  /** ms */
  lastEvaluation?: number;
  evaluationMs: number;
}

export interface GroupEvalIo {
  query(expr: string, t: number): Promise<Value>;
  /** Stores samples at t (rule output and staleness markers). */
  append(samples: ReadonlyArray<{ labels: Labels; t: number; v: number }>): Promise<void>;
  /** Monotonic-enough ms clock for durations. */
  now(): number;
  externalLabels: Labels;
  externalURL: string;
  parseDuration?: (text: string) => number | undefined;
}

export interface GroupEvalResult {
  evaluatedAt: number;
  durationMs: number;
  errors: Array<{ rule: string; ruleIndex: number; error: string }>;
  alerts: RuleAlert[];
}

interface RuleSlot {
  rule: RuleDef;
  alerting: AlertingRuleState | undefined;
  previous: Map<string, Labels>;
  status: RuleStatus;
}

/** Scalar → one sample without labels; vector → its samples; anything else is an error. */
export function toInstantSamples(value: Value): InstantSample[] {
  if (value.type === "vector") return value.samples.map((s) => ({ labels: s.labels, value: s.value }));
  if (value.type === "scalar") return [{ labels: {}, value: value.value }];
  throw new Error("rule result is not a vector or scalar");
}

export function generatorURL(externalURL: string, expr: string): string | undefined {
  if (externalURL === "") return undefined;
  return `${externalURL.replace(/\/$/, "")}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=1`;
}

/** A key for the rule's identity: moving a rule within its group or changing it starts it afresh. */
function ruleFingerprint(rule: RuleDef): string {
  return JSON.stringify(rule);
}

/** How far back a restart looks for an alert's pending state (Prometheus's --rules.alert.for-outage-tolerance). */
const OUTAGE_TOLERANCE_MS = 3_600_000;
/** Rules with a shorter `for` start over; longer ones keep at least this much to go (--rules.alert.for-grace-period). */
const FOR_GRACE_PERIOD_MS = 600_000;

function exactSelector(name: string, labels: Labels): string {
  const matchers = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${matchers.join(",")}}`;
}

/**
 * `restoreForState`: a group loaded at start (not a changed group taking over its predecessor's
 * state) restores its pending alerts' activeAt from ALERTS_FOR_STATE after its first evaluation,
 * as Prometheus does, and writes no ALERTS series until then.
 */
export function createGroupEvaluator(group: RuleGroupDef, file: string, options: { restoreForState?: boolean } = {}) {
  let pendingRestore = options.restoreForState ?? false;
  const slots: RuleSlot[] = group.rules.map((rule) => ({
    rule,
    alerting: rule.kind === "alerting" ? createAlertingRuleState() : undefined,
    previous: new Map(),
    status: { name: rule.name, type: rule.kind, query: rule.expr, health: "unknown", evaluationMs: 0 },
  }));
  let lastEvaluation: number | undefined;
  let lastDurationMs = 0;

  function alerts(externalURL: string): RuleAlert[] {
    const out: RuleAlert[] = [];
    for (const slot of slots) {
      if (!slot.alerting) continue;
      const url = generatorURL(externalURL, slot.rule.expr);
      for (const a of listAlerts(slot.alerting)) {
        out.push({
          alertname: slot.rule.name,
          labels: { ...a.labels },
          annotations: { ...a.annotations },
          state: a.state,
          activeAt: a.activeAt,
          ...(a.firedAt !== undefined && { firedAt: a.firedAt }),
          ...(a.resolvedAt !== undefined && { resolvedAt: a.resolvedAt }),
          value: a.value,
          ...(url !== undefined && { generatorURL: url }),
        });
      }
    }
    return out;
  }

  /**
   * Prometheus's RestoreForState: each pending alert of a rule whose `for` is at least the grace
   * period takes back the activeAt its last ALERTS_FOR_STATE sample (within the outage tolerance)
   * recorded; time spent down counts as pending unless the alert would then fire within the grace
   * period, in which case it fires one grace period from now. Alerts that had already fired keep
   * their activeAt.
   */
  async function restoreForState(ts: number, io: GroupEvalIo): Promise<void> {
    for (const slot of slots) {
      if (!slot.alerting || slot.rule.forMs < FOR_GRACE_PERIOD_MS) continue;
      for (const alert of slot.alerting.active.values()) {
        if (alert.state !== "pending") continue;
        let value: Value;
        try {
          value = await io.query(`${exactSelector("ALERTS_FOR_STATE", alert.labels)}[${OUTAGE_TOLERANCE_MS / 1000}s]`, ts);
        } catch {
          continue;
        }
        if (value.type !== "matrix") continue;
        const series = value.series.find((x) => Object.keys(x.labels).length === Object.keys(alert.labels).length + 1);
        const last = series?.points.filter((p) => Number.isFinite(p.v) && p.t < ts).at(-1);
        if (!last) continue;
        const downAt = last.t;
        let activeAt = last.v * 1000;
        const remaining = slot.rule.forMs - (downAt - activeAt);
        if (remaining <= 0) {
          // It was firing before the restart: keep its original activeAt.
        } else if (remaining < FOR_GRACE_PERIOD_MS) {
          activeAt = ts + FOR_GRACE_PERIOD_MS - slot.rule.forMs;
        } else {
          activeAt += ts - downAt;
        }
        alert.activeAt = activeAt;
      }
    }
  }

  return {
    group,
    file,

    /** Evaluates every rule of the group at ts (ms), in order. Never throws for a rule's failure. */
    async evaluate(ts: number, io: GroupEvalIo): Promise<GroupEvalResult> {
      const started = io.now();
      const errors: GroupEvalResult["errors"] = [];
      for (const [index, slot] of slots.entries()) {
        const ruleStarted = io.now();
        let result: RuleStepResult;
        // query_offset: the rule sees (and records at) an earlier instant; alerts keep the evaluation time.
        const queryAt = ts - group.queryOffsetMs;
        try {
          const samples = toInstantSamples(await io.query(slot.rule.expr, queryAt));
          result = slot.alerting
            ? stepAlertingRule(slot.rule, slot.alerting, samples, ts, { externalLabels: io.externalLabels, externalURL: io.externalURL, limit: group.limit, ...(io.parseDuration && { parseDuration: io.parseDuration }) })
            : recordingRuleOutput(slot.rule, samples, group.limit);
        } catch (error) {
          result = { ok: false, error: (error as Error).message, output: [] };
        }
        slot.status.lastEvaluation = ts;
        if (!result.ok) {
          slot.status.health = "err";
          slot.status.lastError = result.error;
          slot.status.evaluationMs = io.now() - ruleStarted;
          errors.push({ rule: slot.rule.name, ruleIndex: index + 1, error: result.error });
          continue;
        }
        const current = new Map<string, Labels>();
        const batch: Array<{ labels: Labels; t: number; v: number }> = [];
        // Before the restore, an alert's ALERTS_FOR_STATE would be a fresh activeAt hiding the one to restore.
        const output = pendingRestore && slot.alerting ? [] : result.output;
        for (const s of output) {
          current.set(labelsKey(s.labels), s.labels);
          batch.push({ labels: s.labels, t: queryAt, v: s.value });
        }
        for (const [key, labels] of slot.previous) if (!current.has(key)) batch.push({ labels, t: queryAt, v: STALE_NAN });
        slot.previous = current;
        try {
          if (batch.length > 0) await io.append(batch);
          slot.status.health = "ok";
          delete slot.status.lastError;
        } catch (error) {
          slot.status.health = "err";
          slot.status.lastError = `storing the rule's output failed: ${(error as Error).message}`;
          errors.push({ rule: slot.rule.name, ruleIndex: index + 1, error: slot.status.lastError });
        }
        slot.status.evaluationMs = io.now() - ruleStarted;
      }
      if (pendingRestore) {
        pendingRestore = false;
        await restoreForState(ts, io);
      }
      lastEvaluation = ts;
      lastDurationMs = io.now() - started;
      return { evaluatedAt: ts, durationMs: lastDurationMs, errors, alerts: alerts(io.externalURL) };
    },

    alerts,

    /** Firing alerts of the named alerting rules (promtool's view). */
    firingAlerts(alertname: string): Array<{ labels: Labels; annotations: Readonly<Record<string, string>> }> {
      const out: Array<{ labels: Labels; annotations: Readonly<Record<string, string>> }> = [];
      for (const slot of slots) {
        if (!slot.alerting || slot.rule.name !== alertname) continue;
        for (const a of listAlerts(slot.alerting)) if (a.state === "firing") out.push({ labels: a.labels, annotations: a.annotations });
      }
      return out;
    },

    status(): { lastEvaluation: number | undefined; evaluationMs: number; rules: RuleStatus[] } {
      return { lastEvaluation, evaluationMs: lastDurationMs, rules: slots.map((s) => ({ ...s.status })) };
    },

    /** Carries the alert state of unchanged rules over from the evaluator of the previous version of this group. */
    adopt(previous: { slots(): readonly RuleSlot[]; status(): { lastEvaluation: number | undefined } }): void {
      pendingRestore = false;
      const byFingerprint = new Map<string, RuleSlot>();
      for (const slot of previous.slots()) byFingerprint.set(ruleFingerprint(slot.rule), slot);
      for (const slot of slots) {
        const old = byFingerprint.get(ruleFingerprint(slot.rule));
        if (!old) continue;
        byFingerprint.delete(ruleFingerprint(slot.rule));
        slot.alerting = old.alerting;
        slot.previous = old.previous;
        slot.status = { ...old.status };
      }
      lastEvaluation = previous.status().lastEvaluation;
    },

    /** @internal for adopt() */
    slots(): readonly RuleSlot[] {
      return slots;
    },

    /** Output series every rule last produced (to be marked stale when the group goes away). */
    producedSeries(): Labels[] {
      return slots.flatMap((s) => [...s.previous.values()]);
    },
  };
}

export type GroupEvaluator = ReturnType<typeof createGroupEvaluator>;
