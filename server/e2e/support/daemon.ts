import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface Daemon<T> {
  /** What `ready` returned once the program answered. */
  readonly info: T;
  /** SIGTERM, then waits for the exit. */
  readonly stop: () => Promise<void>;
}

/**
 * Starts an external program (a Debian package's daemon) and polls `ready` until it returns
 * something: waiting for another process to come up, bounded polling is the only signal it gives.
 * Its output is kept for the error when it never becomes ready. Killed when the tests exit.
 */
export async function startDaemon<T>(
  name: string,
  binary: string,
  args: readonly string[],
  ready: () => Promise<T | undefined>,
  options: { attempts?: number; cleanup?: () => void } = {},
): Promise<Daemon<T>> {
  let log = "";
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    running.delete(child);
    options.cleanup?.();
  };
  for (let attempt = 0; attempt < (options.attempts ?? 150); attempt++) {
    if (child.exitCode !== null) break;
    try {
      const info = await ready();
      if (info !== undefined) return { info, stop };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`${name} did not become ready:\n${log.split("\n").slice(-20).join("\n")}`);
}
