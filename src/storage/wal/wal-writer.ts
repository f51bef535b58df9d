/**
 * Appends commits to the WAL and makes them durable with group commit.
 *
 * A commit's frames are built synchronously at commit time (offsets and frame indexes assigned in
 * commit order) and queued. A batch (every queued commit) is written with one write call and made
 * durable by one fsync. Up to `syncsInFlightMax` batches (option walSyncsInFlight, default 1)
 * may have their fsync in flight at once (a batch is written while earlier fsyncs are still
 * running): the callbacks of one group of writers run while the fsync of another group is in
 * flight, which pays on disks that serve concurrent fdatasyncs about as fast as one. Batches
 * are acknowledged strictly in log order: a batch is durable (its `onDurable` runs, readers see
 * it, its commits resolve) only once its own fsync and those of every earlier batch completed.
 * `syncedThrough` in a commit frame is the end of the last acknowledged batch when the frame was
 * built, so it still only ever names bytes that were fsynced: recovery's torn-tail rule is
 * unchanged.
 *
 * Batching: with W writers in a closed loop (each waits for its commit, then commits again), one
 * batch of all W leaves the disk idle while the W callbacks run. So a batch starts as soon as
 * ceil(W / syncsInFlightMax) commits are queued (W estimated from the commits outstanding when
 * batches start); otherwise (and always while W is estimated at 1) the batch goes one macrotask
 * later (setImmediate), which lets writers just resolved (microtasks) join it.
 *
 * Failure policy (ARCHITECTURE §3): a failed write (ENOSPC, EIO) fails the batch and every
 * commit queued behind it (they were built on it). Once no earlier fsync is in flight (their
 * batches are acknowledged as usual), the store rolls back to the durable state and the log is
 * truncated back to the last durable byte; the database stays usable. The failed commits are
 * rejected only once that truncation is fsynced: a short write may have left whole commits of
 * the batch in the file, and a caller told "DiskFull" must never see them come back after a
 * power loss. If the truncation cannot be made durable their outcome is unknown: they are
 * rejected with DatabasePoisoned. A failed fsync is not retryable: the writer is poisoned and
 * every commit not yet acknowledged, and every later one, fails until reopen.
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
 * are zero) and returns how many bytes it used; only those are logged. `build` then sets
 * `offset` (the frame's WAL offset) and `length` (the logged payload bytes).
 */
export interface PageImage {
  readonly pageNo: number;
  offset: number;
  length: number;
  encode(out: Uint8Array, dv: DataView, base: number): number;
}

/**
 * One commit: `build` stages its frames in the writer's arena and fills in the four positions;
 * `enqueue` queues it, and the writer calls back once it is durable or failed. The caller's own
 * object, so a commit costs the writer no record, closure or promise of its own.
 */
export interface QueuedCommit {
  /** Range of the staging arena holding the frames. */
  stageStart: number;
  stageEnd: number;
  /** Offset and frame index where this commit starts (for rollback). */
  startOffset: number;
  startFrameIndex: number;
  /** Durable: publish it. Runs for every commit of a batch before any of their `resolve`s. */
  onDurable(): void;
  resolve(): void;
  reject(err: unknown): void;
}

/** A written batch whose fsync was started; acknowledged in log order. */
interface Flight {
  batch: QueuedCommit[];
  /** Log offset after the batch (the synced offset once it is acknowledged). */
  end: number;
  synced: boolean;
}

/** A failed batch write waiting for the fsyncs in flight before it is handled. */
interface FailedWrite {
  batch: QueuedCommit[];
  error: HexxlaError;
}

export interface WalCounters {
  commits: number;
  syncs: number;
  batches: number;
  batchMax: number;
  bytesWritten: number;
  /** Wall time of the fsyncs counted in `syncs`, µs (overlapping fsyncs each count in full). */
  syncMicros: number;
}

export class WalWriter {
  /** Where the next built frame goes (includes queued, unwritten commits). */
  appendOffset = walFramesStart;
  private nextFrameIndex = 0;
  private writtenOffset = walFramesStart;
  private syncedOffset = walFramesStart;
  private queue: QueuedCommit[] = [];
  private stage = new Uint8Array(0);
  private stageView = new DataView(this.stage.buffer);
  private stageUsed = 0;
  private syncedBigOf = -1;
  private syncedBigValue = 0n;
  /** Written batches whose fsync is in flight or not yet acknowledged, in log order. */
  private flights: Flight[] = [];
  private failedWrite: FailedWrite | null = null;
  /** True while a failed batch is being truncated away. */
  private recovering = false;
  private flushScheduled = false;
  /** Estimated number of concurrent writers (commits outstanding when batches start). */
  private writers = 1;
  private idleWaiters: (() => void)[] = [];
  private poisonedBy: HexxlaError | null = null;
  /** Awaited before every WAL fsync (see syncBatch). */
  beforeSync: (() => Promise<void>) | null = null;
  readonly counters: WalCounters = { commits: 0, syncs: 0, batches: 0, batchMax: 0,
    bytesWritten: 0, syncMicros: 0 };

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
    /** Batches whose fsync may run at once (option walSyncsInFlight; see the file comment). */
    private readonly syncsInFlightMax = 1,
  ) {}

  get poisoned(): HexxlaError | null {
    return this.poisonedBy;
  }

  /** True when no commit is queued or being written/synced. */
  get idle(): boolean {
    return this.queue.length === 0 && this.flights.length === 0 && this.failedWrite === null &&
      !this.recovering;
  }

  /** True when the log holds frames since the last reset. */
  get hasFrames(): boolean {
    return this.appendOffset > walFramesStart;
  }

  /**
   * Builds the frames of one commit (page frames, then the commit frame) into the staging arena.
   * No side effect on error but the images' positions (`commit` is set last). The arena is
   * reused: after every batch write it is empty again (nothing can be built during the
   * synchronous write), so commits never allocate fresh buffers.
   */
  build(images: PageImage[], state: CommitState, commit: QueuedCommit): void {
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
    let index = this.nextFrameIndex;
    let at = stageStart;
    const base = this.appendOffset - stageStart;
    for (let i = 0; i < images.length; i++) {
      const img = images[i]!;
      // encodePage zeroes the usable area, so the alignment padding after `used` is zero too.
      const used = img.encode(out, dv, at + plainAt);
      const stored = this.finish(at, frameMagicPage, index++, img.pageNo, used);
      img.offset = base + at;
      img.length = stored;
      at += frameBytes(stored);
    }
    const commitEnd = at + frameBytes(commitStored);
    out.fill(0, at, commitEnd);
    encodeCommitPayload(state, images.length, this.syncedBig(), dv, at + plainAt);
    this.finish(at, frameMagicCommit, index++, commitStored, commitPayloadBytes);
    commit.stageStart = stageStart;
    commit.stageEnd = commitEnd;
    commit.startOffset = this.appendOffset;
    commit.startFrameIndex = this.nextFrameIndex;
    this.stageUsed = commitEnd;
    this.appendOffset += commitEnd - stageStart;
    this.nextFrameIndex = index;
  }

  /** `syncedOffset` as a bigint for commit payloads, converted once per value, not per commit. */
  private syncedBig(): bigint {
    if (this.syncedBigOf !== this.syncedOffset) {
      this.syncedBigOf = this.syncedOffset;
      this.syncedBigValue = BigInt(this.syncedOffset);
    }
    return this.syncedBigValue;
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

  /**
   * Queues a built commit; its `resolve` runs once it is durable (after its `onDurable`), its
   * `reject` when it fails (at once when the writer is poisoned).
   */
  enqueue(commit: QueuedCommit): void {
    if (this.poisonedBy !== null) {
      commit.reject(this.poisonedBy);
      return;
    }
    this.queue.push(commit);
    this.pump();
  }

  /** Resolves when every queued commit is durable or failed. */
  async drain(): Promise<void> {
    while (!this.idle) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Starts a batch now when enough commits are queued (see the file comment), else once a
   * macrotask later; nothing while every fsync slot is taken (the next acknowledgement calls
   * again) or a failed write is being handled.
   */
  private pump(): void {
    if (this.queue.length === 0 || this.failedWrite !== null || this.recovering) return;
    if (this.flights.length >= this.syncsInFlightMax) return;
    if (this.writers > 1 &&
      this.queue.length >= Math.ceil(this.writers / this.syncsInFlightMax)) {
      this.startBatch();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (this.queue.length === 0 || this.failedWrite !== null || this.recovering) return;
        if (this.flights.length < this.syncsInFlightMax) this.startBatch();
      });
    }
  }

  /** Writes every queued commit as one batch and starts its fsync. */
  private startBatch(): void {
    let outstanding = this.queue.length;
    for (const f of this.flights) outstanding += f.batch.length;
    this.writers = Math.max(outstanding, this.writers - 1);
    const batch = this.queue.splice(0);
    if (!this.writeBatch(batch)) return;
    const flight: Flight = { batch, end: this.writtenOffset, synced: false };
    this.flights.push(flight);
    void this.syncFlight(flight);
  }

  /**
   * Writes the batch; false when the write failed (the failure is then handled at once, or once
   * the fsyncs in flight before it are done).
   */
  private writeBatch(batch: QueuedCommit[]): boolean {
    const buf = this.stage.subarray(batch[0]!.stageStart, batch[batch.length - 1]!.stageEnd);
    // Every queued commit is in this batch, so the arena is free once the write returns.
    this.stageUsed = 0;
    try {
      failpoint('wal-before-write');
      this.file.write(buf, this.writtenOffset);
    } catch (err) {
      this.failedWrite = { batch, error: ioError('write-ahead log write', this.file.path, err) };
      if (this.flights.length === 0) this.handleFailedWrite();
      return false;
    }
    this.writtenOffset += buf.length;
    this.counters.bytesWritten += buf.length;
    return true;
  }

  private async syncFlight(flight: Flight): Promise<void> {
    let started = 0;
    try {
      // Sidecars written with these commits (the changelog) become durable first, so a durable
      // commit never lacks its sidecar records; a failure here poisons like a WAL fsync failure.
      if (this.beforeSync !== null) await this.beforeSync();
      failpoint('wal-before-sync');
      started = performance.now();
      await this.file.sync();
      failpoint('wal-after-sync');
    } catch (err) {
      if (this.flights.includes(flight)) {
        this.poison(ioError('write-ahead log fsync', this.file.path, err));
      }
      return;
    }
    // A flight dropped meanwhile was rejected by a poisoning failure of another fsync.
    if (!this.flights.includes(flight)) return;
    flight.synced = true;
    this.counters.syncs++;
    this.counters.syncMicros += Math.round((performance.now() - started) * 1000);
    this.acknowledge();
  }

  /** Acknowledges, in log order, every batch whose fsync and all earlier ones completed. */
  private acknowledge(): void {
    while (this.flights.length > 0 && this.flights[0]!.synced) {
      const { batch, end } = this.flights.shift()!;
      this.syncedOffset = end;
      this.counters.batches++;
      this.counters.commits += batch.length;
      this.counters.batchMax = Math.max(this.counters.batchMax, batch.length);
      for (const q of batch) q.onDurable();
      for (const q of batch) q.resolve();
    }
    if (this.failedWrite !== null && this.flights.length === 0) this.handleFailedWrite();
    this.pump();
    this.notifyIfIdle();
  }

  /**
   * A batch write failed and no earlier fsync is in flight: drops the failed batch and every
   * commit queued behind it (built on it) from the log position and the store's state, then
   * truncates the log (see truncateAfterFailure). Commits queued from now on are built on the
   * durable state and go into the next batch.
   */
  private handleFailedWrite(): void {
    const failed = this.failedWrite!;
    this.failedWrite = null;
    const first = failed.batch[0]!;
    const commits = [...failed.batch, ...this.queue.splice(0)];
    this.appendOffset = first.startOffset;
    this.nextFrameIndex = first.startFrameIndex;
    this.stageUsed = 0;
    this.onRollback();
    this.recovering = true;
    void this.truncateAfterFailure(commits, failed.error);
  }

  /**
   * Removes a failed batch's frames (a short write may have left some) so they can neither be
   * replayed nor mistaken for later ones, then rejects the failed commits.
   */
  private async truncateAfterFailure(commits: QueuedCommit[], error: HexxlaError): Promise<void> {
    try {
      this.file.truncate(this.syncedOffset);
      await this.file.sync();
      this.writtenOffset = this.syncedOffset;
    } catch (err) {
      this.recovering = false;
      this.poison(ioError('write-ahead log truncate', this.file.path, err), commits);
      return;
    }
    this.recovering = false;
    for (const q of commits) q.reject(error);
    this.pump();
    this.notifyIfIdle();
  }

  /** Rejects every commit not yet acknowledged (and `more`), and refuses all later ones. */
  private poison(cause: HexxlaError, more: QueuedCommit[] = []): void {
    const err = hexxlaError('DatabasePoisoned', 'the write-ahead log could not be made durable; ' +
      'the database refuses writes until it is reopened', { path: this.file.path }, cause);
    this.poisonedBy = err;
    const rejected = [...more, ...this.flights.flatMap((f) => f.batch),
      ...(this.failedWrite?.batch ?? []), ...this.queue.splice(0)];
    this.flights = [];
    this.failedWrite = null;
    for (const q of rejected) q.reject(err);
    this.onPoison(err);
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (!this.idle || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters.splice(0);
    for (const w of waiters) w();
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
