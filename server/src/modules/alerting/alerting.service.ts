import { createHash } from "node:crypto";
import {
  AlertingConfig,
  type Alert,
  type AlertFilters,
  type AlertHistoryFilters,
  type CreateMaintenanceWindowRequest,
  type CreateSilenceRequest,
  type MaintenanceWindow,
  type Silence,
} from "@auspex/shared/contracts/alerting.ts";
import type { Notification, NotificationIncident, OutboxItem } from "#server/modules/notifications/index.ts";
import type { AlertRecord, AlertSource, AlertUpdate } from "#server/modules/alerting/alert-model.ts";
import type { AlertGroupRow, AlertHistoryRow, AlertingRepository, AlertRow, AlertingWrites } from "#server/modules/alerting/alerting.repository.ts";
import { flushGroup, newGroup, type GroupState, type TrackedAlert } from "#server/modules/alerting/dispatch.rules.ts";
import { fingerprintOf, matchesAll, parseMatcher, type LabelSet } from "#server/modules/alerting/labels.rules.ts";
import { inhibitedBy, maintainedBy, maintenanceActive, silencedBy, silenceStatus, WEEKDAYS, type InhibitionRule, type MaintenanceRule, type SilenceRule } from "#server/modules/alerting/muting.rules.ts";
import { buildNotification } from "#server/modules/alerting/notification.rules.ts";
import { compileRoute, groupKeyOf, groupLabelsOf, matchRoutes, type CompiledRoute } from "#server/modules/alerting/routing.rules.ts";
import { parsePromQLDuration } from "#server/modules/query/index.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { NotFoundError, ValidationError } from "#server/platform/errors.ts";
import { newId } from "#server/platform/ids.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { Db } from "#server/storage/database.ts";

export interface AlertingDeps {
  repository: AlertingRepository;
  /** The state database: a flush's writes and its outbox rows share one transaction. */
  db: Db;
  channels: { listChannels(userId: string): Promise<Array<{ id: string; name: string }>> };
  outbox: { enqueue(tx: Db, items: OutboxItem[]): Promise<void>; wake(): void };
  clock: Clock;
  logger: Logger;
  /** Links in notifications (Auspex's public URL). */
  externalURL: string;
  timers?: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
}

interface Group {
  state: GroupState;
  members: Set<string>;
}

interface UserAlerting {
  config: AlertingConfig;
  updatedAt: string | null;
  route: CompiledRoute;
  routes: Map<string, CompiledRoute>;
  inhibit: InhibitionRule[];
  alerts: Map<string, AlertRecord>;
  groups: Map<string, Group>;
  silences: Array<SilenceRule & { row: Silence }>;
  windows: Array<MaintenanceRule & { row: Omit<MaintenanceWindow, "active"> }>;
}

/** With no configuration: every alert to every channel of the user, Alertmanager's default timings. */
export const DEFAULT_ALERTING: AlertingConfig = AlertingConfig.parse({ route: { receivers: ["*"] } });

/** A resolved alert stays listed this long after its last notification. */
const RESOLVED_RETENTION_MS = 60 * 60_000;
/** External alerts not reported again within this resolve (Alertmanager's resolve_timeout). */
const RESOLVE_TIMEOUT_MS = 5 * 60_000;
const SEVERITY_RANK = { low: 0, medium: 1, high: 2, critical: 3 } as const;

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (text: string) => Date.parse(text);

function indexRoutes(route: CompiledRoute, into = new Map<string, CompiledRoute>()): Map<string, CompiledRoute> {
  into.set(route.id, route);
  for (const child of route.routes) indexRoutes(child, into);
  return into;
}

function compile(config: AlertingConfig): Pick<UserAlerting, "route" | "routes" | "inhibit"> {
  const route = compileRoute(config.route);
  return {
    route,
    routes: indexRoutes(route),
    inhibit: config.inhibit_rules.map((r) => ({ source: r.source_matchers.map(parseMatcher), target: r.target_matchers.map(parseMatcher), equal: r.equal })),
  };
}

function toRow(userId: string, a: AlertRecord): AlertRow {
  return {
    user_id: userId,
    fingerprint: a.fingerprint,
    source: a.source,
    source_key: a.sourceKey,
    labels: JSON.stringify(a.labels),
    annotations: JSON.stringify(a.annotations),
    state: a.state,
    starts_at: iso(a.startsAt),
    ends_at: a.endsAt === null ? null : iso(a.endsAt),
    value: a.value,
    generator_url: a.generatorURL,
    incident: a.incident === null ? null : JSON.stringify(a.incident),
    acknowledged_at: a.acknowledgedAt === null ? null : iso(a.acknowledgedAt),
    acknowledged_note: a.acknowledgedNote,
    last_firing_notice_at: a.lastFiringNoticeAt === null ? null : iso(a.lastFiringNoticeAt),
    updated_at: iso(a.updatedAt),
  };
}

function fromRow(row: AlertRow): AlertRecord {
  return {
    fingerprint: row.fingerprint,
    source: row.source as AlertSource,
    sourceKey: row.source_key,
    labels: JSON.parse(row.labels) as LabelSet,
    annotations: JSON.parse(row.annotations) as Record<string, string>,
    state: row.state as AlertRecord["state"],
    startsAt: ms(row.starts_at),
    endsAt: row.ends_at === null ? null : ms(row.ends_at),
    value: row.value,
    generatorURL: row.generator_url,
    incident: row.incident === null ? null : (JSON.parse(row.incident) as NotificationIncident),
    acknowledgedAt: row.acknowledged_at === null ? null : ms(row.acknowledged_at),
    acknowledgedNote: row.acknowledged_note,
    lastFiringNoticeAt: row.last_firing_notice_at === null ? null : ms(row.last_firing_notice_at),
    updatedAt: ms(row.updated_at),
  };
}

function groupRow(userId: string, g: Group): AlertGroupRow {
  return { user_id: userId, group_key: g.state.key, state: JSON.stringify(g.state), members: JSON.stringify([...g.members]), next_flush_at: iso(g.state.nextFlushAt) };
}

function silenceRow(row: { id: string; matchers: string; starts_at: string; ends_at: string; created_by: string; comment: string; created_at: string }, now: number): Silence {
  const s = { startsAt: ms(row.starts_at), endsAt: ms(row.ends_at) };
  return { id: row.id, matchers: JSON.parse(row.matchers) as string[], starts_at: row.starts_at, ends_at: row.ends_at, created_by: row.created_by, comment: row.comment, status: silenceStatus(s, now), created_at: row.created_at };
}

/**
 * Alerts with Alertmanager's semantics and what it lacks: sources (rules, anomalies, incidents,
 * external Alertmanager/Prometheus) report alerts; each is fingerprinted, routed through the
 * user's tree into aggregation groups, muted by silences, maintenance windows and inhibition,
 * acknowledged, escalated and damped; every flush writes its notifications to the outbox in the
 * same transaction as the state it changes, and the history keeps every step.
 */
export function createAlertingService(deps: AlertingDeps) {
  const { repository, clock, logger } = deps;
  const users = new Map<string, Promise<UserAlerting>>();
  const timers = deps.timers ?? { setTimeout: (fn: () => void, delay: number) => setTimeout(fn, delay).unref(), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
  let timer: unknown;
  let timerAt = Number.POSITIVE_INFINITY;
  let flushing: Promise<void> | null = null;
  let closed = false;
  const now = () => clock.now().getTime();

  async function load(userId: string): Promise<UserAlerting> {
    const [configRow, alertRows, groupRows, silenceRows, windowRows] = await Promise.all([
      repository.findConfig(userId),
      repository.listAlerts(userId),
      repository.listGroups(userId),
      repository.listSilences(userId),
      repository.listWindows(userId),
    ]);
    const config = configRow ? AlertingConfig.parse(JSON.parse(configRow.config)) : DEFAULT_ALERTING;
    const at = now();
    return {
      config,
      updatedAt: configRow?.updated_at ?? null,
      ...compile(config),
      alerts: new Map(alertRows.map((r) => [r.fingerprint, fromRow(r)])),
      groups: new Map(groupRows.map((r) => [r.group_key, { state: JSON.parse(r.state) as GroupState, members: new Set(JSON.parse(r.members) as string[]) }])),
      silences: silenceRows.map((r) => ({ id: r.id, matchers: (JSON.parse(r.matchers) as string[]).map(parseMatcher), startsAt: ms(r.starts_at), endsAt: ms(r.ends_at), row: silenceRow(r, at) })),
      windows: windowRows.map((r) => windowRule(r)),
    };
  }

  function windowRule(r: { id: string; name: string; matchers: string; days: string; start: string; duration: string; time_zone: string; created_at: string }): UserAlerting["windows"][number] {
    const days = JSON.parse(r.days) as MaintenanceWindow["days"];
    const [hh, mm] = r.start.split(":").map(Number);
    return {
      id: r.id,
      matchers: (JSON.parse(r.matchers) as string[]).map(parseMatcher),
      days: days.map((d) => WEEKDAYS.indexOf(d)),
      startMinute: (hh ?? 0) * 60 + (mm ?? 0),
      durationMs: parsePromQLDuration(r.duration) ?? 0,
      timeZone: r.time_zone,
      row: { id: r.id, name: r.name, matchers: JSON.parse(r.matchers) as string[], days, start: r.start, duration: r.duration, time_zone: r.time_zone, created_at: r.created_at },
    };
  }

  function stateOf(userId: string): Promise<UserAlerting> {
    let state = users.get(userId);
    if (!state) {
      state = load(userId);
      users.set(userId, state);
      state.catch(() => users.delete(userId));
    }
    return state;
  }

  function history(userId: string, a: AlertRecord, event: string, detail: string, at: number): AlertHistoryRow {
    return { id: newId(), user_id: userId, at: iso(at), fingerprint: a.fingerprint, alertname: a.labels.alertname ?? "", labels: JSON.stringify(a.labels), event, detail, value: a.value };
  }

  function schedule(at: number): void {
    if (closed || at >= timerAt) return;
    if (timer !== undefined) timers.clearTimeout(timer);
    timerAt = at;
    timer = timers.setTimeout(() => {
      timer = undefined;
      timerAt = Number.POSITIVE_INFINITY;
      void flushDue().catch((error: unknown) => logger.error({ error }, "alert flush failed"));
    }, Math.max(0, at - now()));
  }

  /** Puts a firing or resolved alert into the groups of the routes it matches. */
  function route(u: UserAlerting, a: AlertRecord, at: number, touched: Set<Group>): void {
    for (const r of matchRoutes(u.route, a.labels)) {
      const groupLabels = groupLabelsOf(r, a.labels);
      const key = groupKeyOf(r, groupLabels);
      let group = u.groups.get(key);
      if (!group) {
        if (a.state !== "firing") continue;
        group = { state: newGroup(key, r, groupLabels, at), members: new Set() };
        u.groups.set(key, group);
      }
      group.members.add(a.fingerprint);
      touched.add(group);
    }
  }

  /** Applies a source's report: new, changed and (with `resolveMissing`) vanished alerts of that source key. */
  async function applyUpdates(userId: string, source: AlertSource, sourceKey: string, updates: readonly AlertUpdate[], resolveMissing: boolean): Promise<void> {
    const u = await stateOf(userId);
    const at = now();
    const writes: Required<Pick<AlertingWrites, "alerts" | "history" | "groups">> = { alerts: [], history: [], groups: [] };
    const touched = new Set<Group>();
    const seen = new Set<string>();
    const change = (a: AlertRecord, event: string, detail: string) => {
      writes.history.push(history(userId, a, event, detail, at));
      if (a.state !== "pending") route(u, a, at, touched);
    };
    for (const update of updates) {
      const fingerprint = fingerprintOf(update.labels);
      seen.add(fingerprint);
      let a = u.alerts.get(fingerprint);
      if (!a) {
        if (update.state === "resolved") continue;
        a = {
          fingerprint,
          source,
          sourceKey,
          labels: update.labels,
          annotations: update.annotations,
          state: update.state,
          startsAt: update.startsAt ?? at,
          endsAt: update.endsAt ?? null,
          value: update.value ?? null,
          generatorURL: update.generatorURL ?? null,
          incident: update.incident ?? null,
          acknowledgedAt: null,
          acknowledgedNote: null,
          lastFiringNoticeAt: null,
          updatedAt: at,
        };
        u.alerts.set(fingerprint, a);
        writes.alerts.push(toRow(userId, a));
        change(a, update.state, `${source} alert ${update.state}`);
        continue;
      }
      const before = a.state;
      a.annotations = update.annotations;
      if (update.value !== undefined) a.value = update.value;
      if (update.generatorURL !== undefined) a.generatorURL = update.generatorURL;
      if (update.incident !== undefined) a.incident = update.incident;
      if (update.endsAt !== undefined) a.endsAt = update.endsAt;
      a.updatedAt = at;
      if (before !== update.state) {
        if (before === "resolved") {
          // A new episode: acknowledgement and start time belong to the old one.
          a.startsAt = update.startsAt ?? at;
          a.acknowledgedAt = null;
          a.acknowledgedNote = null;
        }
        a.state = update.state;
        if (update.state === "resolved") a.endsAt = update.endsAt ?? at;
        else if (before === "resolved") a.endsAt = update.endsAt ?? null;
        change(a, update.state, `${source} alert ${update.state}`);
      }
      writes.alerts.push(toRow(userId, a));
    }
    if (resolveMissing) {
      for (const a of u.alerts.values()) {
        if (a.source !== source || a.sourceKey !== sourceKey || seen.has(a.fingerprint) || a.state === "resolved") continue;
        a.state = "resolved";
        a.endsAt = at;
        a.updatedAt = at;
        writes.alerts.push(toRow(userId, a));
        change(a, "resolved", `${source} no longer reports it`);
      }
    }
    for (const g of touched) writes.groups.push(groupRow(userId, g));
    await deps.db.transaction().execute((tx) => repository.write(tx, userId, writes));
    for (const g of touched) schedule(g.state.nextFlushAt);
  }

  function mutes(u: UserAlerting, at: number): Map<string, { silencedBy: string[]; inhibitedBy: string[] }> {
    const firing = [...u.alerts.values()].filter((a) => a.state === "firing");
    const out = new Map<string, { silencedBy: string[]; inhibitedBy: string[] }>();
    for (const a of u.alerts.values()) {
      out.set(a.fingerprint, {
        silencedBy: [...silencedBy(a.labels, u.silences, at), ...maintainedBy(a.labels, u.windows, at)],
        inhibitedBy: a.state === "firing" ? inhibitedBy(a, firing, u.inhibit) : [],
      });
    }
    return out;
  }

  async function receiversOf(userId: string, ids: readonly string[]): Promise<{ found: Array<{ id: string; name: string }>; missing: string[] }> {
    const channels = await deps.channels.listChannels(userId);
    if (ids.includes("*")) return { found: channels, missing: [] };
    const byId = new Map(channels.map((c) => [c.id, c]));
    return { found: ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])), missing: ids.filter((id) => !byId.has(id)) };
  }

  /** Flushes one user's due groups; everything a flush changes and sends commits together. */
  async function flushUser(userId: string, u: UserAlerting, at: number): Promise<void> {
    const muted = mutes(u, at);
    const items: OutboxItem[] = [];
    const writes: Required<Pick<AlertingWrites, "alerts" | "history" | "groups" | "deleteGroups" | "deleteAlerts">> = { alerts: [], history: [], groups: [], deleteGroups: [], deleteAlerts: [] };
    const changedAlerts = new Set<AlertRecord>();
    for (const group of [...u.groups.values()]) {
      if (group.state.nextFlushAt > at) continue;
      const r = u.routes.get(group.state.routeId) ?? u.route;
      const members = [...group.members].flatMap((fp) => (u.alerts.has(fp) ? [u.alerts.get(fp)!] : []));
      const tracked: TrackedAlert[] = members.map((a) => {
        const m = muted.get(a.fingerprint);
        return { fingerprint: a.fingerprint, labels: a.labels, state: a.state, startsAt: a.startsAt, acknowledgedAt: a.acknowledgedAt, muted: (m?.silencedBy.length ?? 0) + (m?.inhibitedBy.length ?? 0) > 0 };
      });
      const result = flushGroup(group.state, tracked, r, at, (fp) => u.alerts.get(fp)?.lastFiringNoticeAt ?? undefined);
      const byFp = (fps: readonly string[]) => fps.map((fp) => u.alerts.get(fp)!).filter(Boolean);
      const notify = async (receiverIds: readonly string[], firing: AlertRecord[], resolved: AlertRecord[], what: "notified" | "escalated", reason: string) => {
        const { found, missing } = await receiversOf(userId, receiverIds);
        for (const channel of found) {
          const notification = buildNotification({ groupKey: group.state.key, groupLabels: group.state.groupLabels, receiver: channel.name, externalURL: deps.externalURL, firing, resolved });
          const idempotencyKey = createHash("sha256").update(`${userId}\u0000${group.state.key}\u0000${channel.id}\u0000${what}\u0000${at}`).digest("hex").slice(0, 32);
          items.push({ userId, channelId: channel.id, notification, idempotencyKey, event: firing.length > 0 ? "trigger" : "resolve" });
        }
        const to = found.map((c) => c.name).join(", ") || "no channel";
        for (const a of [...firing, ...resolved]) {
          writes.history.push(history(userId, a, what, `${reason} to ${to}${missing.length > 0 ? ` (unknown channels: ${missing.join(", ")})` : ""}`, at));
        }
      };
      if (result.send) {
        const firing = byFp(result.send.firing);
        await notify(r.receivers, firing, byFp(result.send.resolved), "notified", result.send.reason);
        for (const a of firing) {
          a.lastFiringNoticeAt = at;
          changedAlerts.add(a);
        }
      }
      if (result.escalate && r.escalation) await notify(r.escalation.receivers, byFp(result.escalate), [], "escalated", `unacknowledged for ${Math.round(r.escalation.afterMs / 60_000)} min`);
      for (const fp of result.drop) group.members.delete(fp);
      if (result.nextAt === null) {
        u.groups.delete(group.state.key);
        writes.deleteGroups.push(group.state.key);
      } else {
        writes.groups.push(groupRow(userId, group));
      }
    }
    // Resolved alerts no group holds any more leave the list after a while; external alerts past their endsAt resolve.
    const held = new Set<string>();
    for (const g of u.groups.values()) for (const fp of g.members) held.add(fp);
    for (const a of [...u.alerts.values()]) {
      if (a.state === "resolved" && !held.has(a.fingerprint) && (a.endsAt ?? a.updatedAt) + RESOLVED_RETENTION_MS <= at) {
        u.alerts.delete(a.fingerprint);
        writes.deleteAlerts.push(a.fingerprint);
      }
    }
    for (const a of changedAlerts) writes.alerts.push(toRow(userId, a));
    if (items.length === 0 && writes.alerts.length === 0 && writes.groups.length === 0 && writes.deleteGroups.length === 0 && writes.deleteAlerts.length === 0) return;
    await deps.db.transaction().execute(async (tx) => {
      await repository.write(tx, userId, writes);
      if (items.length > 0) await deps.outbox.enqueue(tx, items);
    });
    if (items.length > 0) deps.outbox.wake();
  }

  /** External alerts whose endsAt passed without a new report resolve (Alertmanager's resolve_timeout). */
  async function expireExternal(userId: string, u: UserAlerting, at: number): Promise<void> {
    const expired = [...u.alerts.values()].filter((a) => a.source === "external" && a.state === "firing" && a.endsAt !== null && a.endsAt <= at);
    if (expired.length === 0) return;
    await applyUpdates(
      userId,
      "external",
      "external",
      expired.map((a) => ({ labels: a.labels, annotations: a.annotations, state: "resolved" as const, endsAt: a.endsAt })),
      false,
    );
  }

  /** Runs every due flush (the timer calls it; tests call it after moving their clock). */
  async function flushDue(): Promise<void> {
    if (flushing) {
      await flushing;
      return flushDue();
    }
    flushing = (async () => {
      const at = now();
      let next = Number.POSITIVE_INFINITY;
      for (const [userId, pending] of users) {
        const u = await pending;
        await expireExternal(userId, u, at);
        await flushUser(userId, u, at);
        for (const g of u.groups.values()) next = Math.min(next, g.state.nextFlushAt);
        for (const a of u.alerts.values()) if (a.source === "external" && a.state === "firing" && a.endsAt !== null) next = Math.min(next, a.endsAt);
      }
      if (Number.isFinite(next)) schedule(next);
    })();
    try {
      await flushing;
    } finally {
      flushing = null;
    }
  }

  function present(a: AlertRecord, m: { silencedBy: string[]; inhibitedBy: string[] } | undefined): Alert {
    return {
      id: a.fingerprint,
      fingerprint: a.fingerprint,
      source: a.source,
      labels: { ...a.labels },
      annotations: a.annotations,
      state: a.state,
      starts_at: iso(a.startsAt),
      ends_at: a.state === "resolved" && a.endsAt !== null ? iso(a.endsAt) : null,
      value: a.value,
      generator_url: a.generatorURL,
      silenced_by: m?.silencedBy ?? [],
      inhibited_by: m?.inhibitedBy ?? [],
      acknowledged: a.acknowledgedAt === null ? null : { at: iso(a.acknowledgedAt), note: a.acknowledgedNote },
      updated_at: iso(a.updatedAt),
    };
  }

  return {
    /** Resumes the groups of every user that had some (after a restart). */
    async start(): Promise<void> {
      for (const userId of await repository.usersWithGroups()) await stateOf(userId);
      await flushDue();
    },

    close(): void {
      closed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
    },

    flushDue,

    /** A rule group's evaluation: its alerts, and the ones it no longer reports resolve. */
    async onRuleAlerts(userId: string, sourceKey: string, updates: readonly AlertUpdate[]): Promise<void> {
      await applyUpdates(userId, "rule", sourceKey, updates, true);
    },

    /** An anomaly's record changed: an alert when the user opted in and the score is high enough. */
    async onAnomaly(
      userId: string,
      anomaly: { id: string; labels: Record<string, string>; status: "open" | "closed"; peak_score: number; observed: number; summary: string; started_at: string; ended_at: string | null },
      currentValue?: number,
    ): Promise<void> {
      const u = await stateOf(userId);
      const { enabled, min_score: minScore } = u.config.anomaly_alerts;
      const { __name__: metric, ...rest } = anomaly.labels;
      const labels = { ...rest, alertname: "AnomalyDetected", metric: metric ?? "", severity: anomaly.peak_score >= minScore * 2 ? "critical" : "warning" };
      const fingerprint = fingerprintOf(labels);
      const known = u.alerts.get(fingerprint);
      if (anomaly.status === "open" && (!enabled || anomaly.peak_score < minScore)) return;
      if (anomaly.status === "closed" && !known) return;
      // Still firing: nothing new to say (this runs for every scored sample of an open anomaly).
      if (anomaly.status === "open" && known?.state === "firing") return;
      await applyUpdates(
        userId,
        "anomaly",
        anomaly.id,
        [
          {
            labels,
            annotations: { summary: `${metric ?? "series"} on ${anomaly.labels.instance ?? anomaly.labels.job ?? "?"}: ${anomaly.summary}`, anomaly_id: anomaly.id },
            state: anomaly.status === "open" ? "firing" : "resolved",
            startsAt: ms(anomaly.started_at),
            ...(anomaly.ended_at !== null && { endsAt: ms(anomaly.ended_at) }),
            value: anomaly.status === "closed" ? (currentValue ?? anomaly.observed) : anomaly.observed,
          },
        ],
        false,
      );
    },

    /** An incident changed (analysed, re-analysed, acknowledged or resolved). */
    async onIncident(userId: string, incident: NotificationIncident & { status: "open" | "acknowledged" | "resolved"; targets: string[]; acknowledgedNote: string | null }): Promise<void> {
      const u = await stateOf(userId);
      const { enabled, min_severity: minSeverity } = u.config.incident_alerts;
      const labels = { alertname: "Incident", incident_id: incident.id, severity: incident.severity };
      const known = [...u.alerts.values()].find((a) => a.source === "incident" && a.sourceKey === incident.id);
      const serious = SEVERITY_RANK[incident.severity] >= SEVERITY_RANK[minSeverity];
      if (!known && (!enabled || !serious || incident.status === "resolved")) return;
      // Severity is a label: a change is a new alert, and the old one resolves.
      const updates: AlertUpdate[] = [];
      const annotations = { summary: incident.summary, title: incident.title, root_cause: incident.rootCause, targets: incident.targets.join(", ") };
      if (incident.status !== "resolved" && enabled && serious) updates.push({ labels, annotations, state: "firing", startsAt: ms(incident.windowStart), incident, ...(incident.url && { generatorURL: incident.url }) });
      await applyUpdates(userId, "incident", incident.id, updates, true);
      if (incident.status === "acknowledged") {
        const a = u.alerts.get(fingerprintOf(labels));
        if (a && a.acknowledgedAt === null) await acknowledge(userId, a, incident.acknowledgedNote, "incident acknowledgement");
      }
    },

    /** Alerts posted by an existing Prometheus (v2 alerts array) or Alertmanager (webhook v4). */
    async receiveExternalAlerts(actor: Actor, alerts: ReadonlyArray<{ labels: Record<string, string>; annotations?: Record<string, string>; startsAt?: string; endsAt?: string; generatorURL?: string; status?: "firing" | "resolved" }>): Promise<number> {
      const at = now();
      const updates = alerts.map((a): AlertUpdate => {
        const endsAt = a.endsAt === undefined || a.endsAt.startsWith("0001-") ? at + RESOLVE_TIMEOUT_MS : ms(a.endsAt);
        const resolved = a.status === "resolved" || endsAt <= at;
        return {
          labels: a.labels,
          annotations: a.annotations ?? {},
          state: resolved ? "resolved" : "firing",
          ...(a.startsAt !== undefined && { startsAt: ms(a.startsAt) }),
          endsAt,
          ...(a.generatorURL !== undefined && { generatorURL: a.generatorURL }),
        };
      });
      await applyUpdates(actor.userId, "external", "external", updates, false);
      const u = await stateOf(actor.userId);
      for (const a of u.alerts.values()) if (a.source === "external" && a.state === "firing" && a.endsAt !== null) schedule(a.endsAt);
      return updates.length;
    },

    /** A notification was given up: its alerts' history says to which channel and why. */
    async recordDeliveryFailure(userId: string, notification: Notification, reason: string): Promise<void> {
      const at = now();
      const rows = notification.alerts.map(
        (a): AlertHistoryRow => ({
          id: newId(),
          user_id: userId,
          at: iso(at),
          fingerprint: a.fingerprint,
          alertname: a.labels.alertname ?? "",
          labels: JSON.stringify(a.labels),
          event: "delivery_failed",
          detail: `to ${notification.receiver}: ${reason}`,
          value: a.value ?? null,
        }),
      );
      await deps.db.transaction().execute((tx) => repository.write(tx, userId, { history: rows }));
    },

    async listAlerts(actor: Actor, filters: AlertFilters): Promise<Alert[]> {
      const u = await stateOf(actor.userId);
      const muted = mutes(u, now());
      const matchers = (filters.filter ?? []).map(parseMatcher);
      return [...u.alerts.values()]
        .filter((a) => (filters.state === undefined || a.state === filters.state) && (filters.source === undefined || a.source === filters.source) && matchesAll(matchers, a.labels))
        .map((a) => present(a, muted.get(a.fingerprint)))
        .filter((a) => filters.silenced === undefined || (a.silenced_by.length + a.inhibited_by.length > 0) === (filters.silenced === "true"))
        .slice(0, filters.limit ?? 500);
    },

    async acknowledgeAlert(actor: Actor, fingerprint: string, note: string | undefined, by: string): Promise<Alert> {
      const u = await stateOf(actor.userId);
      const a = u.alerts.get(fingerprint);
      if (!a) throw new NotFoundError("alert", fingerprint);
      await acknowledge(actor.userId, a, note ?? null, by);
      return present(a, mutes(u, now()).get(fingerprint));
    },

    async listHistory(actor: Actor, filters: AlertHistoryFilters) {
      const rows = await repository.listHistory(actor.userId, {
        ...(filters.from !== undefined && { from: filters.from }),
        ...(filters.to !== undefined && { to: filters.to }),
        ...(filters.fingerprint !== undefined && { fingerprint: filters.fingerprint }),
        ...(filters.alertname !== undefined && { alertname: filters.alertname }),
        limit: filters.limit ?? 500,
      });
      return rows.map((r) => ({ at: r.at, fingerprint: r.fingerprint, alertname: r.alertname, labels: JSON.parse(r.labels) as Record<string, string>, event: r.event as never, detail: r.detail, value: r.value }));
    },

    async getAlertingConfig(actor: Actor): Promise<AlertingConfig & { updated_at: string | null }> {
      const u = await stateOf(actor.userId);
      return { ...u.config, updated_at: u.updatedAt };
    },

    async putAlertingConfig(actor: Actor, config: AlertingConfig): Promise<AlertingConfig & { updated_at: string }> {
      let compiled;
      try {
        compiled = compile(config);
      } catch (error) {
        throw new ValidationError([{ field: "body.route", problem: (error as Error).message }]);
      }
      const channels = await deps.channels.listChannels(actor.userId);
      const known = new Set(["*", ...channels.map((c) => c.id)]);
      const unknown = new Set<string>();
      const walk = (r: CompiledRoute) => {
        for (const id of [...r.receivers, ...(r.escalation?.receivers ?? [])]) if (!known.has(id)) unknown.add(id);
        r.routes.forEach(walk);
      };
      walk(compiled.route);
      if (unknown.size > 0) throw new ValidationError([{ field: "body.route", problem: `unknown channel ids: ${[...unknown].join(", ")}` }]);
      const u = await stateOf(actor.userId);
      const updatedAt = clock.now().toISOString();
      await repository.putConfig(actor.userId, JSON.stringify(config), updatedAt);
      Object.assign(u, { config, updatedAt, ...compiled });
      return { ...config, updated_at: updatedAt };
    },

    async listSilences(actor: Actor): Promise<Silence[]> {
      const at = now();
      return (await repository.listSilences(actor.userId)).map((r) => silenceRow(r, at));
    },

    async createSilence(actor: Actor, input: CreateSilenceRequest, author: string): Promise<Silence> {
      const at = now();
      const startsAt = input.starts_at === undefined ? at : ms(input.starts_at);
      const endsAt = ms(input.ends_at);
      if (endsAt <= Math.max(at, startsAt)) throw new ValidationError([{ field: "body.ends_at", problem: "must be in the future and after starts_at" }]);
      const row = { id: newId(), user_id: actor.userId, matchers: JSON.stringify(input.matchers), starts_at: iso(startsAt), ends_at: iso(endsAt), created_by: input.created_by ?? author, comment: input.comment, created_at: iso(at) };
      await repository.insertSilence(row);
      const u = await stateOf(actor.userId);
      u.silences.push({ id: row.id, matchers: input.matchers.map(parseMatcher), startsAt, endsAt, row: silenceRow(row, at) });
      // The silence's end (and start) change what a flush sends.
      schedule(startsAt > at ? startsAt : endsAt);
      return silenceRow(row, at);
    },

    async expireSilence(actor: Actor, id: string): Promise<void> {
      const at = now();
      const row = await repository.findSilence(actor.userId, id);
      if (!row) throw new NotFoundError("silence", id);
      if (ms(row.ends_at) > at) await repository.expireSilence(actor.userId, id, iso(at));
      const u = await stateOf(actor.userId);
      const s = u.silences.find((x) => x.id === id);
      if (s) Object.assign(s, { endsAt: Math.min(s.endsAt, at) });
    },

    async listMaintenanceWindows(actor: Actor): Promise<MaintenanceWindow[]> {
      const u = await stateOf(actor.userId);
      const at = now();
      return u.windows.map((w) => ({ ...w.row, active: maintenanceActive(w, at) }));
    },

    async createMaintenanceWindow(actor: Actor, input: CreateMaintenanceWindowRequest): Promise<MaintenanceWindow> {
      const row = {
        id: newId(),
        user_id: actor.userId,
        name: input.name,
        matchers: JSON.stringify(input.matchers),
        days: JSON.stringify(input.days),
        start: input.start,
        duration: input.duration,
        time_zone: input.time_zone,
        created_at: clock.now().toISOString(),
      };
      await repository.insertWindow(row);
      const u = await stateOf(actor.userId);
      const rule = windowRule(row);
      u.windows.push(rule);
      return { ...rule.row, active: maintenanceActive(rule, now()) };
    },

    async deleteMaintenanceWindow(actor: Actor, id: string): Promise<void> {
      if (!(await repository.deleteWindow(actor.userId, id))) throw new NotFoundError("maintenance window", id);
      const u = await stateOf(actor.userId);
      u.windows = u.windows.filter((w) => w.id !== id);
    },
  };

  /**
   * Records the acknowledgement and tells the receivers that heard the alert fire (PagerDuty as
   * an acknowledge event under the group's dedup key, the others as a message), in one transaction.
   */
  async function acknowledge(userId: string, a: AlertRecord, note: string | null, by: string): Promise<void> {
    const u = await stateOf(userId);
    const at = now();
    a.acknowledgedAt = at;
    a.acknowledgedNote = note;
    a.updatedAt = at;
    const items: OutboxItem[] = [];
    for (const group of u.groups.values()) {
      if (!group.members.has(a.fingerprint) || !group.state.notified.includes(a.fingerprint)) continue;
      const r = u.routes.get(group.state.routeId) ?? u.route;
      const { found } = await receiversOf(userId, r.receivers);
      for (const channel of found) {
        const notification = { ...buildNotification({ groupKey: group.state.key, groupLabels: group.state.groupLabels, receiver: channel.name, externalURL: deps.externalURL, firing: [a], resolved: [] }), acknowledged: { by, note } };
        const idempotencyKey = createHash("sha256").update(`${userId}\u0000${group.state.key}\u0000${channel.id}\u0000ack\u0000${a.fingerprint}\u0000${at}`).digest("hex").slice(0, 32);
        items.push({ userId, channelId: channel.id, notification, idempotencyKey, event: "acknowledge" });
      }
    }
    await deps.db.transaction().execute(async (tx) => {
      await repository.write(tx, userId, { alerts: [toRow(userId, a)], history: [history(userId, a, "acknowledged", note ? `acknowledged: ${note}` : "acknowledged", at)] });
      if (items.length > 0) await deps.outbox.enqueue(tx, items);
    });
    if (items.length > 0) deps.outbox.wake();
  }
}

export type AlertingService = ReturnType<typeof createAlertingService>;
