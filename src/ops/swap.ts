/**
 * Live swap (SPEC §8, "beyond the original"): compact an open database and replace its files
 * with the compacted ones atomically, without the operator closing, renaming and reopening.
 *
 * Steps, all under the store's exclusive gate (Store.exclusive: in-flight commits finish first,
 * new updates wait, reads continue):
 * 1. compact into `<primary>.swap` (compactStore: `.compacting`, fsync, rename, directory fsync).
 *    No commit can happen, so the copy is consistent for v1 and v2 alike and no delta is needed;
 * 2. checkpoint: the old primary now holds every commit by itself, its log has no frames;
 * 3. remove `<primary>-wal` (and `<primary>-changelog`, see below), fsync the directory;
 * 4. rename `<primary>.swap` over `<primary>`, fsync the directory;
 * 5. open a Store on the new primary: it creates a fresh log paired with the new file id;
 * 6. retire the old Store: it closes its handles and forwards every later call (writers that
 *    waited at the gate commit on the new files) to the new one.
 *
 * Crash safety: at every instant the primary path opens to the old or the new database, with
 * the same content. Until step 3 is durable: old primary + its (checkpointed) log. Between 3 and
 * 4: old primary alone (open creates an empty log). After 4: new primary alone, or with the fresh
 * log of step 5. The old log never meets the new primary: it is removed, durably, before the
 * rename (recovery would refuse it: CorruptDatabase, file ids differ). This is the order key
 * rotation uses (src/storage/crypto/rotate.ts).
 *
 * The changelog sidecar is bound to the primary's file id (src/changelog): it would be refused
 * next to the new primary, and SPEC §7 says compaction does not carry it over. It is removed with
 * the log in step 3, so both outcomes of a crash have no changelog and start a fresh one.
 *
 * Failures: before step 3 nothing changed (the temporary file is removed). From step 3 on the old
 * store's log is unlinked, so it refuses writes (DatabasePoisoned) and must be reopened; the
 * files on disk are consistent (see above). A backup lease held refuses the swap up front
 * (PreconditionFailed): the swap rewrites the primary.
 */
import { dirname, resolve } from 'node:path';
import { hexxlaError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { openStore } from '../storage/open-store.js';
import type { Store } from '../storage/store.js';
import { compactStore } from './compact.js';
import type { CompactOptions, CompactResult } from './compact.js';
import { removeQuietly, renameFile, syncParent } from './files.js';
import type { FileSystem } from '../storage/file.js';

export interface SwapOptions extends Omit<CompactOptions, 'fs' | 'swap'> {
  /**
   * Name of the compacted file before it replaces the primary (default `<primary>.swap`; a stale
   * one left by a crash is removed). Must be in the primary's directory: only a rename inside
   * one directory is atomic.
   */
  tempPath?: string;
}

/**
 * Run under the gate around the file replacement: `beforeFiles` just before the old files go
 * (e.g. close the changelog, which the swap removes), `afterReopen` once the new store is open
 * (e.g. start a fresh changelog), so no waiting writer commits between the two.
 */
export interface SwapHooks {
  beforeFiles?: () => void;
  afterReopen?: (next: Store) => Promise<void>;
}

/** A compaction result whose file replaced the live one; `store` is open on the new files. */
export interface SwapResult extends CompactResult {
  store: Store;
}

/**
 * Compacts `store` and swaps the result in (see the module comment). Resolves with the new
 * Store; the old one is retired (forwards to the new one). Throws PreconditionFailed (backup
 * lease held, temp path exists), InvalidArgument (temp path in another directory), Cancelled,
 * DatabaseClosed, DatabasePoisoned, IoError, DiskFull.
 */
export async function swapCompacted(store: Store, options: SwapOptions = {},
  hooks: SwapHooks = {}): Promise<SwapResult> {
  const fs = store.reopenOptions().fs!;
  const tmp = options.tempPath ?? `${store.path}.swap`;
  if (resolve(dirname(tmp)) !== resolve(dirname(store.path))) {
    throw hexxlaError('InvalidArgument', 'the swap file must be in the database directory',
      { path: tmp });
  }
  return store.exclusive(async () => {
    refuseReplaced(store);
    refuseLeases(store);
    if (options.tempPath === undefined && fs.exists(tmp)) {
      removeQuietly(fs, tmp); // our own name: garbage of a swap that crashed before step 4
      await syncParent(fs, tmp);
    }
    const copy = await compactStore(store, tmp, { ...options, fs },
      { chunked: true, pin: () => undefined });
    try {
      refuseLeases(store);
      await store.checkpoint();
    } catch (err) {
      removeQuietly(fs, tmp);
      throw err;
    }
    hooks.beforeFiles?.();
    const next = await replaceFiles(store, fs, tmp);
    store.retire(next);
    await hooks.afterReopen?.(next);
    return { ...copy, path: store.path, store: next };
  });
}

/**
 * Refuses to work on a store that another swap or rotation replaced while this call waited for
 * the gate: Store.exclusive then runs the callback under the successor's gate, but the callback
 * still holds the retired store (whose files are gone). Database queues its replacements, so
 * this guards only direct callers.
 */
export function refuseReplaced(store: Store): void {
  if (store.replacedBy !== null) {
    throw hexxlaError('PreconditionFailed', 'the database files were replaced (a swap or ' +
      'rotation) while this call waited: run it again', { path: store.path });
  }
}

export function refuseLeases(store: Store): void {
  if (store.backupLeases > 0) {
    throw hexxlaError('PreconditionFailed', 'a backup lease is held: the swap would replace ' +
      'the primary it protects', { path: store.path, leases: store.backupLeases });
  }
}

/** Steps 3–5 of the module comment. */
async function replaceFiles(store: Store, fs: FileSystem, tmp: string): Promise<Store> {
  const sidecars = [`${store.path}-wal`, `${store.path}-changelog`];
  let removed = false;
  try {
    // failpoint: swap-before-log-removal
    failpoint('swap-before-log-removal');
    for (const p of sidecars) {
      if (!fs.exists(p)) continue;
      removed = true;
      fs.remove(p);
    }
    await syncParent(fs, store.path);
    // failpoint: swap-before-rename (old primary alone on disk)
    failpoint('swap-before-rename');
    renameFile(fs, tmp, store.path);
    await syncParent(fs, store.path);
    // failpoint: swap-before-reopen (new primary alone on disk)
    failpoint('swap-before-reopen');
    return await openStore(store.path, store.reopenOptions(), store.lock);
  } catch (err) {
    if (removed) {
      store.poisonWith('a live swap failed after it removed the write-ahead log; reopen the ' +
        'database (it opens to the old or the new file, both complete)', err);
    }
    if (fs.exists(tmp)) removeQuietly(fs, tmp);
    throw err;
  }
}
