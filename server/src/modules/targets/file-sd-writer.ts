import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { FileSd } from "@auspex/shared/contracts/targets.ts";

/**
 * Keeps a file_sd JSON file current for an external Prometheus: each write goes to a temporary
 * file that is fsynced and renamed over the old one, so Prometheus never reads half a file.
 * Writes are serialised and coalesced: a burst of changes ends in one write of the latest list.
 */
export function createFileSdWriter(filePath: string) {
  let running: Promise<void> | null = null;
  let pending: (() => Promise<FileSd>) | null = null;

  async function writeAtomically(content: FileSd): Promise<void> {
    await mkdir(path.dirname(filePath), { recursive: true });
    const temp = `${filePath}.${process.pid}.tmp`;
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(`${JSON.stringify(content, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, filePath);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async function drain(): Promise<void> {
    while (pending) {
      const load = pending;
      pending = null;
      await writeAtomically(await load());
    }
  }

  return {
    /** Schedules a write of what `load` returns when the write starts; resolves once it is on disk. */
    refresh(load: () => Promise<FileSd>): Promise<void> {
      pending = load;
      running ??= drain().finally(() => {
        running = null;
      });
      return running;
    },
  };
}

export type FileSdWriter = ReturnType<typeof createFileSdWriter>;
