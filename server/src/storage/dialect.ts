export type DialectName = "sqlite" | "postgres";

/** Column type for timestamps: ISO-8601 text on SQLite, timestamptz on PostgreSQL. */
export function timestampType(dialect: DialectName): "text" | "timestamptz" {
  return dialect === "postgres" ? "timestamptz" : "text";
}
