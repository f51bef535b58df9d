/**
 * Appends commits to the WAL and makes them durable with group commit.
 *
 * A commit's frames are built synchronously at commit time (offsets and frame indexes assigned in
 * commit order) and queued. One batch is in flight at a time: the queued commits are written with
 * one write call, then one fsync covers them all. Commits that arrive during that fsync wait for
 * the next batch, so concurrent committers share fsyncs. A batch is written only after the
 * previous batch's fsync completed: that is what lets recovery use `syncedThrough` to tell a torn
 * tail from damaged synced data.
 *
 * Failure policy (ARCHITECTURE §3): a failed write (ENOSPC, EIO) fails the batch and every
 * commit queued behind it (they were built on it), lets the store roll back to the durable state
 * at once, and truncates the log back to the last durable byte; the database stays usable. The
 * failed commits are rejected only once that truncation is fsynced: a short write may have left
 * whole commits of the batch in the file, and a caller told "DiskFull" must never see them come
 * back after a power loss. If the truncation cannot be made durable their outcome is unknown:
 * they are rejected with DatabasePoisoned. A failed fsync is not retryable: the writer is
 * poisoned and every later commit fails until reopen.
 */
import { randomInt } from 'node:crypto';
import { hexxlaError, ioError } from '../../errors.js';
import type { HexxlaError } from '../../errors.js';
import { failpoint } from '../../failpoints.js';
import { nonceBytes, sealOverheadBytes } from '../crypto/seal.js';
import type { FrameCipher } from '../crypto/seal.js';
import type { StorageFile } from '../file.js';
import type { CommitState } from '../header.js';
import {
  commitPayloadBytes, encodeCommitPayload, encodeWalHeader, finishFrame, frameBytes,
  frameHeaderBytes, frameMagicCommit, frameMagicPage, walFramesStart, walHeaderSlotOffsets,
  writeFrameChecksum, writeFrameHeader,
} from './wal-format.js';
import type { WalHeader } from './wal-format.js';

/**
 * One page image to log: `encode` writes the page into `out` at `base` (the pageSize bytes there
 * are zero) and returns how many bytes it used; only those are logged.
 */
export interface PageImage {
  pageNo: number;
  encode(out: Uint8Array, dv: DataView, base: number): number;
}

/** A commit's frames, staged in the writer's arena until its batch is written. */
export interface BuiltCommit {
  /** Range of the staging arena holding the frames. */
  stageStart: number;
  stageEnd: number;
  /** WAL offset of each page frame, in the order of the images given. */
  pageOffsets: number[];
  /** Logged bytes of each page image (its used prefix). */
  pageLengths: number[];
  /** Offset and frame index where this commit starts (for rollback). */
  startOffset: number;
  startFrameIndex: number;
}

interface Queued {
  commit: BuiltCommit;
  onDurable: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface WalCounters {
  commits: number;
  syncs: number;
  batches: number;
  batchMax: number;
  bytesWritten: number;
}

export class WalWriter {
  /** Where the next built frame goes (includes queued, unwritten commits). */
  appendOffset = walFramesStart;
  private nextFrameIndex = 0;
  private writtenOffset = walFramesStart;
  private syncedOffset = walFramesStart;
  private queue: Queued[] = [];
  private stage = new Uint8Array(0);
  private stageView = new DataView(this.stage.buffer);
  private stageUsed = 0;
  private running: Promise<void> | null = null;
  private poisonedBy: HexxlaError | null = null;
  /** Awaited before every WAL fsync (see syncBatch). */
  beforeSync: (() => Promise<void>) | null = null;
  readonly counters: WalCounters = { commits: 0, syncs: 0, batches: 0, batchMax: 0,
    bytesWritten: 0 };

  constructor(
    private readonly file: StorageFile,
    private header: WalHeader,
    private slot: number,
    private readonly pageSize: number,
    /** Called when a write failed: the store must drop every non-durable change. */
    private readonly onRollback: () => void,
    private readonly onPoison: (err: HexxlaError) => void,
    /** Seals every payload (encrypted database); null for a plain one. */
    private readonly cipher: FrameCipher | null = null,
  ) {}

  get poisoned(): HexxlaError | null {
    return this.poisonedBy;
  }

  /** True when no commit is queued or being written/synced. */
  get idle(): boolean {
    return this.running === null && this.queue.length === 0;
  }

  /** True when the log holds frames since the last reset. */
  get hasFrames(): boolean {
    return this.appendOffset > walFramesStart;
  }

  /**
   * Builds the frames of one commit (page frames, then the commit frame) into the staging arena.
   * No side effect on error. The arena is reused: after every batch write it is empty again
   * (nothing can be built during the synchronous write), so commits never allocate fresh buffers.
   */
  build(images: PageImage[], state: CommitState): BuiltCommit {
    const pageFrameMax = frameBytes(this.pageSize);
    // A sealed commit payload is 28 bytes longer; a sealed page payload still fits in pageSize
    // (nonce + usable + tag = pageSize).
    const commitStored = commitPayloadBytes + (this.cipher === null ? 0 : sealOverheadBytes);
    this.reserveStage(images.length * pageFrameMax + frameBytes(commitStored));
    const out = this.stage;
    const dv = this.stageView;
    // With a cipher the plaintext goes after the nonce; sealing replaces it in place.
    const plainAt = frameHeaderBytes + (this.cipher === null ? 0 : nonceBytes);
    const stageStart = this.stageUsed;
    const pageOffsets: number[] = [];
    const pageLengths: number[] = [];
    let index = this.nextFrameIndex;
    let at = stageStart;
    for (const img of images) {
      // encodePage zeroes the usable area, so the alignment padding after `used` is zero too.
      const used = img.encode(out, dv, at + plainAt);
      const stored = this.finish(at, frameMagicPage, index++, img.pageNo, used);
      pageOffsets.push(this.appendOffset + at - stageStart);
      pageLengths.push(stored);
      at += frameBytes(stored);
    }
    const commitEnd = at + frameBytes(commitStored);
    out.fill(0, at, commitEnd);
    encodeCommitPayload({ ...state, pageFrames: images.length,
      syncedThrough: BigInt(this.syncedOffset) }, dv, at + plainAt);
    this.finish(at, frameMagicCommit, index++, commitStored, commitPayloadBytes);
    const total = commitEnd - stageStart;
    const built = { stageStart, stageEnd: commitEnd, pageOffsets, pageLengths,
      startOffset: this.appendOffset, startFrameIndex: this.nextFrameIndex };
    this.stageUsed += total;
    this.appendOffset += total;
    this.nextFrameIndex = index;
    return built;
  }

  /**
   * Completes the frame at stage offset `at` whose plaintext payload of `plainBytes` is in place:
   * seals it when encrypted, writes the header and the checksum. Returns the stored payload
   * length. `word` is the page number, or for a commit frame its stored payload length.
   */
  private finish(at: number, magic: number, index: number, word: number, plainBytes: number,
  ): number {
    const out = this.stage;
    const dv = this.stageView;
    if (this.cipher === null) {
      finishFrame(out, dv, at, magic, this.header, index, word, plainBytes);
      return plainBytes;
    }
    const stored = plainBytes + sealOverheadBytes;
    writeFrameHeader(dv, at, magic, this.header, index, word, stored);
    const payloadAt = at + frameHeaderBytes;
    this.cipher.sealInPlace(out, payloadAt, plainBytes, out.subarray(at, payloadAt));
    // The padding after the tag may hold bytes of an earlier use of the arena: zero it.
    out.fill(0, payloadAt + stored, at + frameBytes(stored));
    writeFrameChecksum(out, dv, at, stored);
    return stored;
  }

  private reserveStage(bytes: number): void {
    if (this.stageUsed + bytes <= this.stage.length) return;
    let size = Math.max(this.stage.length, 1 << 16);
    while (size < this.stageUsed + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.stage.subarray(0, this.stageUsed));
    this.stage = next;
    this.stageView = new DataView(next.buffer);
  }

  /** Queues a built commit; resolves once it is durable (after `onDurable` ran). */
  enqueue(commit: BuiltCommit, onDurable: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ commit, onDurable, resolve, reject });
      if (this.running === null) this.running = this.run();
    });
  }

  /** Resolves when every queued commit is durable or failed. */
  async drain(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // Let the writers resolved by the previous batch (microtasks) enqueue their next commit
        // first: otherwise N concurrent writers split into two alternating half-size batches.
        await yieldToMicrotasks();
        const batch = this.queue.splice(0);
        const failed = this.writeBatch(batch);
        if (failed !== null) {
          await this.truncateAfterFailure(failed);
          continue;
        }
        await this.syncBatch(batch);
      }
    } finally {
      this.running = null;
    }
  }

  /** Writes the batch; on failure rolls back and returns the commits to reject, else null. */
  private writeBatch(batch: Queued[]): { commits: Queued[]; error: HexxlaError } | null {
    const buf = this.stage.subarray(batch[0]!.commit.stageStart,
      batch[batch.length - 1]!.commit.stageEnd);
    // Every queued commit is in this batch, so the arena is free once the write returns.
    this.stageUsed = 0;
    try {
      failpoint('wal-before-write');
      this.file.write(buf, this.writtenOffset);
    } catch (err) {
      const first = batch[0]!.commit;
      const commits = [...batch, ...this.queue.splice(0)];
      this.appendOffset = first.startOffset;
      this.nextFrameIndex = first.startFrameIndex;
      this.onRollback();
      return { commits, error: ioError('write-ahead log write', this.file.path, err) };
    }
    this.writtenOffset += buf.length;
    this.counters.bytesWritten += buf.length;
    return null;
  }

  private async syncBatch(batch: Queued[]): Promise<void> {
    try {
      // Sidecars written with these commits (the changelog) become durable first, so a durable
      // commit never lacks its sidecar records; a failure here poisons like a WAL fsync failure.
      if (this.beforeSync !== null) await this.beforeSync();
      failpoint('wal-before-sync');
      await this.file.sync();
      failpoint('wal-after-sync');
    } catch (err) {
      this.poison(ioError('write-ahead log fsync', this.file.path, err), batch);
      return;
    }
    this.syncedOffset = this.writtenOffset;
    this.counters.syncs++;
    this.counters.batches++;
    this.counters.commits += batch.length;
    this.counters.batchMax = Math.max(this.counters.batchMax, batch.length);
    for (const q of batch) q.onDurable();
    for (const q of batch) q.resolve();
  }

  /**
   * Removes a failed batch's frames (a short write may have left some) so they can neither be
   * replayed nor mistaken for later ones, then rejects the failed commits. Commits queued
   * meanwhile were built on the durable state and go into the next batch.
   */
  private async truncateAfterFailure(
    failed: { commits: Queued[]; error: HexxlaError },
  ): Promise<void> {
    try {
      this.file.truncate(this.syncedOffset);
      await this.file.sync();
      this.writtenOffset = this.syncedOffset;
    } catch (err) {
      this.poison(ioError('write-ahead log truncate', this.file.path, err), failed.commits);
      return;
    }
    for (const q of failed.commits) q.reject(failed.error);
  }

  private poison(cause: HexxlaError, batch: Queued[]): void {
    const err = hexxlaError('DatabasePoisoned', 'the write-ahead log could not be made durable; ' +
      'the database refuses writes until it is reopened', { path: this.file.path }, cause);
    this.poisonedBy = err;
    for (const q of [...batch, ...this.queue.splice(0)]) q.reject(err);
    this.onPoison(err);
  }

  /**
   * Starts a new generation after a checkpoint copied everything into the primary: new salt, base
   * seq, header in the other slot, fsynced before any frame of the new generation is written.
   */
  async reset(baseSeq: bigint, retainBytes: number): Promise<void> {
    const next: WalHeader = { ...this.header, generation: this.header.generation + 1n,
      salt0: randomInt(2 ** 32 - 1), salt1: randomInt(2 ** 32 - 1), baseSeq };
    const slot = 1 - this.slot;
    failpoint('wal-reset-before-header');
    this.file.write(encodeWalHeader(next), walHeaderSlotOffsets[slot]!);
    await this.file.sync();
    failpoint('wal-reset-after-header');
    this.header = next;
    this.slot = slot;
    this.appendOffset = walFramesStart;
    this.writtenOffset = walFramesStart;
    this.syncedOffset = walFramesStart;
    this.nextFrameIndex = 0;
    if (this.file.size() > retainBytes) this.file.truncate(retainBytes);
  }
}

/** Resolves after every queued microtask (but not I/O callbacks) has run. */
function yieldToMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
