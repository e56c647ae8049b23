import { configSchema } from "#server/config/config.schema.ts";

/** The text of .env.example, rendered from the schema so the two cannot drift apart. */
export function renderEnvExample(): string {
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const lines = [
    "# Auspex settings: every one is an environment variable (or a key of the YAML file",
    "# named by AUSPEX_CONFIG_FILE; environment variables win). Uncomment to change a default.",
    "# Generated from server/src/config/config.schema.ts by `npm run env:example`; a test keeps it in sync.",
    "",
  ];
  for (const [key, schema] of Object.entries(configSchema.shape)) {
    lines.push(`# ${schema.description ?? key}`);
    lines.push(`# ${key}=${formatDefault(defaults[key])}`);
    lines.push("");
  }
  return lines.join("\n");
}

function formatDefault(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.join(",");
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return String(value);
    default:
      return JSON.stringify(value);
  }
}
