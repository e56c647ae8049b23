import { readFileSync } from "node:fs";
import path from "node:path";
import { availableParallelism } from "node:os";
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

export interface LlmConfig {
  /** Provider slots reported by /health: primary, fallback and the named list entries. */
  readonly known: readonly string[];
  /** Configured providers in the order they are tried. */
  readonly providers: readonly LlmProviderConfig[];
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly circuit: { readonly failures: number; readonly cooldownMs: number };
  /** Tokens per user and UTC day; 0: unlimited. */
  readonly dailyTokenBudget: number;
  /** Set when LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY are. */
  readonly langfuse: { readonly host: string; readonly publicKey: string; readonly secretKey: string } | undefined;
}

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
  readonly batches: { readonly enabled: boolean; readonly intervalMs: number; readonly maxPromptSeries: number };
  /** Prometheus rule files per user (modules/rules); externalURL is AUSPEX_PUBLIC_URL or "". */
  readonly rules: {
    readonly enabled: boolean;
    readonly defaultIntervalMs: number;
    readonly maxGroups: number;
    readonly maxRulesPerGroup: number;
    readonly nameValidation: "legacy" | "utf8";
    readonly externalURL: string;
  };
  /** Grouping of anomalies into incidents (modules/incidents), in ms of sample time. */
  readonly incidents: { readonly joinWindowMs: number; readonly quietMs: number; readonly persistMs: number; readonly strongScore: number; readonly minScore: number };
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
  readonly query: { readonly timeoutMs: number; readonly maxSamples: number; readonly lookbackDeltaMs: number; readonly threads: number };
  readonly remoteWrite: {
    readonly maxSamplesPerSecond: number;
    readonly maxActiveSeries: number;
    readonly bodyLimitBytes: number;
    readonly maxDecompressedBytes: number;
  };
  /** LLM providers in fallback order and the settings of the AI layer (modules/ai, docs/ai.md). */
  readonly llm: LlmConfig;
  /** Notification channels and delivery (modules/notifications, docs/notifications.md). */
  readonly notifications: {
    readonly secretsKey: string | undefined;
    readonly timeoutMs: number;
    readonly giveUpAfterMs: number;
    readonly backoff: { readonly baseMs: number; readonly maxMs: number };
    readonly pollIntervalMs: number;
    readonly smtp:
      | { readonly host: string; readonly port: number; readonly security: "starttls" | "tls" | "none"; readonly username: string | undefined; readonly password: string | undefined; readonly from: string }
      | undefined;
    readonly from: string;
  };
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
    if (SETTING_NAMES.has(key) && value !== undefined) fromEnv[key] = value;
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
    if (rawKey === "llm" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      // The one nested setting: llm: { providers: [ {name, kind, url, model, api_key}, … ] }.
      for (const [llmKey, llmValue] of Object.entries(value as Record<string, unknown>)) {
        if (llmKey === "providers") settings.AUSPEX_LLM_PROVIDERS = JSON.stringify(llmValue);
        else problems.push(`${file}: unknown setting 'llm.${llmKey}'`);
      }
      continue;
    }
    const key = settingName(rawKey);
    if (!SETTING_NAMES.has(key) || key === "AUSPEX_CONFIG_FILE") {
      problems.push(`${file}: unknown setting '${rawKey}'`);
      continue;
    }
    settings[key] = Array.isArray(value) ? value.map(String).join(",") : String(value);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/** A YAML key as a setting name: AUSPEX_PORT, port, LANGFUSE_HOST or langfuse_host. */
function settingName(rawKey: string): string {
  if (SETTING_NAMES.has(rawKey)) return rawKey;
  const upper = rawKey.toUpperCase();
  return SETTING_NAMES.has(upper) ? upper : PREFIX + upper;
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
  return /SECRET|KEY|PASSWORD|DATABASE_URL|LLM_PROVIDERS|LLM_.*_URL/.test(key);
}

function toConfig(v: ConfigValues): Config {
  const dataDir = path.resolve(v.AUSPEX_DATA_DIR);
  const dbUrl = v.AUSPEX_DATABASE_URL ?? "";
  const database: DatabaseTarget = dbUrl.startsWith("postgres")
    ? { kind: "postgres", url: dbUrl, poolSize: v.AUSPEX_DATABASE_POOL_SIZE }
    : { kind: "sqlite", path: dbUrl.startsWith("sqlite:") ? path.resolve(dbUrl.slice("sqlite:".length)) : path.join(dataDir, "auspex.db") };

  const llm = toLlmConfig(v);

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
    batches: { enabled: v.AUSPEX_BATCH_ANALYSIS, intervalMs: v.AUSPEX_BATCH_INTERVAL * 1000, maxPromptSeries: v.AUSPEX_BATCH_MAX_SERIES },
    rules: {
      enabled: v.AUSPEX_RULES,
      defaultIntervalMs: v.AUSPEX_RULES_DEFAULT_INTERVAL * 1000,
      maxGroups: v.AUSPEX_RULES_MAX_GROUPS,
      maxRulesPerGroup: v.AUSPEX_RULES_MAX_RULES_PER_GROUP,
      nameValidation: v.AUSPEX_RULES_NAME_VALIDATION,
      externalURL: v.AUSPEX_PUBLIC_URL ?? "",
    },
    incidents: {
      joinWindowMs: v.AUSPEX_INCIDENT_JOIN_WINDOW * 1000,
      quietMs: v.AUSPEX_INCIDENT_QUIET_PERIOD * 1000,
      persistMs: v.AUSPEX_INCIDENT_PERSIST * 1000,
      strongScore: v.AUSPEX_INCIDENT_STRONG_SCORE,
      minScore: v.AUSPEX_INCIDENT_MIN_SCORE,
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
    llm,
    notifications: {
      secretsKey: v.AUSPEX_SECRETS_KEY,
      timeoutMs: v.AUSPEX_NOTIFY_TIMEOUT * 1000,
      giveUpAfterMs: v.AUSPEX_NOTIFY_GIVE_UP_AFTER * 1000,
      backoff: { baseMs: v.AUSPEX_NOTIFY_BACKOFF_BASE * 1000, maxMs: Math.max(v.AUSPEX_NOTIFY_BACKOFF_BASE, v.AUSPEX_NOTIFY_BACKOFF_MAX) * 1000 },
      pollIntervalMs: v.AUSPEX_NOTIFY_POLL_INTERVAL * 1000,
      smtp:
        v.AUSPEX_SMTP_HOST === undefined
          ? undefined
          : { host: v.AUSPEX_SMTP_HOST, port: v.AUSPEX_SMTP_PORT, security: v.AUSPEX_SMTP_SECURITY, username: v.AUSPEX_SMTP_USER, password: v.AUSPEX_SMTP_PASSWORD, from: v.AUSPEX_SMTP_FROM },
      from: v.AUSPEX_SMTP_FROM,
    },
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
      threads: v.AUSPEX_QUERY_THREADS === "auto" ? Math.min(3, Math.max(0, availableParallelism() - 1)) : v.AUSPEX_QUERY_THREADS,
    },
    remoteWrite: {
      maxSamplesPerSecond: v.AUSPEX_REMOTE_WRITE_MAX_SAMPLES_PER_SECOND,
      maxActiveSeries: v.AUSPEX_REMOTE_WRITE_MAX_ACTIVE_SERIES,
      bodyLimitBytes: v.AUSPEX_REMOTE_WRITE_BODY_LIMIT_BYTES,
      maxDecompressedBytes: v.AUSPEX_REMOTE_WRITE_MAX_DECOMPRESSED_BYTES,
    },
  };
}

const DEFAULT_LLM: Record<LlmProviderConfig["kind"], { baseUrl: string; model: string }> = {
  openai: { baseUrl: "https://api.openai.com/v1", model: "gpt-4o-mini" },
  ollama: { baseUrl: "http://127.0.0.1:11434", model: "llama3.1" },
};

/** Primary, then fallback, then AUSPEX_LLM_PROVIDERS (llm.providers) in order; a slot counts when its URL or key is set. */
function toLlmConfig(v: ConfigValues): LlmConfig {
  const providers: LlmProviderConfig[] = [];
  const slot = (name: string, kind: LlmProviderConfig["kind"], url: string | undefined, model: string | undefined, apiKey: string | undefined): void => {
    if (url === undefined && apiKey === undefined) return;
    providers.push({
      name,
      kind,
      baseUrl: (url ?? DEFAULT_LLM[kind].baseUrl).replace(/\/+$/, ""),
      model: model ?? DEFAULT_LLM[kind].model,
      ...(apiKey === undefined ? {} : { apiKey }),
    });
  };
  slot("primary", v.AUSPEX_LLM_PRIMARY_KIND, v.AUSPEX_LLM_PRIMARY_URL, v.AUSPEX_LLM_PRIMARY_MODEL, v.AUSPEX_LLM_PRIMARY_API_KEY);
  slot("fallback", v.AUSPEX_LLM_FALLBACK_KIND, v.AUSPEX_LLM_FALLBACK_URL, v.AUSPEX_LLM_FALLBACK_MODEL, v.AUSPEX_LLM_FALLBACK_API_KEY);
  const names = new Set(["primary", "fallback"]);
  for (const entry of v.AUSPEX_LLM_PROVIDERS) {
    if (names.has(entry.name)) throw new ConfigError([`AUSPEX_LLM_PROVIDERS: provider name '${entry.name}' is used twice (primary and fallback are taken)`]);
    names.add(entry.name);
    slot(entry.name, entry.kind, entry.url, entry.model, entry.api_key);
  }
  const langfuse =
    v.LANGFUSE_PUBLIC_KEY !== undefined && v.LANGFUSE_SECRET_KEY !== undefined
      ? { host: v.LANGFUSE_HOST.replace(/\/+$/, ""), publicKey: v.LANGFUSE_PUBLIC_KEY, secretKey: v.LANGFUSE_SECRET_KEY }
      : undefined;
  return {
    known: [...names],
    providers,
    timeoutMs: v.AUSPEX_LLM_TIMEOUT * 1000,
    maxRetries: v.AUSPEX_LLM_MAX_RETRIES,
    circuit: { failures: v.AUSPEX_LLM_CIRCUIT_FAILURES, cooldownMs: v.AUSPEX_LLM_CIRCUIT_COOLDOWN * 1000 },
    dailyTokenBudget: v.AUSPEX_LLM_DAILY_TOKEN_BUDGET,
    langfuse,
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
