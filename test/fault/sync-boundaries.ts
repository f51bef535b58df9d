/**
 * Simulated power loss at every sync boundary of a workload, on FaultyFileSystem.
 *
 * `forEachSyncBoundary` runs the workload once to count its syncs (file and directory), then for
 * each boundary i re-runs it on a fresh file system armed with `crashAtSync(i)`, crashes the frozen
 * file system and hands the post-crash image to `check`. The workload must be deterministic (same
 * operations in the same order on every run, e.g. seeded); a run that never reaches its boundary
 * is reported as an error. A workload that waits forever on something other than the file system
 * after the freeze will hang the case: every file-system call throws once frozen.
 */
import type { CrashOptions, FaultyFileSystem } from './faulty-fs.js';
import { FaultyFileSystem as FaultyFs } from './faulty-fs.js';

/** One crash case. */
export interface SyncBoundaryCase {
  /** The boundary: frozen after the index-th sync completed ('after'; 0 = before any sync), or as
   *  the index-th sync was called ('before'). Syncs of `setup` are not counted. */
  readonly index: number;
  readonly when: 'after' | 'before';
  /** Syncs of one uninterrupted run of the workload. */
  readonly syncCount: number;
  /** True when the workload returned normally (possible only at the last 'after' boundary). */
  readonly workloadCompleted: boolean;
  /** The crash options used to build the image. */
  readonly crash: CrashOptions;
}

/** What to run and check. */
export interface SyncBoundaryOptions {
  /** Seed of every FaultyFileSystem made (default 1). */
  seed?: number;
  /** Runs first on each fresh file system; call `fs.flushAll()` in it to make its state durable. */
  setup?: (fs: FaultyFileSystem) => void | Promise<void>;
  /** The workload; it may throw once the file system froze (its errors are then ignored). */
  workload: (fs: FaultyFileSystem) => Promise<void>;
  /** Checks the post-crash image (e.g. reopen the database and compare with the model). */
  check: (image: FaultyFileSystem, boundary: SyncBoundaryCase) => void | Promise<void>;
  /** Boundaries to cut at (default 'after'). */
  when?: 'after' | 'before' | 'both';
  /** Crash options, fixed or per case (default { mode: 'drop' }). */
  crash?: CrashOptions | ((index: number, when: 'after' | 'before') => CrashOptions);
}

async function freshFs(options: SyncBoundaryOptions): Promise<FaultyFileSystem> {
  const fs = new FaultyFs({ seed: options.seed ?? 1 });
  await options.setup?.(fs);
  return fs;
}

async function runCase(
  options: SyncBoundaryOptions,
  boundary: { index: number; when: 'after' | 'before'; syncCount: number },
): Promise<void> {
  const fs = await freshFs(options);
  fs.crashAtSync(boundary.index, { when: boundary.when });
  let workloadCompleted = true;
  try {
    await options.workload(fs);
  } catch (err) {
    if (fs.state === 'live') throw err;
    workloadCompleted = false;
  }
  if (fs.state === 'live') {
    throw new Error(
      `sync boundary ${boundary.when} ${boundary.index} of ${boundary.syncCount} not reached: ` +
        'is the workload deterministic?',
    );
  }
  const { crash } = options;
  const crashOptions =
    typeof crash === 'function' ? crash(boundary.index, boundary.when) : (crash ?? {});
  const image = fs.crash(crashOptions);
  await options.check(image, { ...boundary, workloadCompleted, crash: crashOptions });
}

/**
 * Crashes the workload at each of its sync boundaries in turn and checks each image. Returns
 * the workload's sync count and the number of cases checked. Throws the first failing check.
 */
export async function forEachSyncBoundary(
  options: SyncBoundaryOptions,
): Promise<{ syncCount: number; cases: number }> {
  const probe = await freshFs(options);
  const base = probe.syncCount;
  await options.workload(probe);
  const syncCount = probe.syncCount - base;
  const when = options.when ?? 'after';
  let cases = 0;
  if (when !== 'before') {
    for (let index = 0; index <= syncCount; index++, cases++) {
      await runCase(options, { index, when: 'after', syncCount });
    }
  }
  if (when !== 'after') {
    for (let index = 1; index <= syncCount; index++, cases++) {
      await runCase(options, { index, when: 'before', syncCount });
    }
  }
  return { syncCount, cases };
}
