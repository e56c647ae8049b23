import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { aptInstall } from "#e2e/support/apt.ts";
import { startDaemon } from "#e2e/support/daemon.ts";
import { findFreePort } from "#e2e/support/postgres.ts";

const PROMETHEUS_BINARY = process.env.AUSPEX_TEST_PROMETHEUS_BIN ?? "/usr/bin/prometheus";
const INSTALL_HINT = "Prometheus not found at /usr/bin/prometheus: install it with `sudo apt-get install -y prometheus` (Debian/Ubuntu).";

export interface PrometheusServer {
  url: string;
  version: string;
  stop(): Promise<void>;
}

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
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--web.enable-remote-write-receiver",
    "--web.enable-admin-api",
    "--storage.tsdb.retention.time=3650d",
  ];
  const daemon = await startDaemon(
    "Prometheus",
    PROMETHEUS_BINARY,
    args,
    async () => {
      if ((await fetch(`${url}/-/ready`)).status !== 200) return undefined;
      return ((await (await fetch(`${url}/api/v1/status/buildinfo`)).json()) as { data: { version: string } }).data.version;
    },
    { cleanup: () => rmSync(dir, { recursive: true, force: true }) },
  );
  return { url, version: daemon.info, stop: daemon.stop };
}
