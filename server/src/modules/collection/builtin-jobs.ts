import type { ScrapeJob } from "#server/modules/scrape/index.ts";
import type { HostCollector } from "#server/modules/collection/host/index.ts";
import { renderExposition } from "#server/modules/collection/host/index.ts";

/** Auspex's own metrics as text exposition (the prom-client registry). */
export interface SelfMetrics {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface BuiltinJobsOptions {
  /** The instance owner: the built-in series belong to this user. */
  readonly ownerId: string;
  /** The host collector, unless switched off. */
  readonly host: HostCollector | undefined;
  /** Auspex's own registry, unless self-monitoring is switched off. */
  readonly self: SelfMetrics | undefined;
  readonly intervalMs: number;
  /** The `instance` of the host's series (the machine's name, as node_exporter's target would be). */
  readonly hostInstance: string;
  /** The `instance` of Auspex's own series (how it would be scraped: host:port). */
  readonly selfInstance: string;
}

/**
 * The jobs a fresh install scrapes without any target configured: the host it runs on (job
 * "node", node_exporter's names) and itself (job "auspex"). Both read in process and go through
 * the same scrape path as user targets, so they get `up`, the scrape_* series and staleness.
 */
export function builtinScrapeJobs(options: BuiltinJobsOptions): ScrapeJob[] {
  const common = {
    userId: options.ownerId,
    scheme: "http" as const,
    metricsPath: "/metrics",
    intervalMs: options.intervalMs,
    timeoutMs: Math.min(10_000, options.intervalMs * 0.8),
    labels: {},
  };
  const jobs: ScrapeJob[] = [];
  const { host, self } = options;
  if (host) {
    jobs.push({
      ...common,
      id: `builtin:host:${options.ownerId}`,
      name: "host",
      job: "node",
      address: options.hostInstance,
      source: async () => ({ contentType: "text/plain; version=0.0.4", body: renderExposition(await host.collect()) }),
    });
  }
  if (self) {
    jobs.push({
      ...common,
      id: `builtin:auspex:${options.ownerId}`,
      name: "auspex",
      job: "auspex",
      address: options.selfInstance,
      source: async () => ({ contentType: self.contentType, body: await self.metrics() }),
    });
  }
  return jobs;
}
