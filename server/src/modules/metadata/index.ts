import type { Clock } from "#server/platform/clock.ts";
import type { Db } from "#server/storage/database.ts";
import { createMetadataRepository } from "#server/modules/metadata/metadata.repository.ts";
import { createMetadataService } from "#server/modules/metadata/metadata.service.ts";

export type { MetadataService, MetricMetadata } from "#server/modules/metadata/metadata.service.ts";

export function createMetadataModule(deps: { db: Db; clock: Clock }) {
  return createMetadataService({ repository: createMetadataRepository(deps.db), clock: deps.clock });
}
