import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import type { MetadataRepository } from "#server/modules/metadata/metadata.repository.ts";

export interface MetricMetadata {
  type: string;
  help: string;
  unit: string;
}

interface Deps {
  repository: MetadataRepository;
  clock: Clock;
}

/** Metric family metadata (HELP, TYPE, UNIT) per user, as Prometheus's /api/v1/metadata serves it. */
export function createMetadataService({ repository, clock }: Deps) {
  return {
    async recordMetadata(userId: string, entries: ReadonlyArray<{ metricFamilyName: string } & MetricMetadata>): Promise<void> {
      const now = clock.now().toISOString();
      // The last entry for a family in one batch wins, as it would over time.
      const byMetric = new Map(entries.filter((e) => e.metricFamilyName !== "").map((e) => [e.metricFamilyName, e]));
      await repository.upsert(
        [...byMetric.values()].map((e) => ({ user_id: userId, metric: e.metricFamilyName, type: e.type, help: e.help, unit: e.unit, updated_at: now })),
      );
    },

    async listMetadata(actor: Actor, options: { metric?: string; limit?: number }): Promise<Record<string, MetricMetadata[]>> {
      const rows = await repository.listForUser(actor.userId, options.metric, options.limit);
      return Object.fromEntries(rows.map((row) => [row.metric, [{ type: row.type, help: row.help, unit: row.unit }]]));
    },
  };
}

export type MetadataService = ReturnType<typeof createMetadataService>;
