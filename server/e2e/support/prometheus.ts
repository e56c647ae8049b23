import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { aptInstall } from "#e2e/support/apt.ts";
import { findFreePort } from "#e2e/support/postgres.ts";

const PROMETHEUS_BINARY = process.env.AUSPEX_TEST_PROMETHEUS_BIN ?? "/usr/bin/prometheus";
const INSTALL_HINT = "Prometheus not found at /usr/bin/prometheus: install it with `sudo apt-get install -y prometheus` (Debian/Ubuntu).";

export interface PrometheusServer {
  url: string;
  version: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Debian's Prometheus (2.42) on a free loopback port with a temporary TSDB, remote-write receiver
 * and admin API on; `scrapeConfigs` is YAML for `scrape_configs:` (none by default).
 */
export async function startPrometheus(options: { scrapeConfigs?: string } = {}): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_BINARY)) aptInstall(["prometheus"], INSTALL_HINT);
  if (!existsSync(PROMETHEUS_BINARY)) throw new Error(`apt-get installed prometheus but ${INSTALL_HINT}`);
  const dir = mkdtempSync(path.join(tmpdir(), "auspex-prometheus-"));
  const config = path.join(dir, "prometheus.yml");
  writeFileSync(config, `global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n${options.scrapeConfigs === undefined ? "" : `scrape_configs:\n${options.scrapeConfigs}`}`);
  const port = await findFreePort();
  let log = "";
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-remote-write-receiver",
      "--web.enable-admin-api",
      "--storage.tsdb.retention.time=3650d",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  running.add(child);
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  // Waiting for an external program to come up: bounded polling is the only signal it gives.
  for (let attempt = 0; attempt < 150; attempt++) {
    if (child.exitCode !== null) break;
    try {
      const ready = await fetch(`${url}/-/ready`);
      if (ready.status === 200) {
        const info = (await (await fetch(`${url}/api/v1/status/buildinfo`)).json()) as { data: { version: string } };
        return { url, version: info.data.version, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`Prometheus did not become ready:\n${log.split("\n").slice(-20).join("\n")}`);
}
