/**
 * Prometheus rule files per user: alerting and recording rules validated as rulefmt does, evaluated
 * on their group interval through the query service, output (recorded series, ALERTS,
 * ALERTS_FOR_STATE) appended to the metric store, alerts reported to a sink after every group
 * evaluation. docs/rules.md.
 */
import type { Clock } from "#server/platform/clock.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { Db } from "#server/storage/database.ts";
import type { MetricStore } from "#server/modules/metric-store/index.ts";
import type { QueryService } from "#server/modules/query/index.ts";
import { readDefaultRuleFiles } from "#server/modules/rules/default-rules.ts";
import type { NameValidation } from "#server/modules/rules/rule-file.rules.ts";
import { createRulesRepository } from "#server/modules/rules/rules.repository.ts";
import { createRulesScheduler, type RuleAlertSink, type RuleTimers, type RulesScheduler } from "#server/modules/rules/rules-scheduler.ts";
import { createRulesService, type RulesService } from "#server/modules/rules/rules.service.ts";

export type { RuleAlert, RuleStatus, GroupEvalResult } from "#server/modules/rules/group-evaluator.rules.ts";
export type { AlertState } from "#server/modules/rules/alerting.rules.ts";
export type { RuleAlertSink, RuleTimers, GroupRef, GroupView } from "#server/modules/rules/rules-scheduler.ts";
export type { RulesService, RulesSummary, RulesSettings } from "#server/modules/rules/rules.service.ts";
export type { NameValidation, RuleProblem, RuleDef, RuleGroupDef } from "#server/modules/rules/rule-file.rules.ts";
export { parseRuleFile, formatRuleProblem } from "#server/modules/rules/rule-file.rules.ts";
export { expandTemplate } from "#server/modules/rules/template.rules.ts";
export { createRulesRepository } from "#server/modules/rules/rules.repository.ts";
export { USER_RULE_FILE, DEFAULTS_PREFIX } from "#server/modules/rules/rules.service.ts";
export { readDefaultRuleFiles, DEFAULT_RULES_DIR } from "#server/modules/rules/default-rules.ts";

export interface RulesModuleSettings {
  /** false: rules are stored and validated but not evaluated. */
  enabled: boolean;
  defaultIntervalMs: number;
  maxGroups: number;
  maxRulesPerGroup: number;
  nameValidation: NameValidation;
  /** Base of alerts' generatorURL (AUSPEX_PUBLIC_URL); "" for none. */
  externalURL: string;
}

export interface RulesModule {
  service: RulesService;
  /** Present when evaluation is on. */
  scheduler: RulesScheduler | undefined;
  /** Schedules every user's stored groups. */
  start(): Promise<void>;
  /** Stops the timers and waits for evaluations in flight. */
  close(): Promise<void>;
}

export function createRulesModule(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  query: Pick<QueryService, "instantQuery">;
  store: Pick<MetricStore, "append">;
  settings: RulesModuleSettings;
  sink?: RuleAlertSink;
  timers?: RuleTimers;
  defaults?: ReadonlyArray<{ name: string; content: string }>;
}): RulesModule {
  const repository = createRulesRepository(deps.db);
  const { settings, logger } = deps;
  // The service and the scheduler need each other (the scheduler loads groups through the service, later).
  const scheduler = settings.enabled
    ? createRulesScheduler({
        listUsers: () => repository.listUsersWithRules(),
        loadGroups: (userId) => service.loadUserGroups(userId),
        query: (userId, expr, t) => deps.query.instantQuery({ kind: "session", userId, sessionId: "rules" }, { query: expr, time: t }),
        append: async (userId, batch) => {
          const result = await deps.store.append(userId, batch);
          if (result.rejected > 0) logger.warn({ user_id: userId, rejected: result.rejected, reason: result.rejections[0]?.reason }, "rule output rejected by the store");
        },
        ...(deps.sink && { sink: deps.sink }),
        logger,
        ...(deps.timers && { timers: deps.timers }),
        defaultIntervalMs: settings.defaultIntervalMs,
        externalURL: settings.externalURL,
      })
    : undefined;
  const service: RulesService = createRulesService({
    repository,
    scheduler,
    clock: deps.clock,
    logger,
    defaults: deps.defaults ?? readDefaultRuleFiles(),
    settings: { maxGroups: settings.maxGroups, maxRulesPerGroup: settings.maxRulesPerGroup, nameValidation: settings.nameValidation },
  });
  return {
    service,
    scheduler,
    start: async () => scheduler?.syncAll(),
    close: async () => scheduler?.close(),
  };
}
