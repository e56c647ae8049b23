import type { FileSd } from "@auspex/shared/contracts/targets.ts";

/** The fields of a target that file_sd exports. */
export interface FileSdTarget {
  readonly user_id: string;
  readonly name: string;
  readonly job: string;
  readonly address: string;
  readonly scheme: string;
  readonly metrics_path: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Targets as Prometheus file_sd JSON: one group per target, with `job`, `name` and `user_id`
 * labels (so an external Prometheus keeps each user's series apart) and the target's own labels.
 * A non-default scheme or path travels in Prometheus's `__scheme__` / `__metrics_path__` labels,
 * which file_sd honours. Ordered by user, then name, so the file only changes when targets do.
 */
export function toFileSd(targets: readonly FileSdTarget[]): FileSd {
  return [...targets]
    .sort((a, b) => (a.user_id === b.user_id ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.user_id < b.user_id ? -1 : 1))
    .map((t) => {
      const labels: Record<string, string> = { ...t.labels, job: t.job, name: t.name, user_id: t.user_id };
      if (t.scheme !== "http") labels.__scheme__ = t.scheme;
      if (t.metrics_path !== "/metrics") labels.__metrics_path__ = t.metrics_path;
      return { targets: [t.address], labels };
    });
}
