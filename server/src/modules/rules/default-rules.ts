import { existsSync, readdirSync, readFileSync } from "node:fs";

/** Where the shipped default rule files live: deploy/rules/ at the repository root. */
export const DEFAULT_RULES_DIR = new URL("../../../../deploy/rules/", import.meta.url);

/** Reads the shipped default rule files (*.yml, sorted by name); none when the directory is absent. */
export function readDefaultRuleFiles(dir: URL = DEFAULT_RULES_DIR): Array<{ name: string; content: string }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort()
    .map((name) => ({ name, content: readFileSync(new URL(name, dir), "utf8") }));
}
