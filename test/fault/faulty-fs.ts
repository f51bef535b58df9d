/**
 * A fault-injecting `FileSystem` (src/storage/file.ts) modelling a disk with a volatile write
 * cache, for durability tests (ARCHITECTURE §1, §3).
 *
 * Data: every file has durable bytes and current bytes (see faulty-inode.ts). Writes and truncates
 * change only the current bytes until `sync()` of that file completes; the sync commits exactly the
 * operations issued before it was called and resolves on a later macrotask (setImmediate), so
 * commits issued meanwhile really queue behind it. A failed sync loses the writes it covered.
 *
 * Names: creations, renames, removals and mkdirs become durable only through `syncDirectory` of
 * the directory they change (rules in namespace-log.ts). A file created and never dir-synced
 * vanishes on a 'drop' crash even if its data was synced; an un-synced rename is undone.
 *
 * Crash: `crash(options)` simulates power loss and returns a NEW FaultyFileSystem holding the
 * post-crash state (everything in it durable); the old instance and all its handles are dead and
 * every call on them throws Error('crashed') with code 'EIO'. `crashAtSync(n)` freezes the file
 * system at the n-th sync boundary from now, so a workload can be cut at each of its syncs in turn
 * (see sync-boundaries.ts). Decisions are drawn from a seeded Prng: same seed, same image. 'torn'
 * cuts each file's unsynced operations independently (files sorted by path, one Prng).
 *
 * Faults: failNextSync, setDiskLimitBytes (ENOSPC), failWritesAfter (EIO), flipBit, corruptRange.
 * Space accounting is by logical file size (an extending truncate consumes space, unlike a sparse
 * file on ext4).
 */
import type { FileSystem, OpenOptions, StorageFile } from '../../src/storage/file.js';
import { LockTable } from '../../src/storage/file-lock.js';
import type { FileLock } from '../../src/storage/file-lock.js';
import type { FaultyState, FaultyTotals, SyncEvent } from './faulty-core.js';
import { FaultyCore, FaultyFile } from './faulty-core.js';
import type { CrashMode, FaultyInode, FileCounters } from './faulty-inode.js';
import { fsError } from './fs-errors.js';
import { normalizePath } from './namespace.js';
import { createOp, mkdirOp, removeOp, renameOp, selectForCrash } from './namespace-log.js';
import { Prng } from './prng.js';

export type { FaultyState, FaultyTotals, SyncEvent } from './faulty-core.js';
export type { CrashMode } from './faulty-inode.js';

/** Construction options. */
export interface FaultyFileSystemOptions {
  /** Default seed of `crash()` decisions (default 1). Crash images inherit it. */
  seed?: number;
}

/** Options of a simulated power loss. */
export interface CrashOptions {
  /** What survives of unsynced writes and directory changes (default 'drop'). */
  mode?: CrashMode;
  /** Seed of the random choices (default: the file system's seed). */
  seed?: number;
  /** Where 'torn' may cut a write: at sector boundaries (default) or at any byte. */
  tear?: 'sector' | 'byte';
  /** Sector size for tearing (default 512). */
  sectorBytes?: number;
}

/** Where `crashAtSync` freezes. */
export interface CrashAtSyncOptions {
  /**
   * 'after' (default): once the n-th sync has completed (its data is durable, it resolves), every
   * later call throws. 'before': when the n-th sync is called; it rejects and makes nothing
   * durable, so the writes it would have covered are still unsynced for a 'torn' crash.
   */
  when?: 'after' | 'before';
}

/** What a write that would exceed the disk limit does before throwing ENOSPC. */
export interface DiskLimitOptions {
  /** 'write-nothing' (default) or 'write-prefix' (the bytes that fit, like a short write). */
  onExceed?: 'write-nothing' | 'write-prefix';
}

/** Counters of one file, plus the number of its operations not yet durable. */
export interface FaultyFileStats extends FileCounters {
  pendingOps: number;
}

/** The fault-injecting file system. One instance per simulated machine boot. */
export class FaultyFileSystem implements FileSystem {
  /** Default seed of `crash()`. */
  readonly seed: number;
  private readonly core = new FaultyCore();
  private readonly locks = new LockTable();

  /** The database lock, held in this instance (a crash image starts with none held). */
  lock(lockPath: string): FileLock {
    return this.locks.lock(normalizePath(lockPath));
  }

  /** Drops every database lock, as if the processes holding them had died (handles abandoned). */
  dropLocks(): void {
    this.locks.clear();
  }

  constructor(options: FaultyFileSystemOptions = {}) {
    this.seed = options.seed ?? 1;
  }

  // ---- FileSystem -------------------------------------------------------------------------------

  /** Opens a file; a creation is not durable until its directory is synced. ENOENT / EISDIR. */
  open(filePath: string, options: OpenOptions = {}): StorageFile {
    const core = this.core;
    core.checkLive();
    const key = normalizePath(filePath);
    let inode = core.current.files.get(key);
    if (inode === undefined) {
      if (core.current.dirs.has(key)) throw fsError('EISDIR', 'open', key);
      if (options.create !== true) throw fsError('ENOENT', 'open', key);
      core.current.checkParent(key, 'open');
      inode = core.newInode();
      core.current.createFile(key, inode, 'open');
      core.record(createOp(++core.seq, key, inode, inode.id));
    }
    return new FaultyFile(filePath, key, core, inode);
  }

  /** True for an existing file or directory (current view). */
  exists(filePath: string): boolean {
    this.core.checkLive();
    return this.core.current.has(normalizePath(filePath));
  }

  /** POSIX rename of a file; durable after syncDirectory of both directories' changes. */
  rename(fromPath: string, toPath: string): void {
    const core = this.core;
    core.checkLive();
    const source = normalizePath(fromPath);
    const target = normalizePath(toPath);
    if (source === target) {
      core.current.getFile(source, 'rename');
      return;
    }
    const inode = core.current.renameFile(source, target);
    core.record(renameOp(++core.seq, { source, target }, inode, inode.id));
  }

  /** Removes a file (no-op when absent); undone by a crash before syncDirectory. */
  remove(filePath: string): void {
    const core = this.core;
    core.checkLive();
    const key = normalizePath(filePath);
    if (core.current.removeFile(key) !== undefined) core.record(removeOp(++core.seq, key));
  }

  /** Creates a directory and its parents; each creation is a change of its parent directory. */
  mkdirp(dirPath: string): void {
    const core = this.core;
    core.checkLive();
    for (const dir of core.current.mkdirp(normalizePath(dirPath))) {
      core.record(mkdirOp(++core.seq, dir));
    }
  }

  /** Sorted entry names (current view). ENOENT / ENOTDIR. */
  list(dirPath: string): string[] {
    this.core.checkLive();
    return this.core.current.list(normalizePath(dirPath));
  }

  /** Commits the directory's pending entry changes (and what they depend on). ENOENT / EIO. */
  async syncDirectory(dirPath: string): Promise<void> {
    await this.core.syncDirectory(normalizePath(dirPath));
  }

  // ---- inspection -------------------------------------------------------------------------------

  /** 'live', 'frozen' (a crashAtSync trigger fired) or 'crashed' (crash() was called). */
  get state(): FaultyState {
    return this.core.state;
  }

  /** Number of sync calls (file and directory) so far; the boundary count of a workload. */
  get syncCount(): number {
    return this.core.syncCalls;
  }

  /** Completed syncs in completion order (a copy). */
  syncLog(): SyncEvent[] {
    return [...this.core.syncLog];
  }

  /**
   * Calls `listener` after each sync completes (before a crashAtSync 'after' freeze takes effect).
   * Returns a function that unsubscribes it.
   */
  onSync(listener: (event: SyncEvent) => void): () => void {
    this.core.listeners.add(listener);
    return () => void this.core.listeners.delete(listener);
  }

  /** Counters of the file at `filePath` (follows renames: they are per inode). ENOENT. */
  stats(filePath: string): FaultyFileStats {
    const inode = this.core.current.getFile(normalizePath(filePath), 'stat');
    return { ...inode.counters, pendingOps: inode.pendingCount };
  }

  /** Counters over the instance (a copy). */
  totals(): FaultyTotals {
    return { ...this.core.totals };
  }

  /** Bytes in use: sizes of linked files and of unlinked files still open. */
  diskUsageBytes(): number {
    return this.core.usageBytes();
  }

  /** Current content of a file (what reads see), as a copy. Works in any state. ENOENT. */
  readFile(filePath: string): Uint8Array {
    return this.core.current.getFile(normalizePath(filePath), 'open').current.toBytes();
  }

  /** Durable content under the durable name (undefined when the name is not durable). */
  readDurable(filePath: string): Uint8Array | undefined {
    return this.core.durable.files.get(normalizePath(filePath))?.durable.toBytes();
  }

  /** Test setup helper: makes every pending write and directory change durable at once. */
  flushAll(): void {
    this.core.checkLive();
    this.core.flushAll();
  }

  // ---- faults -----------------------------------------------------------------------------------

  /**
   * The next sync of `filePath` (file or directory), or of anything when omitted, rejects with EIO
   * once. A failed file sync loses the writes it covered: they stay readable until a crash but
   * never become durable (fsyncgate). Calls queue: arming twice fails two syncs.
   */
  failNextSync(filePath?: string): void {
    this.core.syncFailures.push(filePath === undefined ? undefined : normalizePath(filePath));
  }

  /**
   * Limits the total bytes of all files to `limitBytes` (null: unlimited). A write or truncate that
   * would grow usage beyond it throws ENOSPC; overwrites inside a file never do. With
   * `onExceed: 'write-prefix'` a write first stores the bytes that fit.
   */
  setDiskLimitBytes(limitBytes: number | null, options: DiskLimitOptions = {}): void {
    if (limitBytes === null) {
      this.core.diskLimit = null;
      return;
    }
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) {
      throw new RangeError(`setDiskLimitBytes: bad limit ${limitBytes}`);
    }
    this.core.diskLimit = { bytes: limitBytes, prefix: options.onExceed === 'write-prefix' };
  }

  /** The next `count` non-empty writes succeed, then every write throws EIO (null: disarm). */
  failWritesAfter(count: number | null): void {
    if (count !== null && (!Number.isSafeInteger(count) || count < 0)) {
      throw new RangeError(`failWritesAfter: bad count ${count}`);
    }
    this.core.writeBudget = count;
  }

  /**
   * Flips bit `bit` (0-7) of byte `byteOffset` in durable and current data (and in unsynced writes
   * covering it). RangeError when the offset is beyond both contents.
   */
  flipBit(filePath: string, byteOffset: number, bit: number): void {
    if (!Number.isInteger(bit) || bit < 0 || bit > 7) {
      throw new RangeError(`flipBit: bad bit ${bit}`);
    }
    const inode = this.inodeForFault(filePath);
    if (!inode.mutateByte(byteOffset, (old) => old ^ (1 << bit))) {
      throw new RangeError(`flipBit: offset ${byteOffset} is beyond ${filePath}`);
    }
  }

  /**
   * Overwrites `length` bytes from `offset` with seeded random bytes, in durable and current data
   * (bytes beyond a content's end are skipped). A random byte may equal the old one.
   */
  corruptRange(filePath: string, offset: number, length: number, seed: number): void {
    const inode = this.inodeForFault(filePath);
    const noise = new Prng(seed).bytes(length);
    noise.forEach((value, i) => inode.mutateByte(offset + i, () => value));
  }

  private inodeForFault(filePath: string): FaultyInode {
    this.core.checkLive();
    return this.core.current.getFile(normalizePath(filePath), 'open');
  }

  // ---- crash ------------------------------------------------------------------------------------

  /**
   * Arms a freeze at the `count`-th sync call from now (file and directory syncs both count; see
   * CrashAtSyncOptions). `count` 0 freezes at once ('after' only). When frozen every call throws
   * Error('crashed') code 'EIO'; call `crash()` for the post-crash image.
   */
  crashAtSync(count: number, options: CrashAtSyncOptions = {}): void {
    const when = options.when ?? 'after';
    const min = when === 'before' ? 1 : 0;
    if (!Number.isSafeInteger(count) || count < min) {
      throw new RangeError(`crashAtSync: bad count ${count} for '${when}'`);
    }
    this.core.checkLive();
    if (count === 0) this.core.state = 'frozen';
    else this.core.crashTarget = { index: this.core.syncCalls + count, when };
  }

  /**
   * Simulates power loss now (live or frozen). Returns a new FaultyFileSystem whose files are
   * the surviving names (durable names plus the surviving directory changes) with durable content
   * plus the surviving unsynced operations, all durable. This instance and its handles are dead
   * afterwards. Throws if already crashed.
   */
  crash(options: CrashOptions = {}): FaultyFileSystem {
    if (this.core.state === 'crashed') throw new Error('FaultyFileSystem.crash: already crashed');
    this.core.state = 'crashed';
    const mode = options.mode ?? 'drop';
    const rng = new Prng(options.seed ?? this.seed);
    const tear = { tear: options.tear ?? 'sector', sectorBytes: options.sectorBytes ?? 512 };
    const tree = this.core.durable.clone();
    for (const op of selectForCrash(this.core.namespacePending, mode, rng)) op.apply(tree);
    const image = new FaultyFileSystem({ seed: this.seed });
    const renewed = new Map<FaultyInode, FaultyInode>();
    const entries = [...tree.files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, old] of entries) {
      let inode = renewed.get(old);
      if (inode === undefined) {
        inode = image.core.newInode(old.crashContent(mode, rng, tear));
        renewed.set(old, inode);
      }
      image.core.current.files.set(key, inode);
      image.core.durable.files.set(key, inode);
    }
    for (const dir of tree.dirs) {
      image.core.current.dirs.add(dir);
      image.core.durable.dirs.add(dir);
    }
    return image;
  }
}
