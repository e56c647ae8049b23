/*
 * A throwaway PostgreSQL server for end-to-end tests: a fresh data directory in
 * the system temp dir, initdb'd with trust authentication, listening on
 * 127.0.0.1 on a free port (and a unix socket inside the temp dir), stopped and
 * deleted by stop(). The binaries come from the Debian packages
 * (/usr/lib/postgresql/<version>/bin); when they are missing and we are root they
 * are installed with apt-get. PostgreSQL refuses to run as root, so as root every
 * server binary runs as the `postgres` OS user.
 *
 * A server is never left behind: stop() ends it, a process 'exit' hook stops any
 * still running, and a watchdog process stops it when this process dies in a
 * way that skips 'exit' (see "Cleanup" below).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { aptInstall } from "#e2e/support/apt.ts";

export interface PostgresBinaries {
  /** Major version, e.g. 15. */
  readonly version: number;
  readonly binDir: string;
  readonly initdb: string;
  readonly pgCtl: string;
  readonly postgres: string;
}

export interface PostgresServer {
  readonly binaries: PostgresBinaries;
  readonly host: string;
  readonly port: number;
  /** The temp directory holding data/, the unix socket and postgres.log; deleted by stop(). */
  readonly baseDir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  /** Superuser connection URL for a database (default "postgres"). */
  url(database?: string): string;
  /** Creates a new, empty database (a unique name when none is given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** True while the postmaster runs. */
  readonly running: boolean;
  /** Stops the server (pg_ctl stop -m fast) but keeps its data, so startServer() can bring it back. */
  stopServer(): Promise<void>;
  /** Starts the server again on the same data directory and port; resolves once it accepts connections. */
  startServer(): Promise<void>;
  /** Stops the server and deletes the temp directory. Safe to call twice. */
  stop(): Promise<void>;
  /** The server log so far (for failure messages). */
  log(): string;
}

export interface StartPostgresOptions {
  /** How long to wait for the server to accept connections; default 30 s. */
  readyTimeoutMs?: number;
}

const SUPERUSER = "postgres";
const HOST = "127.0.0.1";
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;
const PG_ROOT = "/usr/lib/postgresql";

// ---------------------------------------------------------------------------
// Finding (and installing) the binaries

/** The newest PostgreSQL under root (default /usr/lib/postgresql) with initdb, pg_ctl and postgres, or undefined. */
export function findPostgresBinaries(root: string = PG_ROOT): PostgresBinaries | undefined {
  const override = process.env.AUSPEX_TEST_PG_BINDIR;
  const candidates: { version: number; binDir: string }[] = [];
  if (override) {
    candidates.push({ version: Number.NaN, binDir: override });
  } else if (existsSync(root)) {
    for (const entry of readdirSync(root)) {
      const version = Number(entry);
      if (Number.isFinite(version)) candidates.push({ version, binDir: path.join(root, entry, "bin") });
    }
    candidates.sort((a, b) => b.version - a.version);
  }
  for (const { version, binDir } of candidates) {
    const binaries = {
      version,
      binDir,
      initdb: path.join(binDir, "initdb"),
      pgCtl: path.join(binDir, "pg_ctl"),
      postgres: path.join(binDir, "postgres"),
    };
    if ([binaries.initdb, binaries.pgCtl, binaries.postgres].every((file) => existsSync(file))) return binaries;
  }
  return undefined;
}

const INSTALL_HINT =
  "PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin (initdb, pg_ctl, postgres). " +
  "Install them with `sudo apt-get install -y postgresql` (Debian/Ubuntu), or set AUSPEX_TEST_PG_BINDIR to a directory holding them.";

/** Finds the binaries, installing the Debian `postgresql` package first when they are missing and we are root. */
export function ensurePostgresBinaries(): PostgresBinaries {
  const found = findPostgresBinaries();
  if (found) return found;
  if (process.env.AUSPEX_TEST_PG_BINDIR) throw new Error(`${INSTALL_HINT} (AUSPEX_TEST_PG_BINDIR=${process.env.AUSPEX_TEST_PG_BINDIR} lacks them)`);
  aptInstall(["postgresql"], INSTALL_HINT);
  const installed = findPostgresBinaries();
  if (!installed) throw new Error(`apt-get installed postgresql but ${INSTALL_HINT}`);
  return installed;
}

// ---------------------------------------------------------------------------
// Running as the right OS user

interface RunAs {
  uid: number;
  gid: number;
}

/** As root: the `postgres` OS user (created by the Debian package); otherwise run as ourselves. */
function serverUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${SUPERUSER}:`));
  const fields = line?.split(":");
  const uid = Number(fields?.[2]);
  const gid = Number(fields?.[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new Error("Running as root, but there is no unprivileged `postgres` OS user to run PostgreSQL as (apt-get install postgresql creates it).");
  }
  return { uid, gid };
}

/** Runs a command to completion (async, so its pid can be handed to the watchdog); throws with its output on failure. */
async function run(
  command: string,
  args: readonly string[],
  options: { runAs: RunAs | undefined; cwd: string; timeoutMs?: number; onSpawn?: (pid: number | undefined) => void },
): Promise<string> {
  const child = spawn(command, args, { cwd: options.cwd, env: serverEnv(), stdio: ["ignore", "pipe", "pipe"], timeout: options.timeoutMs ?? 120_000, ...(options.runAs ?? {}) });
  options.onSpawn?.(child.pid);
  const chunks: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
  const failure = await new Promise<string | undefined>((resolve) => {
    child.once("error", (error) => resolve(error.message));
    child.once("close", (code, signal) => resolve(code === 0 ? undefined : signal ? `killed by ${signal}` : `exit ${code}`));
  });
  const output = Buffer.concat(chunks).toString("utf8").trim();
  if (failure !== undefined) throw new Error(`${path.basename(command)} ${args.join(" ")} failed (${failure}):\n${output}`);
  return output;
}

function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", LANG: "C", TZ: "UTC" };
  return env;
}

// ---------------------------------------------------------------------------
// Cleanup of servers still running when the process ends
//
// Two layers. (1) A process 'exit' hook stops, synchronously, every server whose
// stop() was not called. (2) Every server has a watchdog: a detached `sh` that
// blocks reading a pipe from this process. The pipe closes however this process
// ends - also on SIGKILL, on a default-action signal, or when the test runner's
// child dies on EPIPE after the runner was interrupted, none of which emit
// 'exit' - and the watchdog then stops postgres and deletes the temp dir.

const live = new Set<{ emergencyStop(): void }>();

function stopAllNow(): void {
  for (const server of [...live]) server.emergencyStop();
}

function track(server: { emergencyStop(): void }): void {
  if (live.size === 0) process.on("exit", stopAllNow);
  live.add(server);
}

function untrack(server: { emergencyStop(): void }): void {
  if (!live.delete(server)) return;
  if (live.size === 0) process.off("exit", stopAllNow);
}

/*
 * Reads from the pipe the pid of the process to stop (initdb, then the
 * postmaster; an empty line: none). On EOF it interrupts that process (SIGINT:
 * initdb cleans up and exits; the postmaster does a fast shutdown, as for
 * pg_ctl stop -m fast, also while it is still starting up and pg_ctl would not
 * find it yet), escalates to SIGQUIT after 20 s, then deletes the temp dir.
 */
const WATCHDOG_SCRIPT = `
trap '' INT TERM HUP
# Running, as opposed to gone or a zombie nobody has reaped yet.
alive() {
  state=$(sed -n 's/^.*) \\(.\\).*$/\\1/p' "/proc/$1/stat" 2>/dev/null)
  [ -n "$state" ] && [ "$state" != Z ]
}
wait_gone() {
  n=0
  while alive "$1" && [ "$n" -lt "$2" ]; do sleep 0.1; n=$((n + 1)); done
}
pid=
while read -r line; do pid=$line; done
if [ -n "$pid" ] && alive "$pid"; then
  kill -INT "$pid" 2>/dev/null
  wait_gone "$pid" 200
  kill -QUIT "$pid" 2>/dev/null
  wait_gone "$pid" 50
fi
rm -rf "$1"
`;

interface Watchdog {
  /** Tells it which postmaster to stop (undefined: none is running). */
  watch(pid: number | undefined): void;
  /** Everything is cleaned up: let it see EOF and exit. */
  release(): void;
}

function startWatchdog(baseDir: string, runAs: RunAs | undefined): Watchdog {
  const shell = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT, "auspex-pg-watchdog", baseDir], {
    cwd: "/",
    env: serverEnv(),
    stdio: ["pipe", "ignore", "ignore"],
    // Its own process group: a Ctrl-C meant for the tests must not kill it before it has cleaned up.
    detached: true,
    ...(runAs ?? {}),
  });
  shell.on("error", () => {});
  const pipe = shell.stdin;
  pipe?.on("error", () => {});
  // Neither the watchdog nor its pipe may keep this process alive.
  shell.unref();
  (pipe as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    watch(pid) {
      if (pipe && !pipe.writableEnded) pipe.write(`${pid ?? ""}\n`);
    },
    release() {
      if (pipe && !pipe.writableEnded) pipe.end();
    },
  };
}

// ---------------------------------------------------------------------------
// The server

/** A port that was free a moment ago: bind port 0 on loopback, read the port, close. */
export async function findFreePort(host = HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("could not determine a free port"))));
    });
  });
}

let databaseCounter = 0;

/** Creates a fresh cluster in a temp dir and starts it; see the file comment. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binaries = ensurePostgresBinaries();
  const runAs = serverUser();
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;

  const baseDir = mkdtempSync(path.join(tmpdir(), "auspex-pg-"));
  if (runAs) chownSync(baseDir, runAs.uid, runAs.gid);
  const dataDir = path.join(baseDir, "data");
  const socketDir = path.join(baseDir, "sock");
  const logFile = path.join(baseDir, "postgres.log");

  const watchdog = startWatchdog(baseDir, runAs);
  let child: ChildProcess | undefined;
  let exited: Promise<void> | undefined;
  let exitInfo: string | undefined;
  let port = 0;
  let removed = false;

  const readLog = (): string => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  const logTail = () => readLog().trim().split("\n").slice(-15).join("\n");

  const handle = {
    emergencyStop(): void {
      // Synchronous: also runs from the process 'exit' hook.
      if (child && child.exitCode === null && child.signalCode === null) {
        const stop = spawnSync(binaries.pgCtl, ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "20"], {
          cwd: baseDir,
          env: serverEnv(),
          stdio: "ignore",
          timeout: 25_000,
          ...(runAs ?? {}),
        });
        if (stop.status !== 0 && child.pid !== undefined) {
          try {
            process.kill(child.pid, "SIGQUIT");
          } catch {
            // already gone
          }
        }
      }
      if (!removed) {
        removed = true;
        rmSync(baseDir, { recursive: true, force: true });
        watchdog.watch(undefined);
        watchdog.release();
      }
      untrack(handle);
    },
  };
  track(handle);

  const spawnPostmaster = (): void => {
    const logFd = openSync(logFile, "a");
    exitInfo = undefined;
    const args = [
      "-D", dataDir,
      "-h", HOST,
      "-p", String(port),
      "-k", socketDir,
      // A disposable test server: durability is not needed, speed is.
      "-c", "fsync=off",
      "-c", "synchronous_commit=off",
      "-c", "full_page_writes=off",
      "-c", "max_connections=100",
    ];
    const started = spawn(binaries.postgres, args, { cwd: baseDir, env: serverEnv(), stdio: ["ignore", logFd, logFd], ...(runAs ?? {}) });
    closeSync(logFd);
    child = started;
    watchdog.watch(started.pid);
    exited = new Promise((resolve) => {
      started.once("exit", (code, signal) => {
        exitInfo = signal ? `killed by ${signal}` : `exit code ${code}`;
        watchdog.watch(undefined);
        resolve();
      });
      started.once("error", (error) => {
        exitInfo = `could not start: ${error.message}`;
        resolve();
      });
    });
    // A forgotten server must not keep the test process alive; the exit hook stops it.
    started.unref();
  };

  const waitUntilReady = async (): Promise<void> => {
    const deadline = Date.now() + readyTimeoutMs;
    let lastError: unknown;
    // Polling an external process until it answers: bounded attempts, short pauses.
    while (Date.now() < deadline) {
      if (exitInfo !== undefined) throw new Error(`postgres stopped while starting (${exitInfo}). Log:\n${logTail()}`);
      const client = new pg.Client({ host: HOST, port, user: SUPERUSER, database: "postgres", connectionTimeoutMillis: 1000 });
      client.on("error", () => {});
      try {
        await client.connect();
        await client.query("select 1");
        return;
      } catch (error) {
        lastError = error;
      } finally {
        await client.end().catch(() => {});
      }
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(`postgres did not accept connections on ${HOST}:${port} within ${readyTimeoutMs} ms (${(lastError as Error)?.message}). Log:\n${logTail()}`);
  };

  const isRunning = () => child !== undefined && exitInfo === undefined;

  const stopServer = async (): Promise<void> => {
    if (!isRunning()) return;
    await run(binaries.pgCtl, ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "30"], { runAs, cwd: baseDir, timeoutMs: 40_000 });
    // The child is unref'd; hold the event loop open until its exit is observed.
    child?.ref();
    await exited;
  };

  const startServer = async (): Promise<void> => {
    if (removed) throw new Error("this PostgreSQL server was stopped for good with stop()");
    if (isRunning()) return;
    spawnPostmaster();
    await waitUntilReady();
  };

  try {
    mkdirSync(dataDir, { mode: 0o700 });
    mkdirSync(socketDir, { mode: 0o700 });
    closeSync(openSync(logFile, "a"));
    if (runAs) for (const p of [dataDir, socketDir, logFile]) chownSync(p, runAs.uid, runAs.gid);
    // initdb's pid goes to the watchdog: were this process to die now, it interrupts initdb before deleting the dir.
    await run(binaries.initdb, ["-D", dataDir, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"], {
      runAs,
      cwd: baseDir,
      onSpawn: (pid) => watchdog.watch(pid),
    });
    watchdog.watch(undefined);
    // The port is only known free, not reserved: if another process takes it first, try another.
    for (let attempt = 1; ; attempt++) {
      port = await findFreePort();
      spawnPostmaster();
      try {
        await waitUntilReady();
        break;
      } catch (error) {
        const portTaken = /could not bind|address already in use/i.test(readLog());
        if (!portTaken || attempt >= 3) throw error;
        child?.ref();
        await exited;
      }
    }
  } catch (error) {
    handle.emergencyStop();
    throw error;
  }

  const url = (database = "postgres") => `postgres://${SUPERUSER}@${HOST}:${port}/${encodeURIComponent(database)}`;

  return {
    binaries,
    host: HOST,
    get port() {
      return port;
    },
    baseDir,
    dataDir,
    socketDir,
    url,
    get running() {
      return isRunning();
    },
    async createDatabase(name?: string): Promise<string> {
      const database = name ?? `auspex_test_${process.pid}_${++databaseCounter}`;
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`Invalid database name '${database}': use a-z, 0-9 and _`);
      const client = new pg.Client({ connectionString: url() });
      client.on("error", () => {});
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${database}" ENCODING 'UTF8' TEMPLATE template0`);
      } finally {
        await client.end();
      }
      return url(database);
    },
    stopServer,
    startServer,
    async stop(): Promise<void> {
      if (removed) return;
      try {
        await stopServer();
      } finally {
        handle.emergencyStop();
      }
    },
    log: readLog,
  };
}
