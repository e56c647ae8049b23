import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Auspex's own metrics, one registry per process (never prom-client's global, so
 * several app instances can live in one test process). Names follow seed 002.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const http = {
    requests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests handled, by method, route template and status code",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration in seconds, by method, route template and status code",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };

  const auth = {
    sessionsCreated: new Counter({
      name: "auspex_sessions_total",
      help: "Login sessions created (register, login)",
      registers: [registry],
    }),
    failures: new Counter({
      name: "auspex_auth_failures_total",
      help: "Rejected authentication attempts, by reason",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
  };

  const ai = {
    calls: new Counter({
      name: "ai_api_calls_total",
      help: "Requests to LLM providers, by provider, model, purpose and outcome (success, error, timeout, rate_limited, invalid_output)",
      labelNames: ["provider", "model", "purpose", "outcome"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "ai_api_duration_seconds",
      help: "LLM request duration in seconds, by provider, model and purpose",
      labelNames: ["provider", "model", "purpose"] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers: [registry],
    }),
    tokens: new Counter({
      name: "ai_tokens_used_total",
      help: "LLM tokens used, by kind (prompt, completion), provider, model and purpose",
      labelNames: ["kind", "provider", "model", "purpose"] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: "ai_errors_total",
      help: "LLM failures, by reason (timeout, rate_limited, server_error, network, circuit_open, invalid_output, budget_exhausted, …) and provider",
      labelNames: ["reason", "provider"] as const,
      registers: [registry],
    }),
  };

  const detection = {
    lag: new Histogram({
      name: "auspex_detection_lag_seconds",
      help: "From a sample being stored to its score (and anomaly record) being written",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    samples: new Counter({
      name: "auspex_detection_samples_total",
      help: "Samples scored by streaming detection",
      registers: [registry],
    }),
    dropped: new Counter({
      name: "auspex_detection_dropped_samples_total",
      help: "Samples not scored because detection fell too far behind (stored data is unaffected)",
      registers: [registry],
    }),
  };

  // Notification delivery (modules/notifications).
  const notifications = {
    total: new Counter({
      name: "auspex_notifications_total",
      help: "Notification delivery attempts, by channel type and outcome (success, retry, failed: gave up or refused, dropped: channel gone, disabled or send_resolved off)",
      labelNames: ["channel", "outcome"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "auspex_notification_send_duration_seconds",
      help: "Time one notification send took, by channel type",
      labelNames: ["channel"] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };

  return { registry, http, auth, ai, detection, notifications };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Registers a gauge whose value is read when /metrics is scraped (e.g. from the database). */
export function registerCollectedGauge(metrics: Metrics, name: string, help: string, read: () => Promise<number>): void {
  new Gauge({
    name,
    help,
    registers: [metrics.registry],
    async collect() {
      this.set(await read());
    },
  });
}
