import type { Logger } from "#server/platform/logger.ts";
import { STALE_NAN } from "#server/platform/staleness.ts";
import { hashedOffset, realTimers, type Timers } from "#server/platform/timers.ts";
import type { SeriesBatch } from "#server/modules/metric-store/index.ts";
import type { Value } from "#server/modules/query/index.ts";
import type { Labels } from "#server/modules/rules/alerting.rules.ts";
import { createGroupEvaluator, type GroupEvalResult, type GroupEvaluator, type RuleAlert, type RuleStatus } from "#server/modules/rules/group-evaluator.rules.ts";
import type { RuleGroupDef } from "#server/modules/rules/rule-file.rules.ts";

/** Timer functions, injectable so tests run the schedule on virtual time. */
export type RuleTimers = Timers;

/** Receives, after each evaluation of a group, the group's alerts (pending, firing, and resolved within 15 min). */
export type RuleAlertSink = (userId: string, update: { group: string; file: string; evaluatedAt: number; alerts: RuleAlert[] }) => Promise<void>;

export interface LoadedGroup {
  file: string;
  group: RuleGroupDef;
}

export interface GroupRef {
  file: string;
  group: string;
}

export interface GroupView {
  file: string;
  name: string;
  intervalMs: number;
  limit: number;
  lastEvaluation: number | undefined;
  evaluationMs: number;
  rules: RuleStatus[];
  alerts: RuleAlert[];
}

interface Deps {
  listUsers: () => Promise<string[]>;
  loadGroups: (userId: string) => Promise<LoadedGroup[]>;
  query: (userId: string, expr: string, t: number) => Promise<Value>;
  append: (userId: string, batch: SeriesBatch) => Promise<void>;
  sink?: RuleAlertSink;
  logger: Logger;
  timers?: RuleTimers;
  defaultIntervalMs: number;
  externalURL: string;
  externalLabels?: Labels;
}

interface Loop {
  userId: string;
  key: string;
  fingerprint: string;
  intervalMs: number;
  evaluator: GroupEvaluator;
  timer: unknown;
  /** The slot (ms) the timer is set for. */
  lastSlot: number;
  /** Evaluations of this group run one after another. */
  chain: Promise<unknown>;
  stopped: boolean;
}


const loopKey = (userId: string, file: string, group: string): string => `${userId}\u0000${file}\u0000${group}`;

/** Converts rule output into the store's batch shape (one entry per series). */
function toBatch(samples: ReadonlyArray<{ labels: Labels; t: number; v: number }>): SeriesBatch {
  const bySeries = new Map<string, { labels: Labels; samples: Array<{ t: number; v: number }> }>();
  for (const s of samples) {
    const key = JSON.stringify(s.labels);
    let entry = bySeries.get(key);
    if (!entry) {
      entry = { labels: s.labels, samples: [] };
      bySeries.set(key, entry);
    }
    entry.samples.push({ t: s.t, v: s.v });
  }
  return [...bySeries.values()];
}

/**
 * Evaluates every user's rule groups on their interval, at a fixed offset inside it, one evaluation
 * of a group at a time; rule output goes to the metric store, alerts to the sink. Reloading a user's
 * rules keeps the alert state of unchanged rules.
 */
export function createRulesScheduler(deps: Deps) {
  const timers = deps.timers ?? realTimers;
  const loops = new Map<string, Loop>();
  const externalLabels = deps.externalLabels ?? {};
  let closed = false;

  const io = (userId: string) => ({
    query: (expr: string, t: number) => deps.query(userId, expr, t),
    append: (samples: ReadonlyArray<{ labels: Labels; t: number; v: number }>) => deps.append(userId, toBatch(samples)),
    now: () => timers.now(),
    externalLabels,
    externalURL: deps.externalURL,
  });

  async function runEvaluation(loop: Loop, at: number): Promise<GroupEvalResult> {
    const result = await loop.evaluator.evaluate(at, io(loop.userId));
    for (const e of result.errors) deps.logger.warn({ user_id: loop.userId, file: loop.evaluator.file, group: loop.evaluator.group.name, rule: e.rule, error: e.error }, "rule evaluation failed");
    if (deps.sink) {
      try {
        await deps.sink(loop.userId, { group: loop.evaluator.group.name, file: loop.evaluator.file, evaluatedAt: at, alerts: result.alerts });
      } catch (error) {
        deps.logger.error({ error, user_id: loop.userId, group: loop.evaluator.group.name }, "the alert sink failed");
      }
    }
    return result;
  }

  function enqueue(loop: Loop, at: number): Promise<GroupEvalResult> {
    const run = loop.chain.then(() => runEvaluation(loop, at));
    loop.chain = run.catch(() => undefined);
    return run;
  }

  const schedule = (loop: Loop): void => {
    if (loop.stopped || closed) return;
    const now = timers.now();
    const offset = hashedOffset(loop.key, loop.intervalMs);
    let next = Math.floor((now - offset) / loop.intervalMs) * loop.intervalMs + offset + loop.intervalMs;
    // A timer that fires a little early must not evaluate the same slot twice.
    if (next <= loop.lastSlot) next = loop.lastSlot + loop.intervalMs;
    loop.lastSlot = next;
    loop.timer = timers.setTimeout(() => {
      schedule(loop);
      if (loop.stopped) return;
      void enqueue(loop, next).catch((error: unknown) => deps.logger.error({ error, user_id: loop.userId }, "rule group evaluation failed"));
    }, Math.max(next - now, 0));
  };

  async function stopLoop(loop: Loop, markStale: boolean): Promise<void> {
    loop.stopped = true;
    timers.clearTimeout(loop.timer);
    await loop.chain;
    if (!markStale) return;
    const now = timers.now();
    const series = loop.evaluator.producedSeries();
    try {
      if (series.length > 0) await deps.append(loop.userId, toBatch(series.map((labels) => ({ labels, t: now, v: STALE_NAN }))));
      if (deps.sink) {
        const alerts = loop.evaluator.alerts(deps.externalURL).map((a): RuleAlert => (a.state === "inactive" ? a : { ...a, state: "inactive", resolvedAt: now }));
        await deps.sink(loop.userId, { group: loop.evaluator.group.name, file: loop.evaluator.file, evaluatedAt: now, alerts });
      }
    } catch (error) {
      deps.logger.error({ error, user_id: loop.userId }, "ending a removed rule group failed");
    }
  }

  async function syncUserNow(userId: string): Promise<void> {
    if (closed) return;
    const groups = await deps.loadGroups(userId);
    const wanted = new Map<string, LoadedGroup>();
    for (const g of groups) wanted.set(loopKey(userId, g.file, g.group.name), g);
    for (const [key, loop] of loops) {
      if (loop.userId !== userId || wanted.has(key)) continue;
      loops.delete(key);
      await stopLoop(loop, true);
    }
    for (const [key, g] of wanted) {
      const intervalMs = g.group.intervalMs ?? deps.defaultIntervalMs;
      const fingerprint = JSON.stringify([g.group, intervalMs]);
      const existing = loops.get(key);
      if (existing && existing.fingerprint === fingerprint) continue;
      const evaluator = createGroupEvaluator(g.group, g.file, { restoreForState: true });
      const loop: Loop = { userId, key, fingerprint, intervalMs, evaluator, timer: undefined, lastSlot: -Infinity, chain: Promise.resolve(), stopped: false };
      if (existing) {
        await stopLoop(existing, false);
        evaluator.adopt(existing.evaluator);
      }
      loops.set(key, loop);
      schedule(loop);
    }
  }

  /** Syncs run one after another so that two changes in a row never interleave. */
  let syncs: Promise<void> = Promise.resolve();
  const serial = (f: () => Promise<void>): Promise<void> => {
    syncs = syncs.then(f).catch((error: unknown) => deps.logger.error({ error }, "updating the rule schedule failed"));
    return syncs;
  };

  return {
    /** Reloads one user's groups (after their rules changed). Never rejects. */
    syncUser(userId: string): Promise<void> {
      return serial(() => syncUserNow(userId));
    },

    /** Loads every user's groups (at start). Never rejects. */
    syncAll(): Promise<void> {
      return serial(async () => {
        const users = new Set(await deps.listUsers());
        for (const loop of loops.values()) users.add(loop.userId);
        for (const userId of users) await syncUserNow(userId);
      });
    },

    /**
     * Evaluates a group now at `at` (ms), queued behind a running evaluation of it. The group is
     * named by file and name, or by name alone (the first group of that name).
     */
    async evaluateGroup(userId: string, group: string | GroupRef, at: number): Promise<GroupEvalResult | undefined> {
      await syncs;
      const loop =
        typeof group === "string"
          ? [...loops.values()].find((l) => l.userId === userId && l.evaluator.group.name === group)
          : loops.get(loopKey(userId, group.file, group.group));
      if (!loop) return undefined;
      return enqueue(loop, at);
    },

    /** The user's groups with their rules' health and alerts, like Prometheus's /api/v1/rules. */
    describeGroups(userId: string): GroupView[] {
      const out: GroupView[] = [];
      for (const loop of loops.values()) {
        if (loop.userId !== userId) continue;
        const status = loop.evaluator.status();
        out.push({
          file: loop.evaluator.file,
          name: loop.evaluator.group.name,
          intervalMs: loop.intervalMs,
          limit: loop.evaluator.group.limit,
          lastEvaluation: status.lastEvaluation,
          evaluationMs: status.evaluationMs,
          rules: status.rules,
          alerts: loop.evaluator.alerts(deps.externalURL),
        });
      }
      return out.sort((a, b) => (a.file === b.file ? (a.name < b.name ? -1 : 1) : a.file < b.file ? -1 : 1));
    },

    /** Groups scheduled now, over all users. */
    get size(): number {
      return loops.size;
    },

    /** Stops every timer and waits for evaluations in flight. Output series are not marked stale: the rules still exist. */
    async close(): Promise<void> {
      closed = true;
      await syncs;
      const all = [...loops.values()];
      loops.clear();
      await Promise.all(all.map((loop) => stopLoop(loop, false)));
    },
  };
}

export type RulesScheduler = ReturnType<typeof createRulesScheduler>;
