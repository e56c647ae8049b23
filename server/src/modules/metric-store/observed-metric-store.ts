import { labelsKey } from "#server/modules/metric-store/labels.ts";
import type { MetricStore, SeriesBatch } from "#server/modules/metric-store/metric-store.port.ts";

/** Receives what a store accepted, after it is durable. Must not throw or block (queue the work). */
export type AppendObserver = (userId: string, accepted: SeriesBatch) => void;

/**
 * The store, telling `observer` about every append once it is stored (streaming detection reads
 * samples here, whichever path brought them: scrapes, remote_write, the host collector). Series
 * with a rejected sample are left out, so observers only see what the store holds.
 */
export function withAppendObserver<S extends MetricStore>(store: S, observer: AppendObserver): S {
  const append: MetricStore["append"] = async (userId, batch, options) => {
    const result = await store.append(userId, batch, options);
    if (result.accepted > 0) {
      if (result.rejected === 0) observer(userId, batch);
      else {
        const rejected = new Set(result.rejections.map((r) => labelsKey(r.labels)));
        observer(
          userId,
          batch.filter((item) => !rejected.has(labelsKey(item.labels))),
        );
      }
    }
    return result;
  };
  return Object.assign(Object.create(store) as S, { append });
}
