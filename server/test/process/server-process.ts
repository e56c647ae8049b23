import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  port: number;
  baseUrl: string;
  /** Every stdout line so far, parsed as JSON where possible. */
  logs: Array<Record<string, unknown>>;
  stderr(): string;
  /** Resolves with the first log line matching, now or later. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `node server/src/main.ts` as a real process with the given settings. With
 * `options.dataDir` the directory is the caller's and survives the process.
 */
export async function spawnServer(env: Record<string, string> = {}, options: { dataDir?: string } = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), "auspex-proc-"));
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      AUSPEX_DATA_DIR: dataDir,
      AUSPEX_PORT: String(port),
      AUSPEX_ARGON2_MEMORY_KIB: "8192",
      AUSPEX_ARGON2_ITERATIONS: "1",
      ...env,
    },
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{ predicate: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout }).on("line", (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { raw: text };
    }
    logs.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  if (options.dataDir === undefined) exited.then(() => rmSync(dataDir, { recursive: true, force: true }), () => undefined);

  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    logs,
    stderr: () => stderr,
    waitForLog(predicate) {
      const found = logs.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        exited.then((code) => reject(new Error(`server exited (${code}) before the log line appeared; stderr:\n${stderr}`)), reject);
      });
    },
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
