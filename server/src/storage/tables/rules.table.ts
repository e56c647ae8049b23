/** A user's Prometheus rule file (YAML, validated before it is stored). */
export interface RuleFilesTable {
  user_id: string;
  /** "rules.yml" for the file the user edits; "defaults/<name>.yml" for shipped defaults they enabled. */
  name: string;
  content: string;
  created_at: string;
  updated_at: string;
}
