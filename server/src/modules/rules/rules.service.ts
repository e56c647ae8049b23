import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { ValidationError } from "#server/platform/errors.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { RulesRepository } from "#server/modules/rules/rules.repository.ts";
import type { GroupEvalResult } from "#server/modules/rules/group-evaluator.rules.ts";
import { parseRuleFile, type NameValidation, type RuleFileDef, type RuleProblem } from "#server/modules/rules/rule-file.rules.ts";
import type { GroupRef, GroupView, LoadedGroup, RulesScheduler } from "#server/modules/rules/rules-scheduler.ts";

/** The file a user edits through GET/PUT /api/v1/rules. */
export const USER_RULE_FILE = "rules.yml";
/** Shipped defaults a user enabled are stored as defaults/<name>.yml. */
export const DEFAULTS_PREFIX = "defaults/";

const EMPTY_FILE = "groups: []\n";

export interface RulesSettings {
  maxGroups: number;
  maxRulesPerGroup: number;
  nameValidation: NameValidation;
}

export interface RulesSummary {
  files: string[];
  groups: number;
  rules: number;
}

interface Deps {
  repository: RulesRepository;
  /** Absent when rule evaluation is switched off (rules are still stored and validated). */
  scheduler: RulesScheduler | undefined;
  clock: Clock;
  logger: Logger;
  /** The shipped default rule files (deploy/rules/*.yml). */
  defaults: ReadonlyArray<{ name: string; content: string }>;
  settings: RulesSettings;
}

function problemDetails(problems: readonly RuleProblem[]): Array<{ field: string; problem: string }> {
  return problems.map((p) => {
    const where = [p.line === undefined ? p.file : `${p.file}:${p.line}`];
    if (p.group !== undefined) where.push(`group "${p.group}"`);
    if (p.ruleIndex !== undefined) where.push(`rule ${p.ruleIndex}${p.rule === undefined ? "" : ` (${p.rule})`}`);
    return { field: where.join(": "), problem: p.problem };
  });
}

function count(def: RuleFileDef): { groups: number; rules: number } {
  return { groups: def.groups.length, rules: def.groups.reduce((n, g) => n + g.rules.length, 0) };
}

/**
 * Users' Prometheus rule files: validated before they are stored (a bad file changes nothing, the
 * previous rules keep running), then scheduled for evaluation.
 */
export function createRulesService({ repository, scheduler, clock, logger, defaults, settings }: Deps) {
  const parse = (content: string, file: string) =>
    parseRuleFile(content, { file, nameValidation: settings.nameValidation, maxGroups: settings.maxGroups, maxRulesPerGroup: settings.maxRulesPerGroup });

  async function summary(userId: string): Promise<RulesSummary> {
    const files = await repository.listFiles(userId);
    let groups = 0;
    let rules = 0;
    for (const f of files) {
      const parsed = parse(f.content, f.name);
      if (!parsed.ok) continue;
      const c = count(parsed.file);
      groups += c.groups;
      rules += c.rules;
    }
    return { files: files.map((f) => f.name), groups, rules };
  }

  return {
    /** The user's rule file as YAML (an empty `groups: []` when they have none). */
    async getRules(actor: Actor): Promise<string> {
      const row = await repository.getFile(actor.userId, USER_RULE_FILE);
      return row?.content ?? EMPTY_FILE;
    },

    /** Validates and stores the user's rule file, then reschedules their groups. Throws ValidationError naming file/group/rule. */
    async putRules(actor: Actor, yaml: string): Promise<RulesSummary> {
      const parsed = parse(yaml, USER_RULE_FILE);
      if (!parsed.ok) throw new ValidationError(problemDetails(parsed.problems));
      await repository.putFile(actor.userId, USER_RULE_FILE, yaml, clock.now().toISOString());
      await scheduler?.syncUser(actor.userId);
      return summary(actor.userId);
    },

    /** Stores the shipped default rule files (seed 002 and node_exporter) for the user: one call, idempotent. */
    async enableDefaultRules(actor: Actor): Promise<RulesSummary> {
      const now = clock.now().toISOString();
      for (const d of defaults) {
        const name = `${DEFAULTS_PREFIX}${d.name}`;
        const parsed = parse(d.content, name);
        if (!parsed.ok) throw new ValidationError(problemDetails(parsed.problems));
        await repository.putFile(actor.userId, name, d.content, now);
      }
      await scheduler?.syncUser(actor.userId);
      return summary(actor.userId);
    },

    async disableDefaultRules(actor: Actor): Promise<RulesSummary> {
      await repository.deleteFiles(actor.userId, DEFAULTS_PREFIX);
      await scheduler?.syncUser(actor.userId);
      return summary(actor.userId);
    },

    /** Every group of the user with rule health, last error and evaluation, and alerts (Prometheus /api/v1/rules). */
    async getRuleStatus(actor: Actor): Promise<{ evaluation: boolean; files: string[]; groups: GroupView[] }> {
      const files = (await repository.listFiles(actor.userId)).map((f) => f.name);
      return { evaluation: scheduler !== undefined, files, groups: scheduler?.describeGroups(actor.userId) ?? [] };
    },

    /** Evaluates one of the user's groups at `at` (ms) now; undefined when there is no such group. */
    async evaluateGroup(userId: string, group: string | GroupRef, at: number): Promise<GroupEvalResult | undefined> {
      return scheduler?.evaluateGroup(userId, group, at);
    },

    /** The user's stored groups, parsed (the scheduler's source). A stored file that no longer validates is skipped. */
    async loadUserGroups(userId: string): Promise<LoadedGroup[]> {
      const out: LoadedGroup[] = [];
      for (const f of await repository.listFiles(userId)) {
        const parsed = parse(f.content, f.name);
        if (!parsed.ok) {
          logger.error({ user_id: userId, file: f.name, problems: parsed.problems }, "a stored rule file no longer validates; skipped");
          continue;
        }
        for (const group of parsed.file.groups) out.push({ file: f.name, group });
      }
      return out;
    },
  };
}

export type RulesService = ReturnType<typeof createRulesService>;
