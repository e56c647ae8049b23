/**
 * Prometheus rule files (rulefmt): YAML → groups of alerting and recording rules, validated as
 * Prometheus validates them (unknown fields, names, durations, PromQL, templates). Pure: the PromQL
 * parser is the query module's, templates are checked by template.rules.ts.
 */
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from "yaml";
import { parsePromQL, parsePromQLDuration } from "#server/modules/query/index.ts";
import { parseTemplate } from "#server/modules/rules/template.rules.ts";

export type NameValidation = "legacy" | "utf8";

export interface RuleDef {
  kind: "alerting" | "recording";
  /** The alert name or the recorded metric name. */
  name: string;
  expr: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
}

export interface RuleGroupDef {
  name: string;
  /** Undefined: the default evaluation interval. */
  intervalMs: number | undefined;
  /** Alerts / series a rule may produce; 0 = unlimited. */
  limit: number;
  /** Prometheus 3.x query_offset: rules query (and record) at evaluation time minus this; 0 = none. */
  queryOffsetMs: number;
  rules: RuleDef[];
}

export interface RuleFileDef {
  groups: RuleGroupDef[];
}

/** One problem, located as Prometheus reports it: file, group, rule (index and name). */
export interface RuleProblem {
  file: string;
  group?: string;
  /** 1-based position of the rule in its group, as promtool prints it. */
  ruleIndex?: number;
  rule?: string;
  line?: number;
  problem: string;
}

export type ParseRuleFileResult = { ok: true; file: RuleFileDef } | { ok: false; problems: RuleProblem[] };

export interface ParseRuleFileOptions {
  file: string;
  /** legacy: label/annotation names [a-zA-Z_][a-zA-Z0-9_]* (Prometheus 2.x); utf8: any non-empty name (3.x). */
  nameValidation?: NameValidation;
  maxGroups?: number;
  maxRulesPerGroup?: number;
}

const GROUP_FIELDS = new Set(["name", "interval", "query_offset", "limit", "rules", "labels"]);
const RULE_FIELDS = new Set(["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"]);
const LEGACY_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LEGACY_METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function isValidLabelName(name: string, mode: NameValidation): boolean {
  return mode === "legacy" ? LEGACY_LABEL.test(name) : name.length > 0 && name.isWellFormed();
}

/** In UTF-8 mode any name is valid except one that reads as a selector (braces, quotes), as Prometheus main rejects `a{b="c"}`. */
export function isValidMetricName(name: string, mode: NameValidation): boolean {
  return mode === "legacy" ? LEGACY_METRIC.test(name) : name.length > 0 && name.isWellFormed() && !/[{}"]/.test(name);
}

/** Prometheus model durations ("5m", "1h30m", "0"); undefined when invalid. */
export function parseRuleDuration(text: string): number | undefined {
  if (text === "0") return 0;
  return parsePromQLDuration(text);
}

function lineOf(node: YamlNode | null | undefined, lineStarts: number[]): number | undefined {
  const offset = node?.range?.[0];
  if (offset === undefined) return undefined;
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** A decoded YAML value as text (scalars as written; anything else as JSON, which then fails validation). */
function textOf(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return JSON.stringify(v);
}

/** A YAML scalar as Go's yaml.v3 would decode it into a string field. */
function scalarString(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return node.source ?? String(v);
  return undefined;
}

/** Parses and validates a rule file. Every problem is reported, not just the first. */
export function parseRuleFile(text: string, options: ParseRuleFileOptions): ParseRuleFileResult {
  const { file } = options;
  const mode = options.nameValidation ?? "legacy";
  const problems: RuleProblem[] = [];
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: false, strict: true });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => ({ file, line: (e.linePos?.[0]?.line ?? lineOf(null, lineStarts)) ?? undefined, problem: `yaml: ${e.message.split("\n")[0] ?? e.message}` })) };
  }
  // Resolve merge keys and aliases into plain nodes by round-tripping through JS, keeping line numbers where cheap.
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ""))) return { ok: true, file: { groups: [] } };
  let plain: unknown;
  try {
    plain = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return { ok: false, problems: [{ file, problem: `yaml: ${(error as Error).message}` }] };
  }
  if (!isMap(root) || typeof plain !== "object" || plain === null || Array.isArray(plain)) {
    return { ok: false, problems: [{ file, problem: "yaml: the file must be a mapping with a 'groups' list" }] };
  }
  const top = plain as Record<string, unknown>;
  for (const key of Object.keys(top)) if (key !== "groups") problems.push({ file, problem: `field ${key} not found in type rulefmt.RuleGroups` });
  const groupsNode = root.get("groups", true) as unknown;
  const groupsRaw = top.groups;
  if (groupsRaw !== undefined && groupsRaw !== null && !Array.isArray(groupsRaw)) {
    problems.push({ file, problem: "groups must be a list" });
    return { ok: false, problems };
  }
  const groups: RuleGroupDef[] = [];
  const seen = new Set<string>();
  const groupList = Array.isArray(groupsRaw) ? (groupsRaw as unknown[]) : [];
  if (options.maxGroups !== undefined && groupList.length > options.maxGroups) problems.push({ file, problem: `too many groups: ${groupList.length} (at most ${options.maxGroups})` });
  groupList.forEach((g, gi) => {
    const gNode = isSeq(groupsNode) ? (groupsNode.items[gi] as YamlNode | undefined) : undefined;
    const gLine = lineOf(gNode, lineStarts);
    if (typeof g !== "object" || g === null || Array.isArray(g)) {
      problems.push({ file, line: gLine, problem: "a group must be a mapping" });
      return;
    }
    const group = g as Record<string, unknown>;
    const name = textOf(group.name);
    const at = (p: Omit<RuleProblem, "file" | "group">): void => void problems.push({ file, group: name, ...p });
    for (const key of Object.keys(group)) if (!GROUP_FIELDS.has(key)) at({ line: gLine, problem: `field ${key} not found in type rulefmt.RuleGroup` });
    if (name === "") at({ line: gLine, problem: "Groupname must not be empty" });
    else if (seen.has(name)) at({ line: gLine, problem: `groupname: "${name}" is repeated in the same file` });
    seen.add(name);
    let intervalMs: number | undefined;
    if (group.interval !== undefined && group.interval !== null) {
      const d = parseRuleDuration(textOf(group.interval));
      if (d === undefined) at({ line: gLine, problem: `not a valid duration string: "${textOf(group.interval)}"` });
      else if (d > 0) intervalMs = d;
    }
    let limit = 0;
    if (group.limit !== undefined && group.limit !== null) {
      if (typeof group.limit !== "number" || !Number.isInteger(group.limit) || group.limit < 0) at({ line: gLine, problem: "limit must be a non-negative integer" });
      else limit = group.limit;
    }
    let queryOffsetMs = 0;
    if (group.query_offset !== undefined && group.query_offset !== null) {
      const d = parseRuleDuration(textOf(group.query_offset));
      if (d === undefined) at({ line: gLine, problem: `not a valid duration string: "${textOf(group.query_offset)}"` });
      else queryOffsetMs = d;
    }
    // Prometheus 3.x group labels: added to every rule of the group; a rule's own label wins.
    const groupLabels: Record<string, string> = {};
    if (group.labels !== undefined && group.labels !== null) {
      if (typeof group.labels !== "object" || Array.isArray(group.labels)) at({ line: gLine, problem: "labels must be a mapping of names to strings" });
      else
        for (const [k, v] of Object.entries(group.labels as Record<string, unknown>)) {
          if (!isValidLabelName(k, mode) || k === "__name__") at({ line: gLine, problem: `invalid label name: ${k}` });
          groupLabels[k] = textOf(v);
        }
    }
    const rulesRaw = group.rules;
    if (rulesRaw !== undefined && rulesRaw !== null && !Array.isArray(rulesRaw)) {
      at({ line: gLine, problem: "rules must be a list" });
      return;
    }
    const ruleList = Array.isArray(rulesRaw) ? (rulesRaw as unknown[]) : [];
    if (options.maxRulesPerGroup !== undefined && ruleList.length > options.maxRulesPerGroup) at({ line: gLine, problem: `too many rules: ${ruleList.length} (at most ${options.maxRulesPerGroup})` });
    const rulesNode = isMap(gNode) ? (gNode.get("rules", true) as unknown) : undefined;
    const rules: RuleDef[] = [];
    ruleList.forEach((r, ri) => {
      const rNode = isSeq(rulesNode) ? (rulesNode.items[ri] as YamlNode | undefined) : undefined;
      const line = lineOf(rNode, lineStarts);
      const ruleIndex = ri + 1;
      if (typeof r !== "object" || r === null || Array.isArray(r)) {
        at({ ruleIndex, line, problem: "a rule must be a mapping" });
        return;
      }
      const rule = r as Record<string, unknown>;
      const field = (key: string): string | undefined => {
        const node = isMap(rNode) ? (rNode.get(key, true) as unknown) : undefined;
        const fromNode = scalarString(node);
        if (fromNode !== undefined) return fromNode;
        const v = rule[key];
        if (v === undefined || v === null) return undefined;
        return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
      };
      const record = field("record") ?? "";
      const alert = field("alert") ?? "";
      const ruleName = alert !== "" ? alert : record;
      const ruleAt = (problem: string): void => at({ ruleIndex, ...(ruleName !== "" && { rule: ruleName }), line, problem });
      for (const key of Object.keys(rule)) if (!RULE_FIELDS.has(key)) ruleAt(`field ${key} not found in type rulefmt.RuleNode`);
      if (record !== "" && alert !== "") ruleAt("only one of 'record' and 'alert' must be set");
      if (record === "" && alert === "") ruleAt("one of 'record' or 'alert' must be set");
      const expr = field("expr") ?? "";
      if (expr === "") ruleAt("field 'expr' must be set in rule");
      else {
        try {
          parsePromQL(expr);
        } catch (error) {
          ruleAt(`could not parse expression: ${(error as Error).message}`);
        }
      }
      const durationField = (key: string): number => {
        const text = field(key);
        if (text === undefined || text === "") return 0;
        const d = parseRuleDuration(text);
        if (d === undefined) {
          ruleAt(`not a valid duration string: "${text}"`);
          return 0;
        }
        return d;
      };
      const forMs = durationField("for");
      const keepFiringForMs = durationField("keep_firing_for");
      if (record !== "") {
        if (rule.for !== undefined && rule.for !== null) ruleAt("invalid field 'for' in recording rule");
        if (rule.keep_firing_for !== undefined && rule.keep_firing_for !== null) ruleAt("invalid field 'keep_firing_for' in recording rule");
        if (!isValidMetricName(record, mode)) ruleAt(`invalid recording rule name: ${record}`);
        if (rule.annotations !== undefined && rule.annotations !== null) ruleAt("invalid field 'annotations' in recording rule");
      }
      const stringMap = (key: "labels" | "annotations"): Record<string, string> => {
        const raw = rule[key];
        const out: Record<string, string> = {};
        if (raw === undefined || raw === null) return out;
        if (typeof raw !== "object" || Array.isArray(raw)) {
          ruleAt(`${key} must be a mapping of names to strings`);
          return out;
        }
        for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
          if (v !== null && typeof v === "object") ruleAt(`${key}: value of ${k} must be a string`);
          out[k] = textOf(v);
        }
        return out;
      };
      const labels = stringMap("labels");
      const annotations = stringMap("annotations");
      for (const [k, v] of Object.entries(labels)) {
        if (!isValidLabelName(k, mode) || k === "__name__") ruleAt(`invalid label name: ${k}`);
        if (!v.isWellFormed()) ruleAt(`invalid label value: ${v}`);
      }
      for (const k of Object.keys(annotations)) if (!isValidLabelName(k, mode)) ruleAt(`invalid annotation name: ${k}`);
      if (alert !== "") {
        for (const [k, v] of [...Object.entries(labels), ...Object.entries(annotations)]) {
          const parsed = parseTemplate(v);
          if (!parsed.ok) ruleAt(`msg=template: __alert_${alert}:${parsed.error} (in ${k})`);
        }
      }
      rules.push({ kind: alert !== "" ? "alerting" : "recording", name: ruleName, expr, forMs, keepFiringForMs, labels: { ...groupLabels, ...labels }, annotations });
    });
    groups.push({ name, intervalMs, limit, queryOffsetMs, rules });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, file: { groups } };
}

/** "file: group "g": rule 2 (HighErrors): problem" — the form used in error messages. */
export function formatRuleProblem(p: RuleProblem): string {
  const parts = [p.line === undefined ? p.file : `${p.file}:${p.line}`];
  if (p.group !== undefined) parts.push(`group "${p.group}"`);
  if (p.ruleIndex !== undefined) parts.push(`rule ${p.ruleIndex}${p.rule === undefined ? "" : ` (${p.rule})`}`);
  return `${parts.join(": ")}: ${p.problem}`;
}
