/**
 * The storage engine: one primary file + `<primary>-wal`, a B+ tree of pages, group commit,
 * checkpoints and crash recovery (SPEC §4, ARCHITECTURE §2–3). Keys here are tree keys; the public
 * API (src/engine) namespaces them.
 *
 * Concurrency: transaction callbacks are synchronous, so one runs at a time and sees a stable tree.
 * `update` resolves after its commit is fsynced; readers (`view`) only see durable commits. A
 * checkpoint first copies the durable page images into the primary and fsyncs it while writers go
 * on; then it holds new writers at a gate, drains the commit queue, copies the images that
 * changed meanwhile, writes the header, and resets the log (see runCheckpoint).
 *
 * Exclusive gate (`exclusive`): waits for in-flight commits and holds new writers until its
 * function settles; readers continue. Compaction's live swap (src/ops/swap.ts) runs under it and
 * then `retire`s this store: calls that reach it afterwards (writers that waited at the gate, a
 * stale handle) are forwarded to the store on the new files.
 *
 * Backup leases (SPEC §9, src/storage/lease.ts): while any lease is held no checkpoint writes the
 * primary. Automatic checkpoints are skipped (the log keeps growing; the next commit after the
 * last lease ends checkpoints as usual); an explicit checkpoint() fails with PreconditionFailed;
 * close() closes without checkpointing (the log keeps the commits; the next open replays them)
 * and drops the leases.
 */
import { dirname } from 'node:path';
import { AssertionError, assert, isThenable } from '../assert.js';
import { hexxlaError, ioError } from '../errors.js';
import type { HexxlaError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { txDirtyPagesMax, walRetainFactor } from '../limits.js';
import type { EncryptionKeys } from './crypto/kdf.js';
import type { StoreCipher } from './crypto/seal.js';
import type { FileSystem, StorageFile } from './file.js';
import type { FileLock } from './file-lock.js';
import { allocPageBytes } from './bytes.js';
import { Freelist } from './freelist.js';
import { encodeHeader, hasPageVersions, headerSlotOffsets } from './header.js';
import type { CommitState, FileHeader, FileIdentity } from './header.js';
import { decodePage, encodePage, pageTypeBranch, pageTypeLeaf } from './page.js';
import type { PageNode } from './page.js';
import { PageStore } from './page-store.js';
import { stampVersions, versionGeometry } from './page-versions.js';
import type { VersionGeometry } from './page-versions.js';
import type { PageRef } from './page-store.js';
import type { ResolvedStoreOptions, StoreOptions } from './store-options.js';
import { StoreReadTx, StoreWriteTx } from './tx.js';
import type { TxHost } from './tx.js';
import type { RecoveredWal } from './wal/recovery.js';
import { walFramesStart } from './wal/wal-format.js';
import { WalWriter } from './wal/wal-writer.js';
import type { PageImage, QueuedCommit } from './wal/wal-writer.js';
import { LeaseTable, checkLeaseTtl } from './lease.js';
import type { BackupLease, BackupLeaseOptions } from './lease.js';
import { inlineValueBytesMax } from './btree/values.js';

export interface StoreStats {
  commitSeq: bigint;
  pageCount: number;
  freePages: number;
  walBytes: number;
  /**
   * Counters "since open" (commits … pageReads, not walBytes or cachePages) count from the open
   * of this handle: a live compaction swap or online key rotation carries them over.
   */
  commits: number;
  /**
   * Bytes of commit batches written to the log (every frame; not reset by checkpoints; a batch
   * whose write failed part-way is not counted, one written before its fsync failed is).
   */
  walBytesWritten: number;
  /** fsyncs of commit batches (not the log-header fsync of a checkpoint's log reset). */
  walSyncs: number;
  /**
   * Wall time of those fsyncs, µs, from the call until the writer resumes (so it includes any
   * event-loop delay): walSyncMicros / walSyncs is the mean, the floor of a durable commit.
   */
  walSyncMicros: number;
  syncBatchMax: number;
  checkpoints: number;
  cachePages: number;
  cacheHits: number;
  cacheMisses: number;
  pageReads: number;
}

/** The counters of StoreStats that count since open (see Store.carried). */
type CarriedCounters = Pick<StoreStats, 'commits' | 'walBytesWritten' | 'walSyncs' |
  'walSyncMicros' | 'syncBatchMax' | 'checkpoints' | 'cacheHits' | 'cacheMisses' | 'pageReads'>;
const noCarriedCounters: CarriedCounters = { commits: 0, walBytesWritten: 0, walSyncs: 0,
  walSyncMicros: 0, syncBatchMax: 0, checkpoints: 0, cacheHits: 0, cacheMisses: 0, pageReads: 0 };

/** Files and parsed state handed from openStore() to the constructor. */
export interface StoreParts {
  path: string;
  fs: FileSystem;
  primary: StorageFile;
  walFile: StorageFile;
  header: FileHeader;
  headerSlot: number;
  options: ResolvedStoreOptions;
  pages: PageStore;
  /** Ciphers of an encrypted database; null (or absent) for a plain one. */
  cipher?: StoreCipher | null;
  /** The database lock (file-lock.ts): released by close, handed on by retire. */
  lock: FileLock;
}

function commitStateOf(h: CommitState): CommitState {
  const { commitSeq, commitTimeMs, rootPage, pageCount, freelistHead, freelistCount } = h;
  return { commitSeq, commitTimeMs, rootPage, pageCount, freelistHead, freelistCount };
}

export class Store implements TxHost {
  readonly path: string;
  readonly identity: FileIdentity;
  readonly usable: number;
  readonly inlineMax: number;
  freelist: Freelist = Freelist.empty();
  private readonly pages: PageStore;
  private readonly primary: StorageFile;
  private readonly wal: WalWriter;
  private durableState: CommitState;
  private latestState: CommitState;
  private headerSlot: number;
  private headerSeq: bigint;
  private closed = false;
  private closing: Promise<void> | null = null;
  private poisonedBy: HexxlaError | null = null;
  private ckpt: Promise<void> | null = null;
  /** Held by a checkpoint's last part (runCheckpoint): writers wait for it; never rejects. */
  private ckptGate: Promise<void> | null = null;
  /** True while an update callback runs (re-entrance guard). */
  private writerActive = false;
  private checkpoints = 0;
  /** Held by `exclusive`: writers wait for it (resolves when released; never rejects). */
  private gate: Promise<void> | null = null;
  /** Set by `retire`: the store on the files that replaced ours; calls are forwarded to it. */
  private successor: Store | null = null;
  /**
   * Counters of the stores this one replaced (live swap, online rotation; see `retire`), added
   * by stats() so that the "since open" counters of one handle never go back.
   */
  private carried: CarriedCounters = noCarriedCounters;
  private readonly leases = new LeaseTable(() => this.maybeCheckpoint());
  /** Fan-outs of the page-version map of an encrypted file (null without one). */
  private readonly versions: VersionGeometry | null;
  /** Key of the header MAC (files with page versions), else null. */
  private readonly headerKey: Uint8Array | null;
  /** End of the last durable commit's frames in the log (what a backup lease may copy). */
  private durableWalEnd = walFramesStart;
  /** The last background checkpoint failure (e.g. disk full), kept for operators. */
  lastCheckpointError: unknown = null;

  constructor(private readonly parts: StoreParts, recovered: RecoveredWal) {
    const { header } = parts;
    this.path = parts.path;
    this.identity = header;
    this.usable = header.pageSize - header.reserveBytes;
    this.inlineMax = inlineValueBytesMax(this.usable);
    this.versions = hasPageVersions(header) ? versionGeometry(this.usable) : null;
    this.headerKey = this.versions === null ? null : parts.cipher!.keys.subkey('header');
    this.pages = parts.pages;
    this.primary = parts.primary;
    this.headerSlot = parts.headerSlot;
    this.headerSeq = header.headerSeq;
    for (const [pageNo, f] of recovered.pageOffsets) {
      this.pages.addRecovered(pageNo, f.offset, f.length, f.seq);
    }
    this.durableState = commitStateOf(recovered.lastState ?? header);
    this.latestState = this.durableState;
    this.freelist = this.loadFreelist();
    const walHeader = recovered.header ?? { pageSize: header.pageSize, generation: 0n, salt0: 0,
      salt1: 0, fileId: header.fileId, baseSeq: header.commitSeq };
    this.wal = new WalWriter(parts.walFile, walHeader, recovered.slot, header.pageSize,
      () => this.rollbackToDurable(), (err) => this.poison(err), parts.cipher?.wal ?? null,
      parts.options.walSyncsInFlight);
  }

  /**
   * Sets the function awaited before each WAL fsync: a sidecar written alongside commits (the
   * changelog) syncs there, so it is durable before the commits it describes are.
   */
  setBeforeWalSync(fn: (() => Promise<void>) | null): void {
    this.wal.beforeSync = fn;
  }

  /** The database lock this store holds, for the store that replaces it (openStore). */
  get lock(): FileLock {
    return this.parts.lock;
  }

  /**
   * The unlocked keys of an encrypted database (null when plain), for sidecars that must be
   * encrypted too: the changelog seals its frames with `changelogSealer(keys)`.
   */
  get encryptionKeys(): EncryptionKeys | null {
    return this.parts.cipher?.keys ?? null;
  }

  /** Completes open: checkpoints recovered commits and starts a fresh log generation. */
  async finishOpen(recovered: RecoveredWal): Promise<void> {
    if (recovered.commits > 0) await this.copyAndPublish(this.durableState);
    await this.resetWal();
  }

  private loadFreelist(): Freelist {
    const s = this.durableState;
    return Freelist.load((p) => this.pages.readDurable(p), s.freelistHead, s.freelistCount);
  }

  readDurable(pageNo: number, version?: number): PageNode {
    return this.pages.readDurable(pageNo, version);
  }

  readLatest(pageNo: number, version?: number): PageNode {
    return this.pages.readLatest(pageNo, version);
  }

  get pageSize(): number {
    return this.identity.pageSize;
  }

  get maxValueBytes(): number {
    return this.identity.maxValueBytes;
  }

  /** Seq of the newest durable commit (what readers see). */
  get commitSeq(): bigint {
    if (this.successor !== null) return this.successor.commitSeq;
    return this.durableState.commitSeq;
  }

  /** Seq of the newest commit built, durable or still in flight (the next one gets seq + 1). */
  get latestCommitSeq(): bigint {
    if (this.successor !== null) return this.successor.latestCommitSeq;
    return this.latestState.commitSeq;
  }

  get commitTimeMs(): bigint {
    if (this.successor !== null) return this.successor.commitTimeMs;
    return this.durableState.commitTimeMs;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw hexxlaError('DatabaseClosed', 'the database is closed', { path: this.path });
    }
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.poisonedBy !== null) throw this.poisonedBy;
  }

  /** Runs `fn` on a read-only snapshot of the newest durable commit. */
  view<T>(fn: (tx: StoreReadTx) => T): T {
    if (this.successor !== null) return this.successor.view(fn);
    this.assertOpen();
    const tx = new StoreReadTx(this, this.durableState.rootPage);
    try {
      const result = fn(tx);
      if (isThenable(result)) throw asyncCallbackError('view', result);
      return result;
    } finally {
      tx.close();
    }
  }

  /**
   * Runs `fn` as the only writer; resolves with its result once the commit is durable. Never
   * throws: every failure is a rejection. Not an async function: a commit's one promise is the
   * one the log writer settles (PendingCommit); waiting (re-entrance, gate, checkpoint, a live
   * swap) takes the async path.
   */
  update<T>(fn: (tx: StoreWriteTx) => T): Promise<T> {
    if (this.successor !== null || this.writerActive || this.gate !== null ||
      this.checkpointHold() !== null) {
      return this.updateAfterWait(fn);
    }
    return this.runUpdate(fn, true);
  }

  private async updateAfterWait<T>(fn: (tx: StoreWriteTx) => T): Promise<T> {
    if (this.successor !== null) return this.successor.update(fn);
    this.assertWritable();
    if (this.closing !== null) {
      throw hexxlaError('DatabaseClosed', 'the database is closing', { path: this.path });
    }
    // An update started from inside another update's callback must not run on the state under
    // that callback (its commit would be overwritten by the outer one): it waits one microtask,
    // by which time the outer commit is queued, and then builds on it.
    if (this.writerActive) {
      await null;
      this.assertWritable(); // poisoned meanwhile: the state it would build on was rolled back
    }
    for (let hold = this.gate ?? this.checkpointHold(); hold !== null;
      hold = this.gate ?? this.checkpointHold()) {
      await hold.catch(() => undefined);
      // A live swap replaced the files while we waited: commit on the new ones.
      const next = this.forwardTarget();
      if (next !== null) return next.update(fn);
      this.assertWritable();
    }
    return this.runUpdate(fn, false);
  }

  /**
   * What a new writer must wait for because of a checkpoint: its gate (last part), or the whole
   * checkpoint once the log has grown to twice `walCheckpointBytes` during its first part (on a
   * slow disk a bulk load kept writing ~1 MiB per commit while the primary's fsync ran, and the
   * log, which keeps its size for reuse, ended ~20 MiB larger). Null: go on.
   */
  private checkpointHold(): Promise<void> | null {
    if (this.ckptGate !== null) return this.ckptGate;
    const bound = 2 * this.parts.options.walCheckpointBytes;
    return this.ckpt !== null && this.wal.appendOffset >= bound ? this.ckpt : null;
  }

  /**
   * Runs the callback and commits (see update); failures are returned as rejections.
   * `entry`: called straight from update(), so the closing check is made here; an update that
   * passed it before waiting (re-entrance, gate) still commits: close() waits for it.
   */
  private runUpdate<T>(fn: (tx: StoreWriteTx) => T, entry: boolean): Promise<T> {
    let tx: StoreWriteTx;
    let result: T;
    try {
      this.assertWritable();
      if (entry && this.closing !== null) {
        throw hexxlaError('DatabaseClosed', 'the database is closing', { path: this.path });
      }
      tx = new StoreWriteTx(this, { ...this.latestState });
      result = this.runCallback(fn, tx);
    } catch (err) {
      return Promise.reject(err);
    }
    if (tx.dirty.size === 0 && !tx.freelistTouched) return Promise.resolve(result);
    return this.commit(tx, result);
  }

  private runCallback<T>(fn: (tx: StoreWriteTx) => T, tx: StoreWriteTx): T {
    this.freelist.begin();
    try {
      this.writerActive = true;
      const result = fn(tx);
      if (isThenable(result)) throw asyncCallbackError('update', result);
      return result;
    } catch (err) {
      this.freelist.rollback();
      if (err instanceof AssertionError) this.poison(fatal(err, this.path));
      throw err;
    } finally {
      this.writerActive = false;
      tx.close();
    }
  }

  /** Builds the commit's frames and queues them; resolves with `result` once durable. */
  private commit<T>(tx: StoreWriteTx, result: T): Promise<T> {
    const pending = new PendingCommit(this, result);
    let state: CommitState;
    try {
      if (tx.freelistTouched) this.freelist.persist(tx);
      // Last: versions cover every page this commit writes, the freelist's included.
      if (this.versions !== null) {
        const prev = Number(this.latestState.commitSeq);
        stampVersions(tx, this.versions, prev + 1, prev, this.path);
      }
      if (tx.dirty.size > txDirtyPagesMax) {
        throw hexxlaError('InvalidArgument', `transaction dirties ${tx.dirty.size} pages; the ` +
          `limit is ${txDirtyPagesMax}`, { path: this.path, limit: txDirtyPagesMax });
      }
      state = this.nextState(tx);
      pending.state = state;
      // Committed branch pages are kept in the form decoding gives (keys in one page buffer), not
      // the writer's objects, whose keys are scattered over many small arrays: reads after a
      // bulk load were ~2.5x slower than after a reopen (120k vs 300k/s); re-decoding branches
      // recovers most of it (~215k/s). Leaves stay packed through writes (see compactNode).
      const seq = Number(state.commitSeq);
      const pages = pending.pages;
      for (const [pageNo, node] of tx.dirty) {
        pages.push(new LoggedPage(this, pageNo, this.pages.nextFrameId(), node, seq));
      }
      this.wal.build(pages, state, pending);
    } catch (err) {
      this.freelist.rollback();
      if (!(err instanceof Error && 'code' in err)) this.poison(fatal(err, this.path));
      return Promise.reject(err);
    }
    for (const page of pending.pages) this.pages.latest.set(page.pageNo, page);
    this.latestState = state;
    const promise = new Promise<T>(captureSettlers);
    pending.settle(capturedResolve as (value: T) => void, capturedReject);
    this.wal.enqueue(pending);
    return promise;
  }

  /** A queued commit is durable (PendingCommit.onDurable): readers see it from now on. */
  published(pages: LoggedPage[], state: CommitState, walEnd: number): void {
    this.pages.markDurable(pages);
    this.durableState = state;
    this.durableWalEnd = walEnd;
  }

  /** After a batch of commits became durable, before their writers resume. */
  afterDurable(): void {
    this.maybeCheckpoint();
  }

  /** The node to keep for a page just encoded as `encoded` (its used prefix); see commit(). */
  compactNode(node: PageNode, pageNo: number, encoded: Uint8Array): PageNode {
    if (node.type === pageTypeLeaf) {
      // Leaves are kept packed too: writes change packed leaves in place (LeafNode.putPacked),
      // so only leaves that went through the array form (deletes, merges) are re-packed here.
      if (node.isPacked) return node;
      const image = allocPageBytes(this.pageSize);
      image.set(encoded);
      return node.repack(image);
    }
    if (node.type !== pageTypeBranch) return node;
    const buf = allocPageBytes(this.pageSize);
    buf.set(encoded);
    return decodePage(buf, pageNo, this.usable, this.path);
  }

  private nextState(tx: StoreWriteTx): CommitState {
    const now = BigInt(Date.now());
    const prev = this.latestState;
    return {
      commitSeq: prev.commitSeq + 1n,
      commitTimeMs: now > prev.commitTimeMs ? now : prev.commitTimeMs,
      rootPage: tx.rootPage,
      pageCount: tx.state.pageCount,
      freelistHead: this.freelist.head,
      freelistCount: this.freelist.count,
    };
  }

  private rollbackToDurable(): void {
    this.pages.rollbackToDurable();
    this.latestState = this.durableState;
    this.freelist = this.loadFreelist();
  }

  private poison(err: HexxlaError): void {
    if (this.poisonedBy === null) this.poisonedBy = err;
    try {
      this.rollbackToDurable();
    } catch {
      // The freelist could not be reloaded (the I/O that poisoned us may be failing): no write
      // will happen again, so only the page view and state must be the durable ones.
      this.pages.rollbackToDurable();
      this.latestState = this.durableState;
    }
  }

  private maybeCheckpoint(): void {
    if (this.ckpt !== null || this.closing !== null || this.poisonedBy !== null) return;
    if (this.leases.any || this.closed) return; // a backup lease keeps the primary stable
    if (this.wal.appendOffset < this.parts.options.walCheckpointBytes) return;
    this.checkpoint().catch((err: unknown) => {
      this.lastCheckpointError = err;
    });
  }

  /**
   * Copies the log into the primary and resets it. Writers wait only for its last part (see
   * runCheckpoint). Rejects with PreconditionFailed while a backup lease is held (the primary
   * must stay stable).
   */
  checkpoint(): Promise<void> {
    if (this.successor !== null) return this.successor.checkpoint();
    this.assertOpen();
    if (this.leases.any && this.ckpt === null) {
      return Promise.reject(hexxlaError('PreconditionFailed', `${this.leases.count} backup ` +
        'lease(s) held: the primary must not change until they end or expire',
      { path: this.path, leases: this.leases.count }));
    }
    if (this.ckpt === null) {
      this.ckpt = this.runCheckpoint().finally(() => {
        this.ckpt = null;
      });
    }
    return this.ckpt;
  }

  /**
   * Step 1: the durable images are copied into the primary, then fsynced while writers go on
   * (the fsync is most of a checkpoint's time on a disk: a commit made during a checkpoint of
   * a 37 MiB log waited up to 12–20 ms, now 7–8; docs/performance.md). The copy itself does
   * not pause for writers: pausing let a bulk load dirty most pages again meanwhile, so step 2
   * copied them a second time (W1 ~30 % slower on the memory file system). Then writers wait at
   * `ckptGate` while the queue drains, the images made durable meanwhile are copied and
   * fsynced, the header is written and the log reset. Copying durable images early is safe:
   * see copyToPrimary.
   */
  private async runCheckpoint(): Promise<void> {
    // Called from inside an update callback, that update's commit is queued only after the
    // callback returns: yield once so drain() sees it.
    await null;
    if (this.poisonedBy !== null) throw this.poisonedBy; // nothing more reaches the files
    const copied = new Map<number, PageRef>();
    // A failed fsync poisons the store only under the gate, once no commit is in flight:
    // poisoning rolls the latest state back, and commits in flight were built on it.
    const failed = this.copyImages(copied) > 0
      ? await this.primary.sync().then(() => null, (err: unknown) => ({ err })) : null;
    let release: () => void = () => undefined;
    this.ckptGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await this.wal.drain();
      if (failed !== null) this.primarySyncFailed(failed.err);
      if (this.poisonedBy !== null) throw this.poisonedBy;
      if (!this.wal.hasFrames) return;
      assert(this.wal.idle && !this.writerActive, 'checkpoint with a commit in flight');
      await this.copyAndPublish(this.durableState, copied);
      assert(this.wal.idle, 'commit queued during a checkpoint');
      await this.resetWal();
      this.checkpoints++;
    } finally {
      this.ckptGate = null;
      release();
    }
  }

  /** Copies the durable images `copied` lacks into the primary (see copyToPrimary). */
  private copyImages(copied: Map<number, PageRef>): number {
    try {
      failpoint('checkpoint-before-copy');
      return this.pages.copyToPrimary(copied);
    } catch (err) {
      throw (err as { code?: unknown }).code === 'CorruptDatabase'
        ? err : ioError('checkpoint write', this.path, err);
    }
  }

  /**
   * Checkpoint steps 1–3 for `state` (every commit durable, none queued): copy the images
   * `copied` lacks, fsync, write the header slot, fsync.
   */
  private async copyAndPublish(
    state: CommitState, copied = new Map<number, PageRef>(),
  ): Promise<void> {
    const written = this.copyImages(copied);
    let grow: boolean;
    try {
      const bytes = state.pageCount * this.pageSize;
      grow = this.primary.size() < bytes;
      if (grow) this.primary.truncate(bytes);
    } catch (err) {
      throw ioError('checkpoint write', this.path, err);
    }
    if (written > 0 || grow) await this.syncPrimary();
    const slot = 1 - this.headerSlot;
    const header: FileHeader = { ...this.identity, ...state, headerSeq: this.headerSeq + 1n };
    try {
      failpoint('checkpoint-before-header');
      this.primary.write(encodeHeader(header, this.headerKey), headerSlotOffsets[slot]!);
    } catch (err) {
      throw ioError('header write', this.path, err);
    }
    await this.syncPrimary();
    // The new header is durable: the next checkpoint must write the other slot.
    this.headerSlot = slot;
    this.headerSeq = header.headerSeq;
    try {
      failpoint('checkpoint-after-header');
    } catch (err) {
      throw ioError('checkpoint', this.path, err);
    }
  }

  private async syncPrimary(): Promise<void> {
    try {
      await this.primary.sync();
    } catch (err) {
      this.primarySyncFailed(err);
    }
  }

  /** Poisons the store for a failed primary fsync (no commit may be in flight) and throws. */
  private primarySyncFailed(err: unknown): never {
    const e = ioError('primary fsync', this.path, err);
    this.poison(hexxlaError('DatabasePoisoned', 'the primary file could not be made durable; ' +
      'the database refuses writes until it is reopened', { path: this.path }, e));
    throw this.poisonedBy;
  }

  private async resetWal(): Promise<void> {
    const retain = this.parts.options.walCheckpointBytes * walRetainFactor;
    try {
      await this.wal.reset(this.durableState.commitSeq, retain);
      await this.parts.fs.syncDirectory(dirname(this.parts.walFile.path));
    } catch (err) {
      this.poison(hexxlaError('DatabasePoisoned', 'the write-ahead log could not be reset; ' +
        'the database refuses writes until it is reopened', { path: this.path },
        ioError('log reset', this.path, err)));
      throw this.poisonedBy;
    }
    this.durableWalEnd = walFramesStart;
    this.pages.afterReset(this.durableState.commitSeq);
  }

  /**
   * Waits for in-flight commits and an exclusive section, checkpoints (not while a backup lease
   * is held: then the log keeps the commits and the leases are dropped), and closes the files.
   * Idempotent. After a live swap it closes the store that replaced this one.
   */
  close(): Promise<void> {
    if (this.closing === null) this.closing = this.runClose();
    return this.closing;
  }

  private async runClose(): Promise<void> {
    await null; // see runCheckpoint: let a running update callback queue its commit first
    while (this.gate !== null) await this.gate;
    const next = this.forwardTarget();
    if (next !== null) return next.close();
    await this.wal.drain();
    while (this.ckpt !== null) await this.ckpt.catch(() => undefined);
    const leased = this.leases.any;
    this.leases.clear();
    if (this.poisonedBy === null && !this.closed && !leased) {
      await this.checkpoint().catch((err: unknown) => {
        this.lastCheckpointError = err;
      });
    }
    this.closed = true;
    // Every file is closed and the lock released even when one close fails (EIO): else the
    // other handle and the lock leak and the database cannot be opened again in this process.
    let failure: { err: unknown } | null = null;
    for (const file of [this.parts.walFile, this.primary]) {
      try {
        file.close();
      } catch (err) {
        failure ??= { err };
      }
    }
    this.parts.lock.release();
    if (failure !== null) throw ioError('close', this.path, failure.err);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The error that poisoned the database, if any. */
  get poisoned(): HexxlaError | null {
    return this.poisonedBy;
  }

  stats(): StoreStats {
    if (this.successor !== null) return this.successor.stats();
    const c = this.wal.counters;
    const k = this.carried;
    return {
      commitSeq: this.durableState.commitSeq,
      pageCount: this.durableState.pageCount,
      freePages: this.durableState.freelistCount,
      walBytes: this.wal.appendOffset,
      commits: k.commits + c.commits,
      walBytesWritten: k.walBytesWritten + c.bytesWritten,
      walSyncs: k.walSyncs + c.syncs,
      walSyncMicros: k.walSyncMicros + c.syncMicros,
      syncBatchMax: Math.max(k.syncBatchMax, c.batchMax),
      checkpoints: k.checkpoints + this.checkpoints,
      cachePages: this.pages.cache.size,
      cacheHits: k.cacheHits + this.pages.cache.hits,
      cacheMisses: k.cacheMisses + this.pages.cache.misses,
      pageReads: k.pageReads + this.pages.pageReads,
    };
  }

  /** True while commits are queued or waiting for their fsync (their changes are in memory). */
  get commitsPending(): boolean {
    return !this.wal.idle;
  }

  /** The durable commit state (for the structural check). */
  durableCommitState(): CommitState {
    return { ...this.durableState };
  }

  /**
   * Runs `fn` alone among writers: waits for in-flight commits (and a running checkpoint), then
   * holds every new update until `fn` settles; reads continue. `fn` must not await an update of
   * this store (it would wait for itself). One exclusive section at a time; later ones queue.
   * Throws DatabaseClosed, or the poisoning error.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.successor !== null) return this.successor.exclusive(fn);
    this.assertWritable();
    while (this.gate !== null) {
      await this.gate;
      const next = this.forwardTarget();
      if (next !== null) return next.exclusive(fn);
      this.assertWritable();
    }
    if (this.closing !== null) {
      throw hexxlaError('DatabaseClosed', 'the database is closing', { path: this.path });
    }
    let release: () => void = () => undefined;
    this.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await null; // an update callback that called us queues its commit first (runCheckpoint)
      await this.wal.drain();
      while (this.ckpt !== null) await this.ckpt.catch(() => undefined);
      this.assertWritable();
      return await fn();
    } finally {
      this.gate = null;
      release();
    }
  }

  /**
   * Live swap, last step (under `exclusive`): this store's files were replaced by those `next`
   * has open. Closes our handles and forwards every later call (view, update, checkpoint,
   * close, exclusive, leases) to `next`, which was opened with our lock (`lock`) and releases it.
   */
  retire(next: Store): void {
    assert(this.gate !== null && this.wal.idle, 'retire runs under the exclusive gate');
    assert(!this.leases.any, 'retire with a backup lease held');
    next.carried = this.stats(); // ours, plus what we carried
    this.successor = next;
    this.closed = true;
    this.parts.walFile.close();
    this.primary.close();
  }

  /** `successor`, read through a call so that TypeScript does not narrow it across awaits. */
  private forwardTarget(): Store | null {
    return this.successor;
  }

  /** The store that replaced this one in a live swap, if any. */
  get replacedBy(): Store | null {
    return this.successor;
  }

  /**
   * Refuses writes until reopen with `message` (a live swap failed after it removed the log:
   * later commits would go to an unlinked file).
   */
  poisonWith(message: string, cause: unknown): void {
    this.poison(hexxlaError('DatabasePoisoned', message, { path: this.path }, cause));
  }

  /** Options that reopen this database as it was opened (credentials included), create off. */
  reopenOptions(): StoreOptions {
    const o = this.parts.options;
    const creds = o.credentials;
    const secret = creds === null ? {} : creds.kind === 'key'
      ? { encryptionKey: creds.key } : { passphrase: new TextDecoder().decode(creds.secret) };
    return { fs: o.fs, create: false, cacheBytes: o.cacheBytes,
      walCheckpointBytes: o.walCheckpointBytes, walSyncsInFlight: o.walSyncsInFlight,
      ...secret };
  }

  /**
   * Begins a backup lease (SPEC §9): returns the commit seq and, for the primary and the log,
   * the byte count [0, bytes) that together form a consistent database at that seq: the primary
   * as of the last checkpoint and the log up to the end of the last durable commit. Until the
   * lease ends or its TTL expires no checkpoint writes the primary and the log is not reset, so
   * those bytes do not change while commits continue to be appended after them. Waits for a
   * running checkpoint or exclusive section first. Throws DatabaseClosed, InvalidArgument (ttlMs).
   */
  async beginBackupLease(options: BackupLeaseOptions = {}): Promise<BackupLease> {
    if (this.successor !== null) return this.successor.beginBackupLease(options);
    const ttlMs = checkLeaseTtl(options.ttlMs);
    this.assertOpen();
    while (this.ckpt !== null || this.gate !== null) {
      await (this.gate ?? this.ckpt)!.catch(() => undefined);
      const next = this.forwardTarget();
      if (next !== null) return next.beginBackupLease(options);
    }
    this.assertOpen();
    if (this.closing !== null) {
      throw hexxlaError('DatabaseClosed', 'the database is closing', { path: this.path });
    }
    // One synchronous step: seq and log end are set together when a batch becomes durable.
    return this.leases.begin({ commitSeq: this.durableState.commitSeq, files: [
      { path: this.path, role: 'primary', bytes: this.primary.size() },
      { path: this.parts.walFile.path, role: 'wal', bytes: this.durableWalEnd },
    ] }, ttlMs);
  }

  /** Extends a lease's TTL from now. Throws NotFound when it ended or expired. */
  renewBackupLease(id: string, options: BackupLeaseOptions = {}): BackupLease {
    if (this.successor !== null) return this.successor.renewBackupLease(id, options);
    return this.leases.renew(id, checkLeaseTtl(options.ttlMs));
  }

  /** Ends a lease; false when it was not held (ended, expired, or the store closed). */
  endBackupLease(id: string): boolean {
    if (this.successor !== null) return this.successor.endBackupLease(id);
    return this.leases.end(id);
  }

  /** Number of backup leases held now. */
  get backupLeases(): number {
    return this.leases.count;
  }
}


/**
 * A dirty page to log (WalWriter.build calls `encode`, then sets `offset` and `length`), and from
 * then on the page's PageRef: `node` is the node to keep for it (see Store.compactNode), pinned
 * until the commit is durable. One object per page and commit instead of an image and a ref.
 * A class, not an object literal with an arrow function: under tsx (esbuild keepNames) every
 * named arrow created per commit costs an Object.defineProperty.
 */
class LoggedPage implements PageImage, PageRef {
  offset = 0;
  length = 0;

  constructor(private readonly store: Store, readonly pageNo: number, readonly frameId: number,
    public node: PageNode | null, readonly seq: number) {}

  encode(out: Uint8Array, dv: DataView, base: number): number {
    const node = this.node!;
    const used = encodePage(node, this.pageNo, out, dv, base, this.store.usable);
    // A packed leaf (the usual dirty page) is kept as it is: no view of the image needed.
    if (node.type !== pageTypeLeaf || !node.isPacked) {
      this.node = this.store.compactNode(node, this.pageNo, out.subarray(base, base + used));
    }
    return used;
  }
}

/** `new Promise(captureSettlers)` hands its settlers over without a closure per commit. */
let capturedResolve: (value: unknown) => void = () => undefined;
let capturedReject: (err: unknown) => void = () => undefined;

function captureSettlers(resolve: (value: never) => void, reject: (err: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}

/** One commit queued in the log writer (see WalWriter.enqueue): its frames and its outcome. */
class PendingCommit<T> implements QueuedCommit {
  stageStart = 0;
  stageEnd = 0;
  startOffset = 0;
  startFrameIndex = 0;
  readonly pages: LoggedPage[] = [];
  state: CommitState | null = null;
  private resolveFn: (value: T) => void = noop;
  private rejectFn: (err: unknown) => void = noop;

  constructor(private readonly store: Store, private readonly result: T) {}

  settle(resolve: (value: T) => void, reject: (err: unknown) => void): void {
    this.resolveFn = resolve;
    this.rejectFn = reject;
  }

  onDurable(): void {
    // The end of its frames in the log: the backup lease's durable end from now on.
    const walEnd = this.startOffset + (this.stageEnd - this.stageStart);
    this.store.published(this.pages, this.state!, walEnd);
  }

  resolve(): void {
    this.store.afterDurable();
    this.resolveFn(this.result);
  }

  reject(err: unknown): void {
    this.rejectFn(err);
  }
}

function noop(): void {}

/**
 * The error for a callback that returned a promise. The promise is marked handled first: its
 * callback goes on after its first await and meets the ended transaction (TxClosed), and that
 * rejection, in a promise the caller never sees, would crash the process as unhandled.
 */
function asyncCallbackError(kind: string, result: unknown): HexxlaError {
  (result as PromiseLike<unknown>).then(undefined, noop);
  return hexxlaError('InvalidArgument', `${kind} callbacks must be synchronous: do async work ` +
    'before or after the transaction (the transaction was rolled back)');
}

function fatal(err: unknown, path: string): HexxlaError {
  return hexxlaError('DatabasePoisoned', 'internal invariant violated in a write; the database ' +
    'refuses writes until it is reopened', { path }, err);
}
