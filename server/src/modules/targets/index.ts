import type { Clock } from "#server/platform/clock.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { ResolveHost } from "#server/platform/outbound/resolve-host.ts";
import type { Db } from "#server/storage/database.ts";
import { createFileSdWriter } from "#server/modules/targets/file-sd-writer.ts";
import { createTargetsRepository } from "#server/modules/targets/targets.repository.ts";
import { createTargetsService } from "#server/modules/targets/targets.service.ts";

export type { ScrapeTarget, TargetsService } from "#server/modules/targets/targets.service.ts";
export type { ScrapeOutcome } from "#server/modules/targets/targets.repository.ts";
export { createTargetsRepository } from "#server/modules/targets/targets.repository.ts";

export function createTargetsModule(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  outbound: OutboundPolicy;
  resolve?: ResolveHost;
  fileSdPath?: string;
  onChange?: () => void;
}) {
  return createTargetsService({
    targets: createTargetsRepository(deps.db),
    clock: deps.clock,
    logger: deps.logger,
    outbound: deps.outbound,
    ...(deps.resolve && { resolve: deps.resolve }),
    ...(deps.fileSdPath !== undefined && { fileSd: createFileSdWriter(deps.fileSdPath) }),
    ...(deps.onChange && { onChange: deps.onChange }),
  });
}
