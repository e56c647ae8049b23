import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { aptInstall } from "#e2e/support/apt.ts";
import { findFreePort } from "#e2e/support/postgres.ts";

const NODE_EXPORTER_BINARY = process.env.AUSPEX_TEST_NODE_EXPORTER_BIN ?? "/usr/bin/prometheus-node-exporter";
const INSTALL_HINT =
  "node_exporter not found at /usr/bin/prometheus-node-exporter: install it with `sudo apt-get install -y prometheus-node-exporter` (Debian/Ubuntu).";

export interface NodeExporter {
  url: string;
  version: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Debian's node_exporter (1.5) on a free loopback port with the given collector flags. */
export async function startNodeExporter(flags: readonly string[]): Promise<NodeExporter> {
  if (!existsSync(NODE_EXPORTER_BINARY)) aptInstall(["prometheus-node-exporter"], INSTALL_HINT);
  if (!existsSync(NODE_EXPORTER_BINARY)) throw new Error(`apt-get installed prometheus-node-exporter but ${INSTALL_HINT}`);
  const port = await findFreePort();
  let log = "";
  const child = spawn(NODE_EXPORTER_BINARY, [`--web.listen-address=127.0.0.1:${port}`, ...flags], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    running.delete(child);
  };
  // Waiting for an external program to come up: bounded polling is the only signal it gives.
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) break;
    try {
      const metrics = await fetch(`${url}/metrics`);
      if (metrics.status === 200) {
        const version = /node_exporter_build_info\{[^}]*\bversion="([^"]*)"/.exec(await metrics.text())?.[1] ?? "unknown";
        return { url, version, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`node_exporter did not become ready:\n${log.split("\n").slice(-20).join("\n")}`);
}
