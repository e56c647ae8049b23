import { existsSync } from "node:fs";
import { aptInstall } from "#e2e/support/apt.ts";
import { startDaemon } from "#e2e/support/daemon.ts";
import { findFreePort } from "#e2e/support/postgres.ts";

const NODE_EXPORTER_BINARY = process.env.AUSPEX_TEST_NODE_EXPORTER_BIN ?? "/usr/bin/prometheus-node-exporter";
const INSTALL_HINT =
  "node_exporter not found at /usr/bin/prometheus-node-exporter: install it with `sudo apt-get install -y prometheus-node-exporter` (Debian/Ubuntu).";

export interface NodeExporter {
  url: string;
  version: string;
  stop(): Promise<void>;
}

/** Debian's node_exporter (1.5) on a free loopback port with the given collector flags. */
export async function startNodeExporter(flags: readonly string[]): Promise<NodeExporter> {
  if (!existsSync(NODE_EXPORTER_BINARY)) aptInstall(["prometheus-node-exporter"], INSTALL_HINT);
  if (!existsSync(NODE_EXPORTER_BINARY)) throw new Error(`apt-get installed prometheus-node-exporter but ${INSTALL_HINT}`);
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(
    "node_exporter",
    NODE_EXPORTER_BINARY,
    [`--web.listen-address=127.0.0.1:${port}`, ...flags],
    async () => {
      const metrics = await fetch(`${url}/metrics`);
      if (metrics.status !== 200) return undefined;
      return /node_exporter_build_info\{[^}]*\bversion="([^"]*)"/.exec(await metrics.text())?.[1] ?? "unknown";
    },
    { attempts: 100 },
  );
  return { url, version: daemon.info, stop: daemon.stop };
}
