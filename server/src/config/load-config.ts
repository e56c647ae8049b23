import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { configSchema, type ConfigValues } from "#server/config/config.schema.ts";

export type DatabaseTarget =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; url: string; poolSize: number };

export type MetricStoreTarget =
  | { kind: "embedded"; dir: string; retentionMs: number; retentionBytes: number; outOfOrderWindowMs: number }
  | { kind: "external"; url: string; writeUrl: string | undefined; ownerLabel: string; outOfOrderWindowMs: number };

export type LlmProviderConfig = { name: string; kind: "openai" | "ollama"; baseUrl: string; model: string; apiKey?: string };

export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string | undefined;
  readonly database: DatabaseTarget;
  readonly sqliteBusyTimeoutMs: number;
  readonly log: { readonly level: ConfigValues["AUSPEX_LOG_LEVEL"]; readonly format: "json" | "pretty" };
  readonly auth: {
    readonly jwtSecret: string | undefined;
    readonly accessTokenTtlSeconds: number;
    readonly refreshTokenTtlSeconds: number;
    readonly argon2: { readonly memoryKib: number; readonly iterations: number; readonly parallelism: number };
  };
  readonly http: {
    readonly trustProxy: boolean | number | string[];
    readonly corsOrigins: readonly string[];
    readonly bodyLimitBytes: number;
    readonly shutdownTimeoutMs: number;
  };
  /** CIDR texts of the outbound address policy (platform/outbound), canonical form. */
  readonly outbound: { readonly allow: readonly string[]; readonly deny: readonly string[] };
  readonly targets: { readonly fileSdPath: string | undefined };
  readonly detection: {
    readonly enabled: boolean;
    readonly sensitivity: number;
    readonly openAfter: number;
    readonly closeAfter: number;
    readonly maxQueuedSamples: number;
  };
  readonly scrape: {
    readonly enabled: boolean;
    /** Username of the owner of the built-in jobs; undefined: the first registered user. */
    readonly owner: string | undefined;
    readonly hostCollector: boolean;
    readonly selfScrape: boolean;
    readonly builtinIntervalMs: number;
    readonly concurrency: number;
    readonly processingConcurrency: number;
    readonly bodyLimitBytes: number;
    readonly sampleLimit: number;
    readonly labelValueLimit: number;
  };
  readonly rateLimit: { readonly enabled: boolean; readonly authPerMinute: number; readonly apiPerMinute: number };
  readonly metricStore: MetricStoreTarget;
  readonly query: { readonly timeoutMs: number; readonly maxSamples: number; readonly lookbackDeltaMs: number };
  readonly remoteWrite: {
    readonly maxSamplesPerSecond: number;
    readonly maxActiveSeries: number;
    readonly bodyLimitBytes: number;
    readonly maxDecompressedBytes: number;
  };
  /** LLM providers in fallback order; the set Auspex knows is fixed, configured or not. */
  readonly llm: { readonly known: readonly string[]; readonly providers: readonly LlmProviderConfig[] };
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

const PREFIX = "AUSPEX_";
const SETTING_NAMES = new Set(Object.keys(configSchema.shape));

/** Reads the settings once: YAML file (if any) under environment variables, validated, then frozen. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const fromEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(PREFIX) && SETTING_NAMES.has(key) && value !== undefined) fromEnv[key] = value;
  }
  const file = fromEnv.AUSPEX_CONFIG_FILE?.trim();
  const fromFile = file ? readConfigFile(file) : {};
  const result = configSchema.safeParse({ ...fromFile, ...fromEnv });
  if (!result.success) throw new ConfigError(describeIssues(result.error.issues, { ...fromFile, ...fromEnv }));
  return deepFreeze(toConfig(result.data));
}

function readConfigFile(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError([`AUSPEX_CONFIG_FILE: cannot read ${file}: ${(error as Error).message}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError([`AUSPEX_CONFIG_FILE: ${file} must be a YAML mapping of setting names to values`]);
  }
  const settings: Record<string, string> = {};
  const problems: string[] = [];
  for (const [rawKey, value] of Object.entries(parsed)) {
    const key = rawKey.startsWith(PREFIX) ? rawKey : PREFIX + rawKey.toUpperCase();
    if (!SETTING_NAMES.has(key) || key === "AUSPEX_CONFIG_FILE") {
      problems.push(`${file}: unknown setting '${rawKey}'`);
      continue;
    }
    settings[key] = Array.isArray(value) ? value.map(String).join(",") : String(value);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

function describeIssues(issues: readonly z.core.$ZodIssue[], input: Record<string, string>): string[] {
  return issues.map((issue) => {
    const key = String(issue.path[0] ?? "config");
    const given = input[key];
    const shown = given === undefined ? "" : ` (got ${JSON.stringify(isSecret(key) ? "***" : given)})`;
    return `${key}: ${issue.message}${shown}`;
  });
}

function isSecret(key: string): boolean {
  return /SECRET|KEY|PASSWORD|DATABASE_URL/.test(key);
}

function toConfig(v: ConfigValues): Config {
  const dataDir = path.resolve(v.AUSPEX_DATA_DIR);
  const dbUrl = v.AUSPEX_DATABASE_URL ?? "";
  const database: DatabaseTarget = dbUrl.startsWith("postgres")
    ? { kind: "postgres", url: dbUrl, poolSize: v.AUSPEX_DATABASE_POOL_SIZE }
    : { kind: "sqlite", path: dbUrl.startsWith("sqlite:") ? path.resolve(dbUrl.slice("sqlite:".length)) : path.join(dataDir, "auspex.db") };

  const providers: LlmProviderConfig[] = [];
  if (v.AUSPEX_OPENAI_API_KEY !== undefined || v.AUSPEX_OPENAI_BASE_URL !== undefined) {
    providers.push({
      name: "openai",
      kind: "openai",
      baseUrl: v.AUSPEX_OPENAI_BASE_URL ?? "https://api.openai.com/v1",
      model: v.AUSPEX_OPENAI_MODEL,
      ...(v.AUSPEX_OPENAI_API_KEY === undefined ? {} : { apiKey: v.AUSPEX_OPENAI_API_KEY }),
    });
  }
  if (v.AUSPEX_OLLAMA_URL !== undefined) {
    providers.push({ name: "ollama", kind: "ollama", baseUrl: v.AUSPEX_OLLAMA_URL, model: v.AUSPEX_OLLAMA_MODEL });
  }

  return {
    dataDir,
    host: v.AUSPEX_HOST,
    port: v.AUSPEX_PORT,
    publicUrl: v.AUSPEX_PUBLIC_URL,
    database,
    sqliteBusyTimeoutMs: v.AUSPEX_SQLITE_BUSY_TIMEOUT_MS,
    log: { level: v.AUSPEX_LOG_LEVEL, format: v.AUSPEX_LOG_FORMAT },
    auth: {
      jwtSecret: v.AUSPEX_JWT_SECRET,
      accessTokenTtlSeconds: v.AUSPEX_ACCESS_TOKEN_TTL,
      refreshTokenTtlSeconds: v.AUSPEX_REFRESH_TOKEN_TTL,
      argon2: {
        memoryKib: v.AUSPEX_ARGON2_MEMORY_KIB,
        iterations: v.AUSPEX_ARGON2_ITERATIONS,
        parallelism: v.AUSPEX_ARGON2_PARALLELISM,
      },
    },
    http: {
      trustProxy: v.AUSPEX_TRUST_PROXY,
      corsOrigins: v.AUSPEX_CORS_ORIGINS,
      bodyLimitBytes: v.AUSPEX_BODY_LIMIT_BYTES,
      shutdownTimeoutMs: v.AUSPEX_SHUTDOWN_TIMEOUT_MS,
    },
    outbound: { allow: v.AUSPEX_OUTBOUND_ALLOW, deny: v.AUSPEX_OUTBOUND_DENY },
    detection: {
      enabled: v.AUSPEX_DETECTION,
      sensitivity: v.AUSPEX_DETECTION_SENSITIVITY,
      openAfter: v.AUSPEX_DETECTION_OPEN_AFTER,
      closeAfter: v.AUSPEX_DETECTION_CLOSE_AFTER,
      maxQueuedSamples: v.AUSPEX_DETECTION_MAX_QUEUED_SAMPLES,
    },
    targets: { fileSdPath: v.AUSPEX_FILE_SD_PATH === undefined ? undefined : path.resolve(v.AUSPEX_FILE_SD_PATH) },
    scrape: {
      enabled: v.AUSPEX_SCRAPE,
      owner: v.AUSPEX_OWNER,
      hostCollector: v.AUSPEX_HOST_COLLECTOR,
      selfScrape: v.AUSPEX_SELF_SCRAPE,
      builtinIntervalMs: v.AUSPEX_BUILTIN_SCRAPE_INTERVAL * 1000,
      concurrency: v.AUSPEX_SCRAPE_CONCURRENCY,
      processingConcurrency: v.AUSPEX_SCRAPE_PROCESSING_CONCURRENCY,
      bodyLimitBytes: v.AUSPEX_SCRAPE_BODY_LIMIT_BYTES,
      sampleLimit: v.AUSPEX_SCRAPE_SAMPLE_LIMIT,
      labelValueLimit: v.AUSPEX_SCRAPE_LABEL_VALUE_LIMIT,
    },
    rateLimit: {
      enabled: v.AUSPEX_RATE_LIMIT,
      authPerMinute: v.AUSPEX_RATE_LIMIT_AUTH_PER_MINUTE,
      apiPerMinute: v.AUSPEX_RATE_LIMIT_API_PER_MINUTE,
    },
    llm: { known: ["openai", "ollama"], providers },
    metricStore:
      v.AUSPEX_PROMETHEUS_URL === undefined
        ? {
            kind: "embedded",
            dir: path.join(dataDir, "tsdb"),
            retentionMs: v.AUSPEX_TSDB_RETENTION * 1000,
            retentionBytes: v.AUSPEX_TSDB_RETENTION_BYTES,
            outOfOrderWindowMs: v.AUSPEX_TSDB_OUT_OF_ORDER_WINDOW * 1000,
          }
        : {
            kind: "external",
            url: v.AUSPEX_PROMETHEUS_URL,
            writeUrl: v.AUSPEX_PROMETHEUS_WRITE_URL,
            ownerLabel: v.AUSPEX_PROMETHEUS_OWNER_LABEL,
            outOfOrderWindowMs: v.AUSPEX_TSDB_OUT_OF_ORDER_WINDOW * 1000,
          },
    query: {
      timeoutMs: v.AUSPEX_QUERY_TIMEOUT * 1000,
      maxSamples: v.AUSPEX_QUERY_MAX_SAMPLES,
      lookbackDeltaMs: v.AUSPEX_QUERY_LOOKBACK_DELTA * 1000,
    },
    remoteWrite: {
      maxSamplesPerSecond: v.AUSPEX_REMOTE_WRITE_MAX_SAMPLES_PER_SECOND,
      maxActiveSeries: v.AUSPEX_REMOTE_WRITE_MAX_ACTIVE_SERIES,
      bodyLimitBytes: v.AUSPEX_REMOTE_WRITE_BODY_LIMIT_BYTES,
      maxDecompressedBytes: v.AUSPEX_REMOTE_WRITE_MAX_DECOMPRESSED_BYTES,
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
