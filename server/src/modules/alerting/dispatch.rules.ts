import type { LabelSet } from "#server/modules/alerting/labels.rules.ts";
import type { CompiledRoute } from "#server/modules/alerting/routing.rules.ts";

/** An alert as one group's flush sees it. Times in ms. */
export interface TrackedAlert {
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly state: "pending" | "firing" | "resolved";
  readonly startsAt: number;
  readonly acknowledgedAt: number | null;
  /** Silenced, inside a maintenance window, or inhibited right now. */
  readonly muted: boolean;
}

/** One aggregation group (route × group labels), persisted between flushes. */
export interface GroupState {
  readonly key: string;
  readonly routeId: string;
  readonly groupLabels: Record<string, string>;
  /** Next time the group is looked at. */
  nextFlushAt: number;
  flushedOnce: boolean;
  lastNotifiedAt: number | null;
  /** Fingerprints the receivers were last told are firing. */
  notified: string[];
  /** When the receivers first heard of the current firing episode (escalation counts from it). */
  firingNotifiedAt: number | null;
  escalated: boolean;
}

export interface FlushResult {
  /** What to tell the route's receivers now, if anything. */
  send: { reason: "new" | "changed" | "repeat"; firing: string[]; resolved: string[] } | null;
  /** Unacknowledged firing alerts to hand to the escalation receivers now. */
  escalate: string[] | null;
  /** Alerts that leave the group (resolved and told, or resolved before anyone was told). */
  drop: string[];
  /** Next time to look at the group; null when it is empty and can be forgotten. */
  nextAt: number | null;
}

export function newGroup(key: string, route: CompiledRoute, groupLabels: Record<string, string>, now: number): GroupState {
  return { key, routeId: route.id, groupLabels, nextFlushAt: now + route.groupWaitMs, flushedOnce: false, lastNotifiedAt: null, notified: [], firingNotifiedAt: null, escalated: false };
}

/**
 * One flush of an aggregation group, with Alertmanager's semantics plus Auspex's: a group speaks
 * first after group_wait, then at most every group_interval when its alerts changed (new firing
 * or resolved ones), and repeats an unchanged notification after repeat_interval unless every
 * firing alert is acknowledged. Flap damping holds an alert back until it has fired for a while
 * (resolving before that, it is never notified); cooldown holds back an alert that fires again
 * soon after it was notified; escalation tells more receivers once, when firing alerts stay
 * unacknowledged too long. Muted alerts are left out. Mutates `group`.
 */
export function flushGroup(group: GroupState, alerts: readonly TrackedAlert[], route: CompiledRoute, now: number, lastFiringNotice: (fingerprint: string) => number | undefined): FlushResult {
  const told = new Set(group.notified);
  const firing = alerts.filter((a) => a.state === "firing" && !a.muted);
  const readyAt = (a: TrackedAlert): number => {
    const damped = a.startsAt + route.flapDampingMs;
    const last = told.has(a.fingerprint) ? undefined : lastFiringNotice(a.fingerprint);
    return Math.max(damped, last === undefined ? Number.NEGATIVE_INFINITY : last + route.cooldownMs);
  };
  const eligible = firing.filter((a) => readyAt(a) <= now);
  const waiting = firing.filter((a) => readyAt(a) > now);
  const resolvedTold = alerts.filter((a) => a.state === "resolved" && told.has(a.fingerprint));
  const resolvedUntold = alerts.filter((a) => a.state === "resolved" && !told.has(a.fingerprint));

  let send: FlushResult["send"] = null;
  const fresh = eligible.filter((a) => !told.has(a.fingerprint));
  if (fresh.length > 0 || resolvedTold.length > 0) {
    send = { reason: group.flushedOnce && group.lastNotifiedAt !== null ? "changed" : "new", firing: eligible.map((a) => a.fingerprint), resolved: resolvedTold.map((a) => a.fingerprint) };
  } else if (eligible.length > 0 && group.lastNotifiedAt !== null && now - group.lastNotifiedAt >= route.repeatIntervalMs) {
    const unacknowledged = eligible.filter((a) => a.acknowledgedAt === null);
    if (unacknowledged.length > 0) send = { reason: "repeat", firing: unacknowledged.map((a) => a.fingerprint), resolved: [] };
  }

  if (send) {
    group.lastNotifiedAt = now;
    const stillTold = new Set([...told].filter((fp) => !send.resolved.includes(fp)));
    for (const fp of send.firing) stillTold.add(fp);
    group.notified = [...stillTold].sort();
  }
  // Muted or no-longer-present alerts stay "told" until they resolve, so a silence ending does not re-announce them.
  const firingTold = eligible.some((a) => group.notified.includes(a.fingerprint));
  if (firing.length === 0) {
    group.firingNotifiedAt = null;
    group.escalated = false;
  } else if (firingTold && group.firingNotifiedAt === null) {
    group.firingNotifiedAt = now;
  }

  let escalate: string[] | null = null;
  const escalation = route.escalation;
  if (escalation && !group.escalated && group.firingNotifiedAt !== null && now >= group.firingNotifiedAt + escalation.afterMs) {
    const unacknowledged = eligible.filter((a) => a.acknowledgedAt === null);
    if (unacknowledged.length > 0) {
      escalate = unacknowledged.map((a) => a.fingerprint);
      group.escalated = true;
    }
  }

  group.flushedOnce = true;
  const drop = [...resolvedTold, ...resolvedUntold].map((a) => a.fingerprint);
  const remaining = alerts.length - drop.length;
  if (remaining === 0) return { send, escalate, drop, nextAt: null };
  let nextAt = now + route.groupIntervalMs;
  for (const a of waiting) nextAt = Math.min(nextAt, readyAt(a));
  if (escalation && !group.escalated && group.firingNotifiedAt !== null) nextAt = Math.min(nextAt, Math.max(now + 1, group.firingNotifiedAt + escalation.afterMs));
  group.nextFlushAt = nextAt;
  return { send, escalate, drop, nextAt };
}
