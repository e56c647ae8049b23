import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { renderEnvExample } from "#server/config/env-example.ts";
import { configSchema } from "#server/config/config.schema.ts";
import { ConfigError, loadConfig } from "#server/config/load-config.ts";

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail("expected the configuration to be rejected");
}

describe("loadConfig", () => {
  it("applies the documented defaults: ./data, port 8080, loopback, SQLite", () => {
    const config = loadConfig({});
    assert.equal(config.dataDir, path.resolve("./data"));
    assert.equal(config.port, 8080);
    assert.equal(config.host, "127.0.0.1");
    assert.deepEqual(config.database, { kind: "sqlite", path: path.join(path.resolve("./data"), "auspex.db") });
    assert.equal(config.auth.accessTokenTtlSeconds, 900);
    assert.equal(config.auth.refreshTokenTtlSeconds, 7 * 86_400);
    assert.deepEqual(config.rateLimit, { enabled: true, authPerMinute: 5, apiPerMinute: 100 });
    assert.equal(config.llm.providers.length, 0);
  });

  it("reads AUSPEX_ variables and parses durations, lists and booleans", () => {
    const config = loadConfig({
      AUSPEX_PORT: "9090",
      AUSPEX_ACCESS_TOKEN_TTL: "5m",
      AUSPEX_REFRESH_TOKEN_TTL: "2d",
      AUSPEX_CORS_ORIGINS: "http://a.example, http://b.example",
      AUSPEX_RATE_LIMIT: "false",
      AUSPEX_TRUST_PROXY: "2",
      AUSPEX_DATABASE_URL: "postgres://auspex@127.0.0.1:5432/auspex",
    });
    assert.equal(config.port, 9090);
    assert.equal(config.auth.accessTokenTtlSeconds, 300);
    assert.equal(config.auth.refreshTokenTtlSeconds, 172_800);
    assert.deepEqual(config.http.corsOrigins, ["http://a.example", "http://b.example"]);
    assert.equal(config.rateLimit.enabled, false);
    assert.equal(config.http.trustProxy, 2);
    assert.equal(config.database.kind, "postgres");
  });

  it("names the variable, the problem and the value given for each bad setting", () => {
    const problems = problemsOf({ AUSPEX_PORT: "70000", AUSPEX_LOG_FORMAT: "xml", AUSPEX_ACCESS_TOKEN_TTL: "soon", AUSPEX_RATE_LIMIT: "maybe" });
    assert.equal(problems.length, 4);
    assert.ok(problems.some((p) => p.startsWith("AUSPEX_PORT: must be at most 65535") && p.includes('"70000"')), problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("AUSPEX_LOG_FORMAT:")));
    assert.ok(problems.some((p) => p.startsWith("AUSPEX_ACCESS_TOKEN_TTL: must be a duration")));
    assert.ok(problems.some((p) => p.startsWith("AUSPEX_RATE_LIMIT: must be true or false")));
  });

  it("never prints a secret it rejects", () => {
    const problems = problemsOf({ AUSPEX_JWT_SECRET: "short-secret" });
    assert.match(problems[0] ?? "", /^AUSPEX_JWT_SECRET: must be at least 32 characters/);
    assert.ok(!problems[0]?.includes("short-secret"));
  });

  it("rejects a database URL that is neither postgres:// nor sqlite:", () => {
    const problems = problemsOf({ AUSPEX_DATABASE_URL: "mysql://localhost/auspex" });
    assert.match(problems[0] ?? "", /^AUSPEX_DATABASE_URL: must be postgres:/);
  });

  it("reads the outbound CIDR lists in canonical form, empty by default", () => {
    assert.deepEqual(loadConfig({}).outbound, { allow: [], deny: [] });
    const config = loadConfig({ AUSPEX_OUTBOUND_ALLOW: "10.0.0.0/8, 2001:DB8::/32", AUSPEX_OUTBOUND_DENY: "127.0.0.1,::1" });
    assert.deepEqual(config.outbound, { allow: ["10.0.0.0/8", "2001:db8::/32"], deny: ["127.0.0.1/32", "::1/128"] });
  });

  it("refuses to start on a bad outbound CIDR, naming the variable and the entry", () => {
    const problems = problemsOf({ AUSPEX_OUTBOUND_ALLOW: "10.0.0.0/33", AUSPEX_OUTBOUND_DENY: "192.168.1.1/16,intranet" });
    assert.equal(problems.length, 3, problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("AUSPEX_OUTBOUND_ALLOW: '10.0.0.0/33' has a prefix length above 32")), problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("AUSPEX_OUTBOUND_DENY: '192.168.1.1/16' has host bits set; did you mean 192.168.0.0/16?")));
    assert.ok(problems.some((p) => p.startsWith("AUSPEX_OUTBOUND_DENY: 'intranet' is not an IPv4 or IPv6 network")));
  });

  it("reads a YAML file with short or full keys, environment variables winning", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "auspex-config-"));
    const file = path.join(dir, "auspex.yaml");
    writeFileSync(file, "port: 7000\nhost: 0.0.0.0\nAUSPEX_CORS_ORIGINS:\n  - http://x.example\n  - http://y.example\n");
    const config = loadConfig({ AUSPEX_CONFIG_FILE: file, AUSPEX_PORT: "7001" });
    assert.equal(config.port, 7001);
    assert.equal(config.host, "0.0.0.0");
    assert.deepEqual(config.http.corsOrigins, ["http://x.example", "http://y.example"]);
  });

  it("rejects unknown keys and bad values in the YAML file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "auspex-config-"));
    const file = path.join(dir, "auspex.yaml");
    writeFileSync(file, "prot: 7000\n");
    assert.match(problemsOf({ AUSPEX_CONFIG_FILE: file })[0] ?? "", /unknown setting 'prot'/);
    writeFileSync(file, "port: many\n");
    assert.match(problemsOf({ AUSPEX_CONFIG_FILE: file })[0] ?? "", /^AUSPEX_PORT: must be a number/);
    assert.match(problemsOf({ AUSPEX_CONFIG_FILE: path.join(dir, "missing.yaml") })[0] ?? "", /^AUSPEX_CONFIG_FILE: cannot read/);
  });

  it("is frozen all the way down", () => {
    const config = loadConfig({ AUSPEX_LLM_PRIMARY_API_KEY: "sk-test" });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.auth.argon2));
    assert.ok(Object.isFrozen(config.llm.providers[0]));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
  });

  it("configures the primary and fallback LLM providers in that order, with per-kind defaults", () => {
    const config = loadConfig({
      AUSPEX_LLM_PRIMARY_API_KEY: "sk-test",
      AUSPEX_LLM_FALLBACK_URL: "http://127.0.0.1:11434/",
      AUSPEX_LLM_FALLBACK_KIND: "ollama",
      AUSPEX_LLM_FALLBACK_MODEL: "qwen2.5:7b",
    });
    assert.deepEqual(
      config.llm.providers.map((p) => ({ ...p })),
      [
        { name: "primary", kind: "openai", baseUrl: "https://api.openai.com/v1", model: "gpt-4o-mini", apiKey: "sk-test" },
        { name: "fallback", kind: "ollama", baseUrl: "http://127.0.0.1:11434", model: "qwen2.5:7b" },
      ],
    );
    assert.deepEqual(config.llm.known, ["primary", "fallback"]);
  });

  it("applies the AI layer's defaults and reads its limits", () => {
    const defaults = loadConfig({}).llm;
    assert.deepEqual(
      { timeoutMs: defaults.timeoutMs, maxRetries: defaults.maxRetries, circuit: { ...defaults.circuit }, budget: defaults.dailyTokenBudget, langfuse: defaults.langfuse },
      { timeoutMs: 60_000, maxRetries: 2, circuit: { failures: 5, cooldownMs: 60_000 }, budget: 0, langfuse: undefined },
    );
    const llm = loadConfig({
      AUSPEX_LLM_TIMEOUT: "15s",
      AUSPEX_LLM_MAX_RETRIES: "0",
      AUSPEX_LLM_CIRCUIT_FAILURES: "3",
      AUSPEX_LLM_CIRCUIT_COOLDOWN: "2m",
      AUSPEX_LLM_DAILY_TOKEN_BUDGET: "100000",
      LANGFUSE_PUBLIC_KEY: "pk-lf-1",
      LANGFUSE_SECRET_KEY: "sk-lf-1",
      LANGFUSE_HOST: "http://127.0.0.1:3000/",
    }).llm;
    assert.equal(llm.timeoutMs, 15_000);
    assert.equal(llm.maxRetries, 0);
    assert.deepEqual({ ...llm.circuit }, { failures: 3, cooldownMs: 120_000 });
    assert.equal(llm.dailyTokenBudget, 100_000);
    assert.deepEqual({ ...llm.langfuse }, { host: "http://127.0.0.1:3000", publicKey: "pk-lf-1", secretKey: "sk-lf-1" });
  });

  it("reads llm.providers from the YAML file after the primary, and rejects bad entries", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "auspex-config-"));
    const file = path.join(dir, "auspex.yaml");
    writeFileSync(
      file,
      [
        "llm_primary_url: http://127.0.0.1:8000/v1",
        "llm_primary_model: local",
        "llm:",
        "  providers:",
        "    - { name: groq, url: https://api.groq.com/openai/v1, model: llama-3.1-8b-instant, api_key: gsk_x }",
        "    - { name: home, kind: ollama, url: http://10.0.0.5:11434 }",
        "",
      ].join("\n"),
    );
    const config = loadConfig({ AUSPEX_CONFIG_FILE: file });
    assert.deepEqual(
      config.llm.providers.map((p) => [p.name, p.kind, p.baseUrl, p.model]),
      [
        ["primary", "openai", "http://127.0.0.1:8000/v1", "local"],
        ["groq", "openai", "https://api.groq.com/openai/v1", "llama-3.1-8b-instant"],
        ["home", "ollama", "http://10.0.0.5:11434", "llama3.1"],
      ],
    );
    assert.deepEqual(config.llm.known, ["primary", "fallback", "groq", "home"]);
    writeFileSync(file, "llm:\n  providers:\n    - { name: x, kind: claude, url: http://h }\n");
    assert.match(problemsOf({ AUSPEX_CONFIG_FILE: file })[0] ?? "", /^AUSPEX_LLM_PROVIDERS: \[0\.kind\]/);
    writeFileSync(file, "llm:\n  model: x\n");
    assert.match(problemsOf({ AUSPEX_CONFIG_FILE: file })[0] ?? "", /unknown setting 'llm.model'/);
    assert.match(problemsOf({ AUSPEX_LLM_PROVIDERS: '[{"name":"primary","url":"http://h"}]' })[0] ?? "", /used twice/);
    assert.match(problemsOf({ AUSPEX_LLM_PROVIDERS: "not json" })[0] ?? "", /^AUSPEX_LLM_PROVIDERS: must be a JSON list/);
    const leaky = problemsOf({ AUSPEX_LLM_PROVIDERS: '[{"name":"x","url":"nope","api_key":"sk-very-secret"}]' });
    assert.ok(!leaky.join("\n").includes("sk-very-secret"), "a rejected provider list never shows its keys");
  });

  it("no longer knows the interim OpenAI/Ollama settings", () => {
    assert.equal(loadConfig({ AUSPEX_OPENAI_API_KEY: "sk-x", AUSPEX_OLLAMA_URL: "http://127.0.0.1:11434" }).llm.providers.length, 0);
  });
});

describe(".env.example", () => {
  it("lists every setting of the schema with its description (run `npm run env:example` after changing the schema)", () => {
    const file = readFileSync(new URL("../../../.env.example", import.meta.url), "utf8");
    assert.equal(file, renderEnvExample());
    for (const key of Object.keys(configSchema.shape)) {
      assert.ok(file.includes(`# ${key}=`), `${key} missing from .env.example`);
      assert.ok(configSchema.shape[key as keyof typeof configSchema.shape].description, `${key} has no description`);
    }
  });
});
