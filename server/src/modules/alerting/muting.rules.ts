import { matchesAll, type LabelSet, type Matcher } from "#server/modules/alerting/labels.rules.ts";

export interface SilenceRule {
  readonly id: string;
  readonly matchers: readonly Matcher[];
  readonly startsAt: number;
  readonly endsAt: number;
}

export interface MaintenanceRule {
  readonly id: string;
  readonly matchers: readonly Matcher[];
  /** 0 = Monday … 6 = Sunday. */
  readonly days: readonly number[];
  /** Minutes after local midnight. */
  readonly startMinute: number;
  readonly durationMs: number;
  readonly timeZone: string;
}

export interface InhibitionRule {
  readonly source: readonly Matcher[];
  readonly target: readonly Matcher[];
  readonly equal: readonly string[];
}

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

export function silenceStatus(s: Pick<SilenceRule, "startsAt" | "endsAt">, now: number): "pending" | "active" | "expired" {
  if (now < s.startsAt) return "pending";
  return now < s.endsAt ? "active" : "expired";
}

/** Ids of the active silences whose matchers all hold for the labels. */
export function silencedBy(labels: LabelSet, silences: readonly SilenceRule[], now: number): string[] {
  return silences.filter((s) => silenceStatus(s, now) === "active" && matchesAll(s.matchers, labels)).map((s) => s.id);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes since Monday 00:00 of the local week in `timeZone` (wall-clock time). */
export function localWeekMinute(now: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(now)).map((p) => [p.type, p.value]));
  const day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(parts.weekday ?? "");
  return day * 1440 + Number(parts.hour) * 60 + Number(parts.minute);
}

const WEEK_MINUTES = 7 * 1440;

/**
 * Whether a recurring window is open: it opens on each listed day at its local start time and
 * stays open for its duration (into the next days if long). Computed on the local wall clock, so
 * a window spanning a daylight-saving change is an hour longer or shorter that once.
 */
export function maintenanceActive(w: Omit<MaintenanceRule, "id" | "matchers">, now: number): boolean {
  const minute = localWeekMinute(now, w.timeZone);
  const durationMinutes = w.durationMs / 60_000;
  return w.days.some((day) => {
    const start = day * 1440 + w.startMinute;
    const since = (((minute - start) % WEEK_MINUTES) + WEEK_MINUTES) % WEEK_MINUTES;
    return since < durationMinutes;
  });
}

/** Ids of the open maintenance windows that cover the labels. */
export function maintainedBy(labels: LabelSet, windows: readonly MaintenanceRule[], now: number): string[] {
  return windows.filter((w) => matchesAll(w.matchers, labels) && maintenanceActive(w, now)).map((w) => w.id);
}

/**
 * Fingerprints of the firing alerts that inhibit this one (Alertmanager's inhibit_rules): a
 * source alert matching `source`, the target matching `target`, equal values of the `equal`
 * labels, and never an alert inhibiting itself.
 */
export function inhibitedBy(target: { fingerprint: string; labels: LabelSet }, firing: ReadonlyArray<{ fingerprint: string; labels: LabelSet }>, rules: readonly InhibitionRule[]): string[] {
  const out = new Set<string>();
  for (const rule of rules) {
    if (!matchesAll(rule.target, target.labels)) continue;
    for (const source of firing) {
      if (source.fingerprint === target.fingerprint || !matchesAll(rule.source, source.labels)) continue;
      if (rule.equal.every((name) => (source.labels[name] ?? "") === (target.labels[name] ?? ""))) out.add(source.fingerprint);
    }
  }
  return [...out];
}
