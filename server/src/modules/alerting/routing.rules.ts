import type { RouteInput } from "@auspex/shared/contracts/alerting.ts";
import { parsePromQLDuration } from "#server/modules/query/index.ts";
import { parseMatcher, matchesAll, type LabelSet, type Matcher } from "#server/modules/alerting/labels.rules.ts";

/** A route with its settings resolved (inherited from its parent when unset), durations in ms. */
export interface CompiledRoute {
  /** Position in the tree ("0", "0.1", "0.1.0"): part of every group key. */
  readonly id: string;
  readonly receivers: readonly string[];
  readonly matchers: readonly Matcher[];
  /** "all": group by every label (Alertmanager's `...`). */
  readonly groupBy: readonly string[] | "all";
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly continue: boolean;
  readonly flapDampingMs: number;
  readonly cooldownMs: number;
  readonly escalation: { readonly afterMs: number; readonly receivers: readonly string[] } | null;
  readonly routes: readonly CompiledRoute[];
}

/** Alertmanager's defaults for the root route. */
const ROOT_DEFAULTS = { groupBy: ["alertname"], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3_600_000 };

function duration(text: string | undefined, fallback: number, where: string): number {
  if (text === undefined) return fallback;
  const ms = parsePromQLDuration(text);
  if (ms === undefined) throw new Error(`${where}: "${text}" is not a duration`);
  return ms;
}

/** Resolves a route tree (validated by the contract) into compiled routes; throws naming the route on a bad matcher. */
export function compileRoute(input: RouteInput, parent?: CompiledRoute, id = "0"): CompiledRoute {
  const where = `route ${id}`;
  const matchers = (input.matchers ?? []).map((text) => {
    try {
      return parseMatcher(text);
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
    }
  });
  const groupBy = input.group_by === undefined ? (parent?.groupBy ?? ROOT_DEFAULTS.groupBy) : input.group_by.includes("...") ? "all" : input.group_by;
  const route: Omit<CompiledRoute, "routes"> = {
    id,
    receivers: input.receivers ?? parent?.receivers ?? [],
    matchers,
    groupBy,
    groupWaitMs: duration(input.group_wait, parent?.groupWaitMs ?? ROOT_DEFAULTS.groupWaitMs, where),
    groupIntervalMs: duration(input.group_interval, parent?.groupIntervalMs ?? ROOT_DEFAULTS.groupIntervalMs, where),
    repeatIntervalMs: duration(input.repeat_interval, parent?.repeatIntervalMs ?? ROOT_DEFAULTS.repeatIntervalMs, where),
    continue: input.continue ?? false,
    flapDampingMs: duration(input.flap_damping, parent?.flapDampingMs ?? 0, where),
    cooldownMs: duration(input.cooldown, parent?.cooldownMs ?? 0, where),
    escalation:
      input.escalation === undefined
        ? (parent?.escalation ?? null)
        : input.escalation === null
          ? null
          : { afterMs: duration(input.escalation.after, 0, where), receivers: input.escalation.receivers },
  };
  const compiled: CompiledRoute = { ...route, routes: [] };
  return { ...route, routes: (input.routes ?? []).map((child, i) => compileRoute(child, compiled, `${id}.${i}`)) };
}

/**
 * The routes an alert goes to, as Alertmanager walks the tree: a matching route hands the alert
 * to its matching children (the first, or more while `continue` is set); a route none of whose
 * children match takes it itself. The root takes everything.
 */
export function matchRoutes(route: CompiledRoute, labels: LabelSet, isRoot = true): CompiledRoute[] {
  if (!isRoot && !matchesAll(route.matchers, labels)) return [];
  const matched: CompiledRoute[] = [];
  for (const child of route.routes) {
    const found = matchRoutes(child, labels, false);
    if (found.length === 0) continue;
    matched.push(...found);
    if (!child.continue) break;
  }
  return matched.length > 0 ? matched : [route];
}

/** The labels that name an alert's group on a route. */
export function groupLabelsOf(route: CompiledRoute, labels: LabelSet): Record<string, string> {
  const names = route.groupBy === "all" ? Object.keys(labels) : route.groupBy;
  const out: Record<string, string> = {};
  for (const name of [...names].sort()) if (labels[name] !== undefined) out[name] = labels[name];
  return out;
}

/** Alertmanager's group key shape: `{route}:{a="b",c="d"}`. */
export function groupKeyOf(route: CompiledRoute, groupLabels: LabelSet): string {
  const inner = Object.keys(groupLabels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(groupLabels[name])}`)
    .join(",");
  return `{${route.id}}:{${inner}}`;
}
