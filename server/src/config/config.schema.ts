import { z } from "zod";
import { parseDuration } from "#server/platform/duration.ts";
import { parseCidr } from "#server/platform/outbound/cidr.rules.ts";

/*
 * Every Auspex setting, once. Keys are the environment variable names; a YAML
 * config file may use the same names or the short form without the prefix in
 * lower case (port, data_dir, …). `.describe()` texts feed .env.example.
 */

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes");

const int = (min: number, max: number) =>
  z.coerce
    .number({ message: "must be a number" })
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const duration = (minSeconds: number) =>
  z.string().transform((value, ctx) => {
    const seconds = parseDuration(value);
    if (seconds === null) {
      ctx.addIssue({ code: "custom", message: "must be a duration such as 900, 15m, 12h or 7d" });
      return z.NEVER;
    }
    if (seconds < minSeconds) {
      ctx.addIssue({ code: "custom", message: `must be at least ${minSeconds} seconds` });
      return z.NEVER;
    }
    return seconds;
  });

const list = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/** A comma list of CIDRs in canonical form; a bad entry fails startup naming it. */
const cidrList = list.transform((items, ctx) =>
  items.map((item) => {
    const result = parseCidr(item);
    if (result.ok) return result.cidr.text;
    ctx.addIssue({ code: "custom", message: `'${item}' ${result.problem}` });
    return item;
  }),
);

const optionalText = z
  .string()
  .transform((v) => (v.trim() === "" ? undefined : v.trim()))
  .optional();

const url = z.url({ message: "must be a URL such as http://host:port" });

const llmKind = z.enum(["openai", "ollama"], { message: "must be openai or ollama" }).default("openai");

/** One entry of AUSPEX_LLM_PROVIDERS (JSON in the environment, a YAML list under llm.providers). */
const llmProviderEntry = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, _ . or -"),
    kind: z.enum(["openai", "ollama"]).default("openai"),
    url: url,
    model: z.string().min(1).optional(),
    api_key: z.string().min(1).optional(),
  })
  .strict();

const llmProviderList = z
  .string()
  .default("")
  .transform((text, ctx) => {
    if (text.trim() === "") return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON list of {name, kind, url, model, api_key}" });
      return z.NEVER;
    }
    const result = z.array(llmProviderEntry).safeParse(parsed);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ code: "custom", message: `[${issue.path.join(".")}] ${issue.message}` });
      return z.NEVER;
    }
    return result.data;
  });

export const configSchema = z.object({
  AUSPEX_CONFIG_FILE: optionalText.describe(
    "Path of an optional YAML file with these settings; environment variables win over it.",
  ),
  AUSPEX_DATA_DIR: z.string().min(1).default("./data").describe("Directory for all embedded data (state database, secrets, later the TSDB)."),
  AUSPEX_HOST: z.string().min(1).default("127.0.0.1").describe("Address the HTTP server listens on; 0.0.0.0 or :: to accept remote connections."),
  AUSPEX_PORT: int(0, 65535).default(8080).describe("TCP port of the HTTP server (0 picks a free port)."),
  AUSPEX_PUBLIC_URL: url.optional().describe("External URL of this Auspex, used in links it sends (notifications, OpenAPI servers)."),
  AUSPEX_DATABASE_URL: z
    .string()
    .trim()
    .refine((v) => v === "" || /^postgres(ql)?:\/\//.test(v) || v.startsWith("sqlite:"), {
      message: "must be postgres://user:pass@host:port/db or sqlite:<path>",
    })
    .optional()
    .describe("State database. Empty: SQLite file <data dir>/auspex.db. postgres://… for PostgreSQL; sqlite:<path> for another SQLite file."),
  AUSPEX_DATABASE_POOL_SIZE: int(1, 200).default(10).describe("PostgreSQL connection pool size."),
  AUSPEX_SQLITE_BUSY_TIMEOUT_MS: int(0, 600_000).default(5000).describe("How long SQLite waits for a lock before failing a statement."),
  AUSPEX_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info").describe("Minimum log level."),
  AUSPEX_LOG_FORMAT: z.enum(["json", "pretty"]).default("json").describe("json: one JSON object per line (for machines); pretty: coloured lines for people."),
  AUSPEX_JWT_SECRET: optionalText
    .refine((v) => v === undefined || v.length >= 32, { message: "must be at least 32 characters" })
    .describe("Secret that signs access tokens. Empty: generated once and kept in <data dir>/secrets/jwt-secret. Set it when several processes share a database."),
  AUSPEX_ACCESS_TOKEN_TTL: duration(30).default(900).describe("Lifetime of an access token (JWT), e.g. 15m."),
  AUSPEX_REFRESH_TOKEN_TTL: duration(60).default(7 * 86_400).describe("Lifetime of a refresh token and of an idle session, e.g. 7d."),
  AUSPEX_ARGON2_MEMORY_KIB: int(8192, 4_194_304).default(19_456).describe("Argon2id memory cost in KiB (see docs/adr/0005)."),
  AUSPEX_ARGON2_ITERATIONS: int(1, 20).default(2).describe("Argon2id time cost (passes)."),
  AUSPEX_ARGON2_PARALLELISM: int(1, 16).default(1).describe("Argon2id lanes."),
  AUSPEX_TRUST_PROXY: z
    .string()
    .default("false")
    .transform((v): boolean | number | string[] => {
      const text = v.trim();
      if (text === "false" || text === "") return false;
      if (text === "true") return true;
      if (/^\d+$/.test(text)) return Number(text);
      return text.split(",").map((item) => item.trim());
    })
    .describe("Whether to believe X-Forwarded-For: false, true, a hop count, or a comma list of proxy addresses/CIDRs."),
  AUSPEX_CORS_ORIGINS: list.default([]).describe("Comma list of browser origins allowed to call the API (e.g. http://localhost:5173); empty allows none."),
  AUSPEX_BODY_LIMIT_BYTES: int(1024, 1_073_741_824).default(1_048_576).describe("Largest request body accepted, in bytes."),
  AUSPEX_RATE_LIMIT: bool.default(true).describe("false turns all rate limits off."),
  AUSPEX_RATE_LIMIT_AUTH_PER_MINUTE: int(1, 1_000_000).default(5).describe("Requests a minute to each auth endpoint, per client IP and per username."),
  AUSPEX_RATE_LIMIT_API_PER_MINUTE: int(1, 10_000_000).default(100).describe("Requests a minute to the rest of the API, per user."),
  AUSPEX_SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000).describe("How long a graceful shutdown waits for in-flight requests."),
  AUSPEX_OUTBOUND_ALLOW: cidrList
    .default([])
    .describe("Comma list of CIDRs (e.g. 10.0.0.0/8,192.168.1.0/24) that user-supplied scrape targets and webhooks may resolve to; empty allows every address not denied. Checked after DNS on every address; see docs/outbound-policy.md."),
  AUSPEX_OUTBOUND_DENY: cidrList
    .default([])
    .describe("Comma list of CIDRs user-supplied scrape targets and webhooks may never resolve to, on top of the built-in link-local/metadata list (169.254.0.0/16, fe80::/10, fd00:ec2::254, …); wins over AUSPEX_OUTBOUND_ALLOW. Multi-tenant: 127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7."),
  AUSPEX_SCRAPE: bool.default(true).describe("false stops Auspex from scraping targets (the targets API still works)."),
  AUSPEX_SCRAPE_CONCURRENCY: int(1, 10_000).default(64).describe("Scrapes running at once over all targets; a hung target holds one slot until its timeout."),
  AUSPEX_SCRAPE_PROCESSING_CONCURRENCY: int(1, 1024)
    .default(4)
    .describe("Scrape responses parsed and stored at once (fetching is bounded by AUSPEX_SCRAPE_CONCURRENCY); more only raises memory and GC work."),
  AUSPEX_SCRAPE_BODY_LIMIT_BYTES: int(1024, 1_073_741_824).default(33_554_432).describe("Largest scrape response, after gzip decompression; a bigger one fails that scrape."),
  AUSPEX_SCRAPE_SAMPLE_LIMIT: int(1, 100_000_000).default(200_000).describe("Most samples one scrape may return; more fails that scrape (Prometheus's sample_limit)."),
  AUSPEX_SCRAPE_LABEL_VALUE_LIMIT: int(16, 1_048_576).default(16_384).describe("Longest label value (and metric name) a scrape may return; longer fails that scrape."),
  AUSPEX_OWNER: z
    .string()
    .min(1)
    .optional()
    .describe("Username of the instance owner, who receives the host collector's and Auspex's own series; default the first registered user."),
  AUSPEX_HOST_COLLECTOR: bool.default(true).describe("false switches off the built-in collector of this machine's metrics (job \"node\")."),
  AUSPEX_SELF_SCRAPE: bool.default(true).describe("false stops Auspex from scraping its own /metrics (job \"auspex\")."),
  AUSPEX_BUILTIN_SCRAPE_INTERVAL: duration(1).default(15).describe("Interval in seconds of the host collector and the self-scrape, e.g. 15s."),
  AUSPEX_DETECTION: bool.default(true).describe("false switches streaming anomaly detection off (no scores, no anomaly records)."),
  AUSPEX_DETECTION_SENSITIVITY: z.coerce
    .number({ error: "must be a number" })
    .positive("must be positive")
    .max(100, "must be at most 100")
    .default(1)
    .describe("Detection sensitivity for every series: 1 is the default, higher flags smaller deviations."),
  AUSPEX_DETECTION_OPEN_AFTER: int(1, 1000).default(2).describe("Consecutive samples scoring above 1 before an anomaly opens."),
  AUSPEX_DETECTION_CLOSE_AFTER: int(1, 1000).default(4).describe("Consecutive samples back inside the band before an anomaly closes."),
  AUSPEX_INCIDENT_JOIN_WINDOW: duration(0).default(600).describe("A related anomaly starting this long after an incident's last activity still joins it, e.g. 10m."),
  AUSPEX_INCIDENT_QUIET_PERIOD: duration(0).default(900).describe("An incident resolves once all its anomalies have been closed this long (sample time), e.g. 15m."),
  AUSPEX_INCIDENT_PERSIST: duration(0).default(300).describe("A lone anomaly with no related one becomes an incident once it has lasted this long, e.g. 5m."),
  AUSPEX_INCIDENT_STRONG_SCORE: z.coerce
    .number({ error: "must be a number" })
    .min(1, "must be at least 1")
    .max(1000, "must be at most 1000")
    .default(3)
    .describe("A lone anomaly whose score reaches this becomes an incident at once (scores > 1 are outside the band)."),
  AUSPEX_INCIDENT_MIN_SCORE: z.coerce
    .number({ error: "must be a number" })
    .min(1, "must be at least 1")
    .max(1000, "must be at most 1000")
    .default(2)
    .describe("A lasting lone anomaly, or a pair of related ones, opens an incident only once one reaches this score (three related anomalies always do)."),
  AUSPEX_BATCH_ANALYSIS: bool.default(true).describe("false stops recording seed 000's analysis batches (and so the LLM detection of users in llm mode)."),
  AUSPEX_BATCH_INTERVAL: duration(10).default(300).describe("Window of one analysis batch per user, e.g. 5m (seed 000's BATCH_INTERVAL_MINUTES)."),
  AUSPEX_BATCH_MAX_SERIES: int(1, 10_000).default(200).describe("Most series an llm-mode batch prompt summarises (the most unusual first)."),
  AUSPEX_RULES: bool.default(true).describe("false stops evaluating users' Prometheus rule files (they are still stored and validated)."),
  AUSPEX_RULES_DEFAULT_INTERVAL: duration(1).default(60).describe("Evaluation interval of a rule group that sets none, e.g. 1m (Prometheus's evaluation_interval)."),
  AUSPEX_RULES_MAX_GROUPS: int(1, 10_000).default(100).describe("Most rule groups one rule file of a user may hold."),
  AUSPEX_RULES_MAX_RULES_PER_GROUP: int(1, 10_000).default(200).describe("Most rules one rule group may hold."),
  AUSPEX_RULES_NAME_VALIDATION: z
    .enum(["legacy", "utf8"])
    .default("legacy")
    .describe("legacy: label and annotation names of rules must match [a-zA-Z_][a-zA-Z0-9_]* (Prometheus 2.x); utf8: any UTF-8 name (Prometheus 3.x)."),
  AUSPEX_DETECTION_MAX_QUEUED_SAMPLES: int(1000, 1_000_000_000)
    .default(2_000_000)
    .describe("Samples waiting to be scored before the oldest are skipped (detection lags; stored data is unaffected)."),
  AUSPEX_FILE_SD_PATH: z
    .string()
    .min(1)
    .optional()
    .describe("Keep this file current with every user's enabled targets as Prometheus file_sd JSON (written atomically), for an external Prometheus to scrape them too."),
  AUSPEX_PROMETHEUS_URL: url
    .optional()
    .describe("Keep samples in this Prometheus-compatible server (Prometheus, VictoriaMetrics, Mimir, Thanos) instead of the embedded store; credentials in the URL become basic auth."),
  AUSPEX_PROMETHEUS_WRITE_URL: url.optional().describe("remote_write endpoint of that server; default <AUSPEX_PROMETHEUS_URL>/api/v1/write."),
  AUSPEX_PROMETHEUS_OWNER_LABEL: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "must be a Prometheus label name")
    .default("auspex_user")
    .describe("Label carrying each series' owner on the external server; every read is restricted by it."),
  AUSPEX_TSDB_RETENTION: duration(3600).default(15 * 86_400).describe("Embedded store: delete samples older than this, e.g. 15d."),
  AUSPEX_TSDB_RETENTION_BYTES: int(0, Number.MAX_SAFE_INTEGER).default(0).describe("Embedded store: delete the oldest data beyond this many bytes on disk (0: no size limit)."),
  AUSPEX_TSDB_OUT_OF_ORDER_WINDOW: duration(0).default(600).describe("Accept samples up to this much older than a series' newest sample, e.g. 10m."),
  AUSPEX_QUERY_TIMEOUT: duration(1).default(120).describe("Longest a PromQL query may run."),
  AUSPEX_QUERY_MAX_SAMPLES: int(1000, 1_000_000_000).default(50_000_000).describe("Most samples one PromQL query may load into memory."),
  AUSPEX_QUERY_LOOKBACK_DELTA: duration(1).default(300).describe("How far back PromQL looks for the latest sample of a series (Prometheus's 5m)."),
  AUSPEX_QUERY_THREADS: z
    .union([z.literal("auto"), int(0, 64)], { message: "must be auto or a whole number from 0 to 64" })
    .default("auto")
    .describe("Worker threads that share large PromQL aggregations over rate() and the like with the request thread; auto = cores - 1, at most 3; 0 = none."),
  AUSPEX_REMOTE_WRITE_MAX_SAMPLES_PER_SECOND: int(1, 1_000_000_000)
    .default(1_000_000)
    .describe("Samples per second one user may send through remote_write; more gets 429."),
  AUSPEX_REMOTE_WRITE_MAX_ACTIVE_SERIES: int(1, 1_000_000_000)
    .default(1_000_000)
    .describe("Active series one user may have in the embedded store; remote_write that would create more gets 429."),
  AUSPEX_REMOTE_WRITE_BODY_LIMIT_BYTES: int(1024, 1_073_741_824).default(16_777_216).describe("Largest compressed remote_write body."),
  AUSPEX_REMOTE_WRITE_MAX_DECOMPRESSED_BYTES: int(1024, 4_294_967_296)
    .default(67_108_864)
    .describe("Largest remote_write body after snappy decompression."),
  AUSPEX_LLM_PRIMARY_URL: url
    .optional()
    .describe("Base URL of the primary LLM provider: an OpenAI-compatible API ending in /v1 (OpenAI https://api.openai.com/v1, Groq, vLLM, LM Studio, llama.cpp, Ollama's /v1) or an Ollama server (with AUSPEX_LLM_PRIMARY_KIND=ollama). Setting it or the API key configures the provider; see docs/ai.md."),
  AUSPEX_LLM_PRIMARY_MODEL: optionalText.describe("Model of the primary LLM provider; default gpt-4o-mini (openai) or llama3.1 (ollama)."),
  AUSPEX_LLM_PRIMARY_API_KEY: optionalText.describe("API key of the primary LLM provider, sent as a bearer token (empty for local servers)."),
  AUSPEX_LLM_PRIMARY_KIND: llmKind.describe("API of the primary LLM provider: openai (chat completions) or ollama (native /api/chat)."),
  AUSPEX_LLM_FALLBACK_URL: url.optional().describe("Base URL of the fallback LLM provider, tried when the primary fails or its circuit is open."),
  AUSPEX_LLM_FALLBACK_MODEL: optionalText.describe("Model of the fallback LLM provider; default gpt-4o-mini (openai) or llama3.1 (ollama)."),
  AUSPEX_LLM_FALLBACK_API_KEY: optionalText.describe("API key of the fallback LLM provider."),
  AUSPEX_LLM_FALLBACK_KIND: llmKind.describe("API of the fallback LLM provider: openai or ollama."),
  AUSPEX_LLM_PROVIDERS: llmProviderList.describe(
    "More LLM providers, tried after the primary and fallback in this order: a JSON list of {name, kind, url, model, api_key}; in the YAML file write it as llm: { providers: [ … ] }.",
  ),
  AUSPEX_LLM_TIMEOUT: duration(1).default(60).describe("Longest one LLM request may take before it is abandoned (and retried or passed to the next provider), e.g. 60s."),
  AUSPEX_LLM_MAX_RETRIES: int(0, 10).default(2).describe("Retries of a failed LLM request on the same provider (timeouts, 429, 5xx), with exponential backoff and jitter; Retry-After is respected."),
  AUSPEX_LLM_CIRCUIT_FAILURES: int(1, 1000).default(5).describe("Consecutive failures that open a provider's circuit breaker (the provider is skipped)."),
  AUSPEX_LLM_CIRCUIT_COOLDOWN: duration(1).default(60).describe("How long an open circuit stays open before one probe request is let through (half-open), e.g. 60s."),
  AUSPEX_LLM_DAILY_TOKEN_BUDGET: int(0, Number.MAX_SAFE_INTEGER).default(0).describe("LLM tokens (prompt + completion) each user may use per UTC day; 0 means unlimited."),
  LANGFUSE_PUBLIC_KEY: optionalText.describe("Langfuse public key; with LANGFUSE_SECRET_KEY, LLM call traces are exported to Langfuse over OTLP/HTTP."),
  LANGFUSE_SECRET_KEY: optionalText.describe("Langfuse secret key."),
  LANGFUSE_HOST: url.default("https://cloud.langfuse.com").describe("Langfuse server; traces go to <host>/api/public/otel/v1/traces."),
  AUSPEX_SECRETS_KEY: optionalText
    .refine((v) => v === undefined || v.length >= 32, { message: "must be at least 32 characters" })
    .describe("Key that encrypts notification channel secrets (webhook URLs, routing keys, SMTP passwords) with AES-256-GCM. Empty: generated once and kept in <data dir>/secrets/notifications-key. Set it when several processes share a database; changing it makes stored secrets unreadable."),
  AUSPEX_NOTIFY_TIMEOUT: duration(1).default(10).describe("Longest one notification send (HTTP request or SMTP conversation step) may take, e.g. 10s."),
  AUSPEX_NOTIFY_GIVE_UP_AFTER: duration(60).default(86_400).describe("Failed notifications are retried for this long after their first attempt, then marked failed, e.g. 24h."),
  AUSPEX_NOTIFY_BACKOFF_BASE: duration(1).default(5).describe("First retry delay of a failed notification; doubles per attempt (with jitter), e.g. 5s. A longer Retry-After from the receiver wins."),
  AUSPEX_NOTIFY_BACKOFF_MAX: duration(1).default(600).describe("Longest delay between retries of a failed notification, e.g. 10m."),
  AUSPEX_NOTIFY_POLL_INTERVAL: duration(1).default(5).describe("How often the notification worker looks for due messages besides being woken on enqueue, e.g. 5s."),
  AUSPEX_SMTP_HOST: optionalText.describe("Server-wide SMTP relay for email channels that name no server of their own; empty: such channels cannot send."),
  AUSPEX_SMTP_PORT: int(1, 65535).default(587).describe("Port of the SMTP relay."),
  AUSPEX_SMTP_SECURITY: z.enum(["starttls", "tls", "none"]).default("starttls").describe("starttls: upgrade the connection (port 587); tls: implicit TLS (465); none: plain text (local relays only)."),
  AUSPEX_SMTP_USER: optionalText.describe("Username for the SMTP relay; empty: no authentication."),
  AUSPEX_SMTP_PASSWORD: optionalText.describe("Password for the SMTP relay."),
  AUSPEX_SMTP_FROM: z.string().min(3).default("Auspex <auspex@localhost>").describe("Sender of notification emails that set no from address."),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ConfigValues = z.output<typeof configSchema>;
