import { spawnSync } from "node:child_process";

/**
 * Installs Debian packages with apt-get for the e2e tests (which need real programs), as
 * root only; otherwise throws with `hint`, which says what a person should install.
 */
export function aptInstall(packages: readonly string[], hint: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${hint} Not installing automatically: that needs root.`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", ...packages]]) {
    const result = spawnSync("apt-get", args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 600_000 });
    if (result.status !== 0) {
      const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-20).join("\n");
      throw new Error(`apt-get ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}\n${hint}`);
    }
  }
}
