/**
 * Compaction (SPEC §8): copy the live content of a database into a new, packed file.
 *
 * The copy is of one consistent snapshot, seq S (the head when compaction starts):
 * - Format v2 (MVCC): S is pinned (`pinSeq`, so pruning keeps what a reader at S needs) and the
 *   tree is copied in bounded chunks, each one synchronous read of the newest commit resuming
 *   after the last key copied, with the event loop free between chunks (writers continue). What
 *   a chunk sees beyond S is filtered out: versions with seq > S in the versioned families
 *   (0x10–0x3F), timeline entries (0x40) with seq > S and snapshot tags (0x41) naming a seq > S.
 *   Versions ≤ S never change once written, so the result reads exactly like the source at S
 *   and at every earlier seq whose versions were not pruned meanwhile (a prune that runs during
 *   the copy may drop shadowed history below S from chunks not yet copied; reads at S and at
 *   pinned or tagged seqs are unaffected). Unversioned keys (raw user keys 0x00, engine meta
 *   0xF0, and a tag re-pointed during the copy) are copied as each chunk sees them: they have no
 *   history, so there is no "as of S" to honour.
 * - Format v1: no versions to filter, so the whole tree is copied in ONE synchronous read. That
 *   is consistent, but blocks the event loop for the copy (about the time of a full scan).
 * - Offline (`compactFile`): the only handle is ours, so both formats are copied in chunks.
 *
 * The destination inherits format version, MVCC flag, page size, max value bytes, reserve bytes,
 * embedding settings and encryption parameters; it gets a new file id, an empty freelist, and
 * commit seq/time = S's, so MVCC reads at S work and later commits continue the numbering. It is
 * written as `<dest>.compacting`, fsynced, renamed to `dest` and the directory fsynced; a stale
 * `<dest>-wal` is removed first (it would not pair with the new file). Cancellation (AbortSignal)
 * or any failure removes the partial file. The changelog is not carried over (SPEC §7).
 *
 * Encrypted sources: the destination keeps the source's encryption parameters (KDF, cost, salt:
 * the same key or passphrase opens it) with a key verifier for its new file id, and every page is
 * sealed for the new file id under the source's keys (src/storage/bulk-build.ts). The online
 * path uses the keys of the open store; compactFile takes credentials in its options.
 */
import { isThenable } from '../assert.js';
import { dirname, resolve } from 'node:path';
import { checkOptionsObject, hexxlaError, ioError, isHexxlaError } from '../errors.js';
import {
  decodeSnapshotTagKey, decodeTimelineKey, isVersionedFamily, keyFamilies, splitSeq,
} from '../engine/keys.js';
import { getSnapshotTag } from '../mvcc/snapshot-tags.js';
import { floorRowAtSeq } from '../mvcc/prune-floor.js';
import { BulkBuilder } from '../storage/bulk-build.js';
import type { BulkBuildResult } from '../storage/bulk-build.js';
import type { FileSystem, StorageFile } from '../storage/file.js';
import { nodeFileSystem } from '../storage/file.js';
import { lockDatabase } from '../storage/file-lock.js';
import type { FileLock } from '../storage/file-lock.js';
import { openStore } from '../storage/open-store.js';
import type { Store } from '../storage/store.js';
import type { EncryptionCredentials } from '../storage/crypto/credentials.js';
import type { StoreOptions } from '../storage/store-options.js';
import type { StoreReadTx } from '../storage/tx.js';
import { mergedCredentials } from './credentials.js';
import { estimateEntries } from './estimate.js';
// Cycle by design: swap.ts builds on compactStore; it is only called at run time.
import { swapCompacted } from './swap.js';
import {
  removeQuietly, removeStaleSidecars, renameFile, syncFile, syncParent, toHex,
} from './files.js';

/** What compaction reads: a Database satisfies it (`storage`, `pinSeq`). */
export interface CopySource {
  readonly storage: Store;
  /** Pins a seq against pruning for the copy; returns the unpin function. */
  pinSeq?(seq: bigint): () => void;
}

export interface CompactProgress {
  /** Tree entries read from the source so far (copied or skipped as newer than the snapshot). */
  entriesRead: number;
  /** Entries written to the destination so far. */
  entriesCopied: number;
  /** Estimated entries in the source (from its tree shape; a hint, not an exact total). */
  entriesEstimated: number;
  /** Bytes of destination pages written so far. */
  bytesWritten: number;
}

export interface CompactOptions {
  /** Cancels the copy: the partial destination is removed and `Cancelled` is thrown. */
  signal?: AbortSignal;
  /**
   * Called after every chunk (and once at the end). Must not throw; a rejection of an async one
   * fails the copy at the next chunk (the partial file is removed).
   */
  onProgress?: (progress: CompactProgress) => void;
  /** File system of the destination (default node:fs; compactFile also reads the source). */
  fs?: FileSystem;
  /** Entries per synchronous step of a chunked copy (default 4096). */
  chunkEntries?: number;
  /**
   * Awaited between chunks of a chunked copy (default: one event-loop turn). Use it to throttle
   * the copy (e.g. sleep to cap its I/O rate) or to let a caller's work finish between chunks.
   */
  pace?: () => Promise<void>;
  /**
   * compactDatabase only: replace the live files with the compacted ones atomically (SPEC §8;
   * src/ops/swap.ts). `dest` is then the temporary name of the copy (in the database directory)
   * and the result is a SwapResult whose `store` is open on the new files.
   */
  swap?: boolean;
}

/**
 * Options of the offline compaction: the source's credentials (`encryptionKey` or `passphrase`,
 * required for an encrypted source), how to open it, plus the copy options.
 */
export interface CompactFileOptions extends CompactOptions, EncryptionCredentials {
  /**
   * Options for opening the source (cache size; credentials may be given here instead of at the
   * top level, not in both places). `fs` and `create` are taken from the copy options.
   */
  open?: Omit<StoreOptions, 'fs' | 'create'>;
}

/** StoreOptions to open the source of an offline operation with `options`. */
export function sourceOpenOptions(options: CompactFileOptions): StoreOptions {
  return { ...options.open, ...mergedCredentials(options, options.open),
    fs: options.fs ?? nodeFileSystem, create: false };
}

export interface CompactResult {
  /** The destination path. */
  path: string;
  /** The snapshot copied: the destination's commit seq and time. */
  commitSeq: bigint;
  commitTimeMs: bigint;
  formatVersion: number;
  entries: number;
  /** Entries the chunks saw that were newer than the snapshot and left out. */
  entriesSkipped: number;
  pageCount: number;
  /** Destination size in bytes, and the source's primary size when the copy started. */
  bytes: number;
  sourceBytes: number;
  /** The destination's new file id (hex); a backup calls it the pair id. */
  fileId: string;
}

/** Default entries per chunk: ~4k entries is ~1–3 ms of work, short enough for writers. */
export const compactChunkEntriesDefault = 4096;

type Keep = (tx: StoreReadTx, key: Uint8Array) => boolean;

/**
 * Compacts the open database `source` into a new file at `dest` while writers continue (see the
 * module comment for the consistency rules). With `swap`, replaces the live files instead
 * (src/ops/swap.ts) and resolves with a SwapResult. Throws PreconditionFailed when `dest` exists
 * or is the source, Cancelled, DatabaseClosed, IoError, DiskFull.
 */
export async function compactDatabase(source: CopySource, dest: string,
  options: CompactOptions = {}): Promise<CompactResult> {
  const store = source.storage;
  if (options.swap === true) {
    const { fs: _fs, swap: _swap, ...rest } = options;
    return swapCompacted(store, { ...rest, tempPath: dest });
  }
  const chunked = store.identity.formatVersion >= 2;
  return compactStore(store, dest, options, { chunked, pin: (seq) => source.pinSeq?.(seq) });
}

/**
 * Compacts the closed database at `src` into `dest` (offline): opens it (recovering its log),
 * copies in chunks, closes it. Same errors as compactDatabase, plus NotFound for a missing source,
 * EncryptionKeyMismatch for missing or wrong credentials of an encrypted source, InvalidArgument
 * for credentials given to a plain one.
 */
export async function compactFile(src: string, dest: string,
  options: CompactFileOptions = {}): Promise<CompactResult> {
  checkOptionsObject(options, 'compaction options');
  checkDestination(src, dest);
  const store = await openStore(src, sourceOpenOptions(options));
  try {
    return await compactStore(store, dest, options, { chunked: true, pin: () => undefined });
  } finally {
    await store.close();
  }
}

function checkDestination(src: string, dest: string): void {
  if (typeof dest !== 'string' || dest.length === 0) {
    throw hexxlaError('InvalidArgument', 'the destination path must be a non-empty string');
  }
  if (resolve(src) === resolve(dest)) {
    throw hexxlaError('PreconditionFailed', 'the destination is the source database',
      { path: dest });
  }
}

function throwIfAborted(signal: AbortSignal | undefined, dest: string): void {
  if (signal?.aborted === true) {
    throw hexxlaError('Cancelled', 'compaction was cancelled; the partial file was removed',
      { path: dest });
  }
}

/** How compactStore reads: in chunks or in one view, and how it pins the snapshot's seq. */
export interface CompactMode {
  chunked: boolean;
  pin: (seq: bigint) => (() => void) | undefined;
}

/**
 * The copy shared by the online and offline paths (and backups): compacts `store` into `dest`.
 * `mode.chunked` false copies in one synchronous read (v1 online); true in chunks, which is
 * consistent only for MVCC (with filtering) or when no one else writes (offline).
 */
export async function compactStore(store: Store, dest: string, options: CompactOptions,
  mode: CompactMode): Promise<CompactResult> {
  const { chunked, pin } = mode;
  const fs = options.fs ?? nodeFileSystem;
  checkDestination(store.path, dest);
  throwIfAborted(options.signal, dest);
  if (fs.exists(dest)) {
    throw hexxlaError('PreconditionFailed', 'the destination already exists', { path: dest });
  }
  const chunkEntries = options.chunkEntries ?? compactChunkEntriesDefault;
  if (!Number.isSafeInteger(chunkEntries) || chunkEntries < 1) {
    throw hexxlaError('InvalidArgument', 'chunkEntries must be a positive integer');
  }
  // Seq, time and the source size are read in one synchronous step: they describe one commit.
  const commitSeq = store.commitSeq;
  const commitTimeMs = store.commitTimeMs;
  const sourceBytes = store.stats().pageCount * store.pageSize;
  const mvcc = store.identity.formatVersion >= 2;
  const unpin = mvcc ? pin(commitSeq) : undefined;
  const tmp = `${dest}.compacting`;
  let file: StorageFile | null = null;
  let lock: FileLock | null = null;
  let created = false; // the temporary file is ours to remove (not another copy's)
  try {
    // No one may open (create) the destination while its file is being built and published.
    // Taken before the temporary file: a second copy to the same destination must be refused
    // here, before createTemp would unlink the first one's temporary file under it.
    lock = lockDatabase(fs, dest);
    file = createTemp(fs, tmp);
    created = true;
    // An encrypted source's keys seal the copy (null for a plain one; the builder checks).
    const builder = new BulkBuilder(file, store.identity, store.encryptionKeys);
    const keep = mvcc ? keepAtSeq(commitSeq) : () => true;
    const rewrite = mvcc ? (key: Uint8Array, value: Uint8Array): Uint8Array =>
      floorRowAtSeq(key, value, commitSeq) : undefined;
    const copy = new ChunkCopy(store, builder, keep, options, chunkEntries, rewrite);
    const skipped = await copy.run(chunked, dest);
    const built = builder.finish({ commitSeq, commitTimeMs });
    await syncFile(file);
    file.close();
    file = null;
    throwIfAborted(options.signal, dest);
    await publish(fs, tmp, dest);
    return resultOf(dest, store, built, { commitSeq, commitTimeMs, sourceBytes, skipped });
  } catch (err) {
    file?.close();
    if (created) removeQuietly(fs, tmp);
    if (options.signal?.aborted === true && !isHexxlaError(err, 'Cancelled')) {
      throw hexxlaError('Cancelled', 'compaction was cancelled; the partial file was removed',
        { path: dest }, err);
    }
    throw err;
  } finally {
    lock?.release();
    unpin?.();
  }
}

function createTemp(fs: FileSystem, tmp: string): StorageFile {
  try {
    fs.mkdirp(dirname(tmp));
    removeQuietly(fs, tmp);
    return fs.open(tmp, { create: true });
  } catch (err) {
    throw ioError('create', tmp, err);
  }
}

/**
 * Renames the synced temp file into place. A `<dest>-wal` or `<dest>-changelog` left by an
 * earlier database of that name is removed durably first: paired with the new file it would
 * make open fail (the compacted database starts a fresh changelog, SPEC §7). The destination's
 * lock is held, so no database is open there.
 */
async function publish(fs: FileSystem, tmp: string, dest: string): Promise<void> {
  if (fs.exists(dest)) {
    throw hexxlaError('PreconditionFailed', 'the destination appeared during compaction',
      { path: dest });
  }
  await removeStaleSidecars(fs, dest);
  renameFile(fs, tmp, dest);
  await syncParent(fs, dest);
}

interface SnapshotFacts {
  commitSeq: bigint;
  commitTimeMs: bigint;
  sourceBytes: number;
  skipped: number;
}

function resultOf(dest: string, store: Store, built: BulkBuildResult,
  facts: SnapshotFacts): CompactResult {
  return {
    path: dest, commitSeq: facts.commitSeq, commitTimeMs: facts.commitTimeMs,
    formatVersion: store.identity.formatVersion, entries: built.entries,
    entriesSkipped: facts.skipped, pageCount: built.pageCount, bytes: built.bytes,
    sourceBytes: facts.sourceBytes, fileId: toHex(built.fileId),
  };
}

/** The MVCC filter: keep what a reader at `seq` can see or needs (module comment). */
export function keepAtSeq(seq: bigint): Keep {
  return (tx, key) => {
    const family = key[0] ?? 0;
    if (isVersionedFamily(family)) return splitSeq(key).seq <= seq;
    if (family === keyFamilies.timeline) return decodeTimelineKey(key).seq <= seq;
    if (family === keyFamilies.snapshotTag) {
      // The tag's value encoding belongs to mvcc/snapshot-tags.ts: ask it for the seq.
      const tagged = getSnapshotTag(tx, decodeSnapshotTagKey(key));
      return tagged !== undefined && tagged <= seq;
    }
    return true;
  };
}

/** The smallest key after `key`: `key ‖ 0x00`. */
function successor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}

/** Copies the tree into the builder, in one read or in chunks. */
class ChunkCopy {
  private after: Uint8Array | null = null;
  private read = 0;
  private skipped = 0;
  private estimated = 0;
  /** The first rejection of an async onProgress: it fails the copy at the next chunk. */
  private progressFailure: { err: unknown } | null = null;

  constructor(
    private readonly store: Store,
    private readonly builder: BulkBuilder,
    private readonly keep: Keep,
    private readonly options: CompactOptions,
    private readonly chunkEntries: number,
    /** Rewrites a kept row's value (the prune floor of an MVCC copy: floorRowAtSeq). */
    private readonly rewrite?: (key: Uint8Array, value: Uint8Array) => Uint8Array,
  ) {}

  /** Runs the copy; returns the number of entries skipped. */
  async run(chunked: boolean, dest: string): Promise<number> {
    for (;;) {
      throwIfAborted(this.options.signal, dest);
      const done = this.store.view((tx) => {
        if (this.read === 0) this.estimated = estimateEntries(tx);
        return this.step(tx, chunked ? this.chunkEntries : Infinity);
      });
      if (done) break;
      await (this.options.pace?.() ?? new Promise(setImmediate));
      if (this.progressFailure !== null) throw this.progressFailure.err;
    }
    this.estimated = this.read;
    // The last report is awaited: an async callback's rejection fails the copy here too.
    await this.report();
    if (this.progressFailure !== null) throw this.progressFailure.err;
    return this.skipped;
  }

  /** Copies up to `limit` entries after the last one; true when the tree is exhausted. */
  private step(tx: StoreReadTx, limit: number): boolean {
    const start = this.after === null ? undefined : successor(this.after);
    let n = 0;
    for (const [key, value] of tx.range(start === undefined ? {} : { start })) {
      this.after = key;
      if (this.keep(tx, key)) this.builder.add(key, this.rewrite?.(key, value) ?? value);
      else this.skipped++;
      this.read++;
      if (this.read % this.chunkEntries === 0) this.report();
      if (++n >= limit) return false;
    }
    return true;
  }

  /** Reports progress; returns the callback's promise (settled, never rejecting) if async. */
  private report(): Promise<void> | undefined {
    const reported: unknown = this.options.onProgress?.({
      entriesRead: this.read, entriesCopied: this.builder.entries,
      entriesEstimated: Math.max(this.estimated, this.read),
      bytesWritten: this.builder.bytesWritten,
    });
    // An async callback's rejection, unhandled, would crash the process: it fails the copy.
    if (isThenable(reported)) {
      return Promise.resolve(reported as PromiseLike<unknown>).then(() => undefined,
        (err: unknown) => {
          this.progressFailure ??= { err };
        });
    }
    return undefined;
  }
}
