import { statfs as fsStatfs } from "node:fs/promises";
import type { FsStats } from "#server/modules/collection/host/filesystem.rules.ts";

export type Statfs = (path: string) => Promise<FsStats>;

/** node_exporter's --collector.filesystem.mount-timeout default. */
const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * statfs() on a dead network mount can block forever. Each call gets a deadline, and a path
 * whose earlier call is still blocked is not asked again until that call returns (as
 * node_exporter tracks "stuck" mounts), so hung calls cannot pile up in libuv's small thread
 * pool. Undefined means "no statistics" (error, timeout or stuck): the device_error case.
 */
export function createStatfsReader(options: { statfs?: Statfs; timeoutMs?: number } = {}): (path: string) => Promise<FsStats | undefined> {
  const statfs = options.statfs ?? ((path: string) => fsStatfs(path));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const stuck = new Set<string>();
  return async (path) => {
    if (stuck.has(path)) return undefined;
    stuck.add(path);
    const call = statfs(path).then(
      (stats) => stats,
      () => undefined,
    );
    void call.finally(() => stuck.delete(path));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([call, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}
