/*
 * Builds the real AI module for a test: a SQLite file with two users, a fresh
 * metrics registry, spans collected in memory, a settable clock and manual
 * timers (sleeps return at once and are recorded; timeouts fire when the test
 * says so). Providers point at a fake LLM server (test/support/fake-llm-server.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { createAiModule, createAiUsageRepository, type AiModule, type AiModuleDeps, type AiProviderSettings, type Timers } from "#server/modules/ai/index.ts";
import type { Clock } from "#server/platform/clock.ts";
import { createMetrics, type Metrics } from "#server/platform/metrics.ts";
import { openDatabase, type Database } from "#server/storage/database.ts";
import { insertTestUsers } from "#test/repositories/test-users.ts";

export interface ManualTimers extends Timers {
  /** Every sleep requested, in ms, in order. */
  readonly sleeps: number[];
  /** Timeouts currently armed (ms). */
  pending(): number[];
  /** Fires every armed timeout now. */
  fireAll(): void;
}

export function manualTimers(clock: TestClock): ManualTimers {
  const sleeps: number[] = [];
  const armed = new Set<{ ms: number; fn: () => void }>();
  return {
    sleeps,
    sleep(ms, signal) {
      sleeps.push(ms);
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      clock.advance(ms);
      return Promise.resolve();
    },
    schedule(fn, ms) {
      const entry = { ms, fn };
      armed.add(entry);
      return () => armed.delete(entry);
    },
    pending: () => [...armed].map((e) => e.ms),
    fireAll() {
      for (const entry of [...armed]) {
        armed.delete(entry);
        entry.fn();
      }
    },
  };
}

export interface TestClock extends Clock {
  advance(ms: number): void;
  set(iso: string): void;
}

export function testClock(iso = "2026-03-01T10:00:00.000Z"): TestClock {
  let now = Date.parse(iso);
  return {
    now: () => new Date(now),
    advance: (ms) => {
      now += ms;
    },
    set: (value) => {
      now = Date.parse(value);
    },
  };
}

export interface AiKit {
  ai: AiModule;
  database: Database;
  alice: string;
  bob: string;
  metrics: Metrics;
  clock: TestClock;
  timers: ManualTimers;
  spans(): ReadableSpan[];
  usage: ReturnType<typeof createAiUsageRepository>;
  /** The value of a counter/histogram-count series with exactly these labels (0 when absent). */
  metric(name: string, labels: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export type KitSettings = Partial<Omit<AiModuleDeps["settings"], "providers">>;

export async function startAiKit(providers: AiProviderSettings[], settings: KitSettings = {}, extra: Partial<AiModuleDeps> = {}): Promise<AiKit> {
  const dir = mkdtempSync(path.join(tmpdir(), "auspex-ai-"));
  const database = await openDatabase({ kind: "sqlite", path: path.join(dir, "auspex.db") }, { busyTimeoutMs: 5000 });
  const [alice, bob] = (await insertTestUsers(database.db, "ai", 2)) as [string, string];
  const metrics = createMetrics();
  const clock = testClock();
  const timers = manualTimers(clock);
  const exporter = new InMemorySpanExporter();
  const ai = createAiModule({
    db: database.db,
    clock,
    metrics,
    version: "test",
    timers,
    random: () => 0.5,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    settings: {
      providers,
      timeoutMs: 30_000,
      maxRetries: 2,
      circuit: { failures: 3, cooldownMs: 60_000 },
      dailyTokenBudget: 0,
      ...settings,
    },
    ...extra,
  });
  return {
    ai,
    database,
    alice,
    bob,
    metrics,
    clock,
    timers,
    spans: () => exporter.getFinishedSpans(),
    usage: createAiUsageRepository(database.db),
    async metric(name, labels) {
      const metric = metrics.registry.getSingleMetric(name);
      if (metric === undefined) throw new Error(`no metric ${name}`);
      const { values } = await metric.get();
      const wanted = Object.entries(labels);
      const match = values.find((v) => {
        const name_ = (v as { metricName?: string }).metricName;
        if (name_ !== undefined && name_ !== `${name}_count`) return false;
        const own = v.labels as Record<string, string | number | undefined>;
        return Object.keys(own).length === wanted.length && wanted.every(([k, value]) => String(own[k]) === value);
      });
      return match?.value ?? 0;
    },
    async close() {
      await ai.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** OpenAI-compatible provider settings pointing at a fake server. */
export function openai(name: string, url: string, model = `${name}-model`, apiKey?: string): AiProviderSettings {
  return { name, kind: "openai", baseUrl: url, model, ...(apiKey === undefined ? {} : { apiKey }) };
}

export function ollama(name: string, url: string, model = `${name}-model`): AiProviderSettings {
  return { name, kind: "ollama", baseUrl: url, model };
}
