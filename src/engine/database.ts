/**
 * The public database handle of the library (SPEC §3–6, ARCHITECTURE §2).
 *
 * `view(fn)` runs a synchronous read on the newest durable commit. `update(fn)` runs a synchronous
 * write as the only writer and resolves once its commit is durable (fsynced); an exception in `fn`
 * rolls everything back. Record operations (cells, facets, edges, seams) are methods of the
 * transactions; the async conveniences here (putCell, getCell, …) each run one transaction.
 *
 * MVCC (format v2, `mvcc: true` at creation): every record version is kept under its commit seq;
 * viewAt / viewAtTime / viewAtTag / snapshot() read older states, and pruning drops versions no
 * reader can need. On a v1 database those calls throw MvccDisabled.
 */
import { isThenable } from '../assert.js';
import type { Coord } from '../coord/index.js';
import { checkOptionsObject, hexxlaError } from '../errors.js';
import { checkHooks, type Change, type ReadCtx, type WriteCtx } from '../model/context.js';
import type { BatchPutOptions, BatchPutResult, CellInput, RecordHooks } from '../model/types.js';
import { mvccStats, snapshotDiff, type MvccStats, type SnapshotDiff } from '../mvcc/diff.js';
import { RecordReader, RecordWriter } from '../mvcc/records.js';
import {
  deleteSnapshotTag, getSnapshotTag, listSnapshotTags, putSnapshotTag, type SnapshotTag,
} from '../mvcc/snapshot-tags.js';
import { lastCommitTimeMs, recordCommitTime, seqAtTime } from '../mvcc/timeline.js';
import {
  VersionPruner, checkPruneArgs, checkRetention, resolvePruneProfile, suggestedPruneBeforeSeq,
  type PruneProfile, type PruneProfileName,
} from '../mvcc/prune.js';
import { checkReadSeq, raisePruneFloor, readPruneFloor } from '../mvcc/prune-floor.js';
import { backupTo, type BackupOptions, type BackupResult } from '../ops/backup.js';
import { swapCompacted } from '../ops/swap.js';
import { rotateOnline, type RotateOnlineOptions } from '../ops/rotate-online.js';
import type {
  EncryptionCredentials, RotateEncryptionResult,
} from '../storage/crypto/index.js';
import type { BackupLease, BackupLeaseOptions } from '../storage/lease.js';
import { compactDatabase, type CompactOptions, type CompactResult } from '../ops/compact.js';
import { healthCheck, type HealthOptions, type HealthReport } from '../model/health.js';
import { ChangelogLink } from '../changelog/attach.js';
import type { ChangelogFilter } from '../changelog/changelog.js';
import type { ChangelogEntry, ChangelogFrame } from '../changelog/format.js';
import type { SubscribeOptions } from '../changelog/subscribe.js';
import { snapshotTagKey } from './keys.js';
import { nodeFileSystem } from '../storage/file.js';
import { booleanOption } from '../storage/store-options.js';
import { checkStore } from '../storage/check.js';
import type { CheckOptions, CheckReport } from '../storage/check.js';
import type { Store, StoreStats } from '../storage/store.js';
import { openStore } from '../storage/open-store.js';
import type { StoreOptions } from '../storage/store-options.js';
import type { StoreReadTx, StoreWriteTx } from '../storage/tx.js';
import { snapshotLabelBytesMax, type Cell } from './records.js';
import { checkKeyString } from './records.js';
import { ReadTx, WriteTx } from './tx.js';
import { UlidGenerator } from './ulid.js';
import { runBatchPut } from '../model/batch.js';

export interface OpenOptions extends StoreOptions {
  /**
   * Keep the changelog sidecar `<path>-changelog` (SPEC §7): every committed mutation, readable
   * with readChangelogSince / readChangelogFiltered and live with subscribeChangelog.
   */
  changelog?: boolean;
  /** Validator and after-put hooks (SPEC §3.1); more can be added with Database.hooks. */
  hooks?: RecordHooks;
  /**
   * Retention policy (SPEC §6): commits of history to keep behind the head (the newest commit
   * that changed data; see suggestedPruneBeforeSeq); 0 (the default)
   * means no suggestion. Only advice: suggestedPruneBeforeSeq() turns it into a prune point,
   * nothing prunes by itself. A safe integer ≥ 0 (InvalidArgument otherwise); accepted but
   * unused on a v1 database. Change it at run time with setRetainCommitsBehindHead.
   */
  retainCommitsBehindHead?: number;
}
export type DatabaseStats = StoreStats;

/** A pinned MVCC snapshot: reads at one seq until released; pruning keeps what it needs. */
export class Snapshot {
  private released = false;

  constructor(
    private readonly db: Database,
    readonly seq: bigint,
    private readonly unpin: () => void,
  ) {}

  /** Runs `fn` on the snapshot. Throws TxClosed after release(). */
  view<T>(fn: (tx: ReadTx) => T): T {
    if (this.released) throw hexxlaError('TxClosed', 'the snapshot was released');
    return this.db.viewAt(this.seq, fn);
  }

  /** Unpins the snapshot (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.unpin();
  }
}

/** A live swap or rotation as Database.replaceStore runs it (see there). */
type ReplaceRun<R extends { store: Store }> = (hooks: {
  beforeFiles: () => void;
  afterReopen: (next: Store) => Promise<void>;
}) => Promise<R>;

export class Database {
  private readonly ulids = new UlidGenerator();
  private hookSet: RecordHooks;
  /** Time stamped on the previous write transaction: commit times never go backwards. */
  private lastTimeMs: number;
  private readonly pins = new Map<number, bigint>();
  private pinCounter = 0;
  /** Retention in commits behind the head (0: no suggestion). */
  private retention = 0;
  /** Owns the prune cursor, so repeated passes resume instead of rescanning. */
  private readonly pruner = new VersionPruner({
    update: (fn) => this.store.update(fn),
    protectedSeqs: (w) => this.protectedSeqsIn(w),
    raiseFloor: (w, seq) => {
      // Capped at the data head: prune and tag commits add no version, so a pass before any
      // later seq removes exactly what one before the data head does. Raised here, before the
      // commit is durable, so a pin or read racing the commit is refused.
      const dataHead = seqAtTime(w, Number.MAX_SAFE_INTEGER);
      const floor = raisePruneFloor(w, seq < dataHead ? seq : dataHead);
      if (floor > this.floor) this.floor = floor;
    },
  });
  /** The prune floor (src/mvcc/prune-floor.ts): loaded at open, raised by prune steps. */
  private floor = 0n;
  /** The live swap or rotation running now (replaceStore), so that a second one queues. */
  private replacing: Promise<unknown> | null = null;

  private constructor(
    private store: Store,
    options: OpenOptions,
    private link: ChangelogLink | null,
  ) {
    this.hookSet = { ...options.hooks };
    this.retention = options.retainCommitsBehindHead ?? 0;
    this.lastTimeMs = Number(store.commitTimeMs);
    if (this.mvcc) {
      const t = store.view((tx) => lastCommitTimeMs(tx));
      if (t !== undefined && t > this.lastTimeMs) this.lastTimeMs = t;
      this.floor = store.view((tx) => readPruneFloor(tx));
    }
  }

  /** Opens or creates the database at `path` (and `<path>-wal` beside it). */
  static async open(path: string, options: OpenOptions = {}): Promise<Database> {
    if (typeof options !== 'object' || options === null) {
      throw hexxlaError('InvalidArgument', 'options must be an object');
    }
    const { hooks, retainCommitsBehindHead: retain, changelog, ...storeOptions } = options;
    // All before any file is opened.
    if (retain !== undefined) checkRetention(retain);
    booleanOption('changelog', changelog, false);
    if (hooks !== undefined) checkHooks(hooks);
    const store = await openStore(path, storeOptions);
    let link: ChangelogLink | null = null;
    if (changelog === true) {
      try {
        link = await ChangelogLink.open(store, storeOptions.fs ?? nodeFileSystem);
      } catch (err) {
        // The changelog's error is the one to report; a failing close must not replace it.
        await store.close().catch(() => undefined);
        throw err;
      }
    }
    return new Database(store, options, link);
  }

  get path(): string {
    return this.store.path;
  }

  /** True for format v2 (MVCC), fixed at creation. */
  get mvcc(): boolean {
    return this.store.identity.formatVersion >= 2;
  }

  /** Page size in bytes, fixed at creation. */
  pageSize(): number {
    return this.store.pageSize;
  }

  /** Largest value in bytes, fixed at creation. */
  maxValueBytes(): number {
    return this.store.maxValueBytes;
  }

  /** Seq of the newest durable commit (0 for a new database). */
  commitSeq(): bigint {
    return this.store.commitSeq;
  }

  /** The hooks in force; replace them with setHooks. */
  get hooks(): RecordHooks {
    return this.hookSet;
  }

  /**
   * Replaces the hooks (takes effect for transactions that start afterwards). Throws
   * InvalidArgument for a hook that is not a function.
   */
  setHooks(hooks: RecordHooks): void {
    checkHooks(hooks);
    this.hookSet = { ...hooks };
  }

  /**
   * Runs `fn` on a read-only snapshot of the newest durable commit and returns its result. `fn`
   * must be synchronous; the transaction is unusable after it returns (TxClosed). Throws
   * DatabaseClosed after close().
   */
  view<T>(fn: (tx: ReadTx) => T): T {
    checkCallback(fn, 'view');
    return this.store.view((tx) => fn(this.readTx(tx, this.store.commitSeq)));
  }

  /**
   * Runs `fn` on the state as of commit `seq`. Throws MvccDisabled, ReadSeqFuture, ReadSeqPruned
   * (an unprotected seq below the prune floor, see pruneFloor).
   */
  viewAt<T>(seq: bigint, fn: (tx: ReadTx) => T): T {
    this.requireMvcc('viewAt');
    if (typeof seq !== 'bigint' || seq < 0n) {
      throw hexxlaError('InvalidArgument', 'seq must be a non-negative bigint');
    }
    return this.store.view((tx) => {
      const head = this.store.commitSeq;
      if (seq > head) {
        throw hexxlaError('ReadSeqFuture', `seq ${seq} is after the head ${head}`,
          { seq, head });
      }
      this.checkNotPruned(tx, seq);
      return fn(this.readTx(tx, seq));
    });
  }

  /**
   * Runs `fn` on the newest commit at or before `timeMs` (empty before the first commit). Throws
   * ReadSeqPruned when that seq is unprotected and below the prune floor.
   */
  viewAtTime<T>(timeMs: number, fn: (tx: ReadTx) => T): T {
    this.requireMvcc('viewAtTime');
    if (!Number.isSafeInteger(timeMs)) {
      throw hexxlaError('InvalidArgument', 'timeMs must be an integer');
    }
    return this.store.view((tx) => {
      const seq = seqAtTime(tx, timeMs);
      this.checkNotPruned(tx, seq);
      return fn(this.readTx(tx, seq));
    });
  }

  /** Seq of the newest commit at or before `timeMs` (0n before the first commit). */
  seqAtTime(timeMs: number): bigint {
    this.requireMvcc('seqAtTime');
    if (!Number.isSafeInteger(timeMs)) {
      throw hexxlaError('InvalidArgument', 'timeMs must be an integer');
    }
    return this.store.view((tx) => seqAtTime(tx, timeMs));
  }

  /** Runs `fn` at the seq the tag names. Throws SnapshotTagNotFound. */
  viewAtTag<T>(label: string, fn: (tx: ReadTx) => T): T {
    this.requireMvcc('viewAtTag');
    checkLabel(label);
    return this.store.view((tx) => fn(this.readTx(tx, tagSeq(tx, label))));
  }

  /**
   * Pins the head (or `seq`) as a snapshot that stays readable across awaits until released;
   * pruning keeps every version it can see.
   */
  snapshot(seq?: bigint): Snapshot {
    this.requireMvcc('snapshot');
    const at = seq ?? this.store.commitSeq;
    this.viewAt(at, () => undefined); // validates seq (ReadSeqFuture, closed database)
    const id = ++this.pinCounter;
    this.pins.set(id, at);
    return new Snapshot(this, at, () => this.pins.delete(id));
  }

  /**
   * The prune floor: the largest (clamped) beforeSeq of any prune pass that removed a row, 0n
   * before the first. Reads at unprotected seqs below it throw ReadSeqPruned (docs/mvcc.md).
   */
  pruneFloor(): bigint {
    return this.floor;
  }

  /** Seqs that pruning must keep readable: pinned snapshots and snapshot tags. */
  protectedSeqs(): bigint[] {
    const tags = this.mvcc ? this.store.view((tx) => listSnapshotTags(tx).map((t) => t.seq)) : [];
    return [...this.pins.values(), ...tags];
  }

  /**
   * Pins `seq` for an engine task (compaction, backup); returns the unpin function. Throws
   * ReadSeqPruned for an unprotected seq below the prune floor (its history may be gone).
   */
  pinSeq(seq: bigint): () => void {
    if (seq < this.floor) this.store.view((tx) => this.checkNotPruned(tx, seq));
    const id = ++this.pinCounter;
    this.pins.set(id, seq);
    return () => this.pins.delete(id);
  }

  /** Names the current head seq `label` (overwrites). Returns the seq tagged. */
  async tagSnapshot(label: string): Promise<bigint> {
    this.requireMvcc('tagSnapshot');
    checkLabel(label);
    return this.logged(this.store.update((tx) => {
      const seq = tx.state.commitSeq;
      putSnapshotTag(tx, label, seq);
      const value = new Uint8Array(8);
      new DataView(value.buffer).setBigUint64(0, seq);
      this.link?.stage(seq + 1n, Date.now(), [{ op: 'tagSnapshot', key: snapshotTagKey(label),
        value }]);
      return seq;
    }));
  }

  /** Seq of a tag. Throws SnapshotTagNotFound. */
  snapshotTag(label: string): bigint {
    this.requireMvcc('snapshotTag');
    checkLabel(label);
    return this.store.view((tx) => tagSeq(tx, label));
  }

  /** Every tag, sorted by label. */
  listSnapshotTags(): SnapshotTag[] {
    this.requireMvcc('listSnapshotTags');
    return this.store.view((tx) => listSnapshotTags(tx));
  }

  /** Deletes a tag (the data stays). Returns whether it existed. */
  deleteSnapshotTag(label: string): Promise<boolean> {
    this.requireMvcc('deleteSnapshotTag');
    checkLabel(label);
    return this.logged(this.store.update((tx) => {
      const existed = deleteSnapshotTag(tx, label);
      if (existed) {
        this.link?.stage(tx.state.commitSeq + 1n, Date.now(),
          [{ op: 'deleteSnapshotTag', key: snapshotTagKey(label) }]);
      }
      return existed;
    }));
  }

  /** Cells added, modified and removed between seqs `a` and `b` (a ≤ b). ReadSeqPruned. */
  snapshotDiff(a: bigint, b: bigint): SnapshotDiff {
    this.requireMvcc('snapshotDiff');
    return this.store.view((tx) => {
      const head = this.store.commitSeq;
      for (const seq of [a, b]) {
        if (typeof seq !== 'bigint' || seq < 0n) {
          throw hexxlaError('InvalidArgument', 'seqs must be non-negative bigints');
        }
        if (seq > head) {
          throw hexxlaError('ReadSeqFuture', `seq ${seq} is after the head ${head}`, { seq, head });
        }
        this.checkNotPruned(tx, seq);
      }
      return snapshotDiff(tx, a, b);
    });
  }

  /** Head seq, live cell count and versioned row count. */
  statsMVCC(): MvccStats {
    this.requireMvcc('statsMVCC');
    return this.store.view((tx) => mvccStats(tx, this.store.commitSeq));
  }

  /** The retention policy in commits behind the head (0: no suggestion). */
  retainCommitsBehindHead(): number {
    return this.retention;
  }

  /** Changes the retention policy (a safe integer ≥ 0; InvalidArgument otherwise). */
  setRetainCommitsBehindHead(commits: number): void {
    this.retention = checkRetention(commits);
  }

  /**
   * The prune point the retention policy suggests: max(0, head − retention), or 0n when the
   * retention is 0. "Head" here is the newest durable commit that changed data (the newest
   * timeline entry): commits that only prune or only change tags do not move it, or every
   * productive prune pass would push the prune point one commit further and a scheduler would
   * eat the retained history pass by pass. Throws MvccDisabled on a v1 database.
   */
  suggestedPruneBeforeSeq(): bigint {
    this.requireMvcc('suggestedPruneBeforeSeq');
    return suggestedPruneBeforeSeq(this.dataHeadSeq(), this.retention);
  }

  /**
   * One bounded prune pass (SPEC §6; rules in src/mvcc/prune.ts and docs/mvcc.md): removes at
   * most `maxDelete` (1 … 100,000) record versions with seq < `beforeSeq` that are shadowed
   * by a newer version ≤ beforeSeq and that no open snapshot, snapshot tag or engine pin can
   * see, and tombstones (seq ≤ beforeSeq) with nothing older left. Reads at every seq ≥
   * beforeSeq and at every protected seq are unchanged; once a pass removes a row, reads below
   * beforeSeq at unprotected seqs throw ReadSeqPruned (see pruneFloor). A `beforeSeq` after the
   * head is clamped to the head (the newest durable commit): nothing after it may be pruned.
   * Resolves with the rows removed; passes resume where the previous one stopped; 0 means a
   * full scan found nothing, so call again until 0. A pass that removes rows commits (and takes
   * a commit seq) without changing any record or adding a timeline entry, and raises the prune
   * floor in that commit. Throws MvccDisabled (v1), InvalidArgument, DatabaseClosed.
   */
  pruneCellVersions(beforeSeq: bigint, maxDelete: number): Promise<number> {
    this.requireMvcc('pruneCellVersions');
    checkPruneArgs(beforeSeq, maxDelete);
    const head = this.store.commitSeq;
    return this.pruner.prune(beforeSeq > head ? head : beforeSeq, maxDelete);
  }

  /**
   * One pass with a prune profile's numbers (default 'balanced'): prunes before max(0, data
   * head − profile retention) (see suggestedPruneBeforeSeq), removing at most the profile's
   * per-pass bound. Throws MvccDisabled, InvalidArgument (unknown or invalid profile).
   */
  pruneByProfile(profile: PruneProfileName | PruneProfile = 'balanced'): Promise<number> {
    this.requireMvcc('pruneByProfile');
    const p = resolvePruneProfile(profile);
    const beforeSeq = suggestedPruneBeforeSeq(this.dataHeadSeq(), p.retainCommitsBehindHead);
    return this.pruner.prune(beforeSeq, p.maxDeletePerPass);
  }

  /**
   * Runs `fn` as the only writer; resolves with its result once the commit is durable. Concurrent
   * calls queue and share fsyncs (group commit). Rejects with fn's error (rolled back),
   * DatabaseClosed, DatabasePoisoned (after an fsync failure), or DiskFull (nothing committed).
   */
  update<T>(fn: (tx: WriteTx) => T): Promise<T> {
    if (typeof fn !== 'function') {
      return Promise.reject(hexxlaError('InvalidArgument', 'update needs a callback function'));
    }
    const after: (() => void)[] = [];
    let ran = false;
    const committed = this.store.update((tx) => {
      ran = true;
      after.length = 0;
      const changes: Change[] = [];
      const ctx = this.writeCtx(tx, after, changes);
      const value = fn(new WriteTx(tx, this.store.maxValueBytes, ctx));
      if (this.mvcc && tx.dirty.size > 0) recordCommitTime(tx, ctx.records.writeSeq, ctx.nowMs);
      this.link?.stage(ctx.records.writeSeq, ctx.nowMs, changes);
      return value;
    });
    // The store ran the callback at once (no writer to wait for) and it left no hook and there is
    // no changelog to settle: the store's promise is the answer, without an async layer here.
    if (ran && after.length === 0 && this.link === null) return committed;
    return this.settleUpdate(committed, after);
  }

  /** The rest of update: settles the changelog, then runs the afterCommit hooks. */
  private async settleUpdate<T>(committed: Promise<T>, after: (() => void)[]): Promise<T> {
    const result = await (this.link === null ? committed : this.logged(committed));
    for (const hook of after) {
      try {
        const done: unknown = hook();
        // An async hook: its rejection goes to onHookError too, never unhandled (a crash).
        if (isThenable(done)) {
          (done as PromiseLike<unknown>).then(undefined, (err) => this.reportHookError(err));
        }
      } catch (err) {
        this.reportHookError(err);
      }
    }
    return result;
  }

  private reportHookError(err: unknown): void {
    try {
      const handled: unknown = this.hookSet.onHookError?.(err);
      // An async handler that rejects: its rejection, unhandled, would crash the process.
      if (isThenable(handled)) {
        (handled as PromiseLike<unknown>).then(undefined, () => undefined);
      }
    } catch {
      // The commit is durable: a failing error handler must not make it look failed (a caller
      // would retry a write that landed) nor skip the remaining hooks.
    }
  }

  /** Alias of update (bbolt's name for a write that shares its fsync with others). */
  batch<T>(fn: (tx: WriteTx) => T): Promise<T> {
    return this.update(fn);
  }

  /** Puts one cell in its own commit. */
  putCell(input: CellInput): Promise<Cell> {
    return this.update((tx) => tx.putCell(input));
  }

  /** The cell at `c` at the head, or undefined. */
  getCell(c: Coord): Cell | undefined {
    return this.view((tx) => tx.getCell(c));
  }

  /** Deletes one cell (with its cascade) in its own commit. */
  deleteCell(c: Coord): Promise<boolean> {
    return this.update((tx) => tx.deleteCell(c));
  }

  /** Puts many cells, `batchSize` per commit, with progress and optional per-item errors. */
  putCells(inputs: readonly CellInput[], options?: BatchPutOptions): Promise<BatchPutResult> {
    return runBatchPut(this, inputs, options);
  }

  /** Copies the write-ahead log into the primary file and resets the log. */
  checkpoint(): Promise<void> {
    return this.store.checkpoint();
  }

  /** Counters: commits, fsyncs, group-commit batch size, cache hits, checkpoints. */
  stats(): DatabaseStats {
    return this.store.stats();
  }

  /**
   * Runs the structural check (SPEC §11) over the newest durable commit: tree order and shape,
   * page sizes, overflow chains, freelist, and that every page is used exactly once. Corruption
   * is reported in the result (`ok` false, `errors`), never thrown. Read-only: writers are not
   * blocked. Throws DatabaseClosed after close().
   */
  check(options?: CheckOptions): CheckReport {
    checkOptionsObject(options, 'check options');
    return checkStore(this.store, options);
  }

  /**
   * The health check (SPEC §11) at the head: the structural check plus record-level invariants
   * (counts, orphaned seams, index consistency). Findings are in the report, never thrown; one
   * synchronous scan of the whole database (see src/model/health.ts).
   */
  healthCheck(options: HealthOptions & { verifyValues?: boolean } = {}): HealthReport {
    checkOptionsObject(options, 'health check options');
    const structure = (): CheckReport => this.check({
      ...(options.errorsMax === undefined ? {} : { errorsMax: options.errorsMax }),
      ...(options.verifyValues === undefined ? {} : { verifyValues: options.verifyValues }) });
    return this.store.view((tx) =>
      healthCheck(new RecordReader(tx, this.mvcc, this.store.commitSeq), structure, options));
  }

  /**
   * Online compaction (SPEC §8): copies the live content of one snapshot into a new packed file
   * at `dest` while writers continue (MVCC: the head seq is pinned and copied in bounded steps;
   * v1: one synchronous copy). Cancellable with `signal` (the partial file is removed).
   */
  async compact(dest: string, options: CompactOptions = {}): Promise<CompactResult> {
    checkOptionsObject(options, 'compaction options');
    this.store.view(() => undefined); // DatabaseClosed before any file is created
    if (options.swap !== true) return compactDatabase(this, dest, options);
    // The compacted file has a new file id and SPEC §7 does not carry the changelog over: the
    // old log is closed (the swap removes it) and a fresh one starts on the new store.
    const { swap: _swap, fs: _fs, ...rest } = options;
    return this.replaceStore((hooks) =>
      swapCompacted(this.store, { ...rest, tempPath: dest }, hooks));
  }

  /**
   * Online key rotation (SPEC §4.4): re-encrypts the whole database under `newCredentials` while
   * readers continue and writers wait, crash-safe (the old file stays valid until the new one is
   * complete). The changelog, sealed under the old key, is removed and restarted only when
   * `discardChangelog` is given (else PreconditionFailed). InvalidArgument for a plain database;
   * after a failure the handle refuses writes (reopen it).
   */
  async rotateEncryption(newCredentials: EncryptionCredentials,
    options: RotateOnlineOptions = {}): Promise<RotateEncryptionResult> {
    this.store.view(() => undefined);
    if (this.link !== null && options.discardChangelog !== true) {
      throw hexxlaError('PreconditionFailed', 'the changelog is sealed under the old key: pass ' +
        'discardChangelog to rotate (the log restarts empty)', { path: this.path });
    }
    return this.replaceStore((hooks) =>
      rotateOnline(this.store, newCredentials, options, hooks));
  }

  /**
   * Starts a backup lease (SPEC §9): reports the primary's and the log's byte ranges that form a
   * consistent copy at `commitSeq` and keeps the primary stable (no checkpoint) until the lease
   * ends or its TTL expires. While a lease is held, checkpoint() fails with PreconditionFailed.
   */
  beginBackupLease(options?: BackupLeaseOptions): Promise<BackupLease> {
    checkOptionsObject(options, 'lease options');
    return this.store.beginBackupLease(options);
  }

  /** Extends a lease's TTL. Throws NotFound for an unknown or expired lease. */
  renewBackupLease(id: string, options?: BackupLeaseOptions): BackupLease {
    checkOptionsObject(options, 'lease options');
    return this.store.renewBackupLease(id, options);
  }

  /** Ends a lease; returns whether it was held. */
  endBackupLease(id: string): boolean {
    return this.store.endBackupLease(id);
  }

  /**
   * Hot backup (SPEC §9) into `dir`: a consistent compacted copy of one snapshot, an empty paired
   * log and a manifest (files, sizes, SHA-256, commit seq, pair id). Writers continue.
   */
  backupTo(dir: string, options: BackupOptions = {}): Promise<BackupResult> {
    checkOptionsObject(options, 'backup options');
    this.store.view(() => undefined);
    return backupTo(this, dir, options);
  }

  /** Waits for in-flight commits, checkpoints and closes the files. Idempotent. */
  async close(): Promise<void> {
    try {
      await this.store.close();
    } finally {
      this.link?.close(); // also when closing a file failed: subscriptions end, the log closes
    }
  }

  /**
   * The seq the changelog starts after (0 when it holds every commit; later when it was turned on
   * for an existing database or restarted by a swap or a key rotation). Reading from an earlier
   * seq throws PreconditionFailed.
   */
  changelogStartSeq(): bigint {
    return this.changelog('changelogStartSeq').startSeq;
  }

  /** Changelog entries of commits after `seq` (at most `limit`). Throws ChangelogDisabled. */
  readChangelogSince(seq: bigint, limit?: number): ChangelogEntry[] {
    return this.changelog('readChangelogSince').readSince(seq, limit);
  }

  /** Like readChangelogSince, keeping entries whose op and key prefix match `filter`. */
  readChangelogFiltered(seq: bigint, filter: ChangelogFilter = {}): ChangelogEntry[] {
    return this.changelog('readChangelogFiltered').readFiltered(seq, filter);
  }

  /**
   * Commits after `fromSeq` from the changelog, then new ones as they become durable: one frame
   * per commit, in order, each once. A reader that falls `bufferFrames` commits behind is cut off
   * with SubscriberLagging (`resumeSeq`). Ends when the database closes or `signal` aborts; a
   * live swap or key rotation, which restarts the changelog, does not end it.
   */
  subscribeChangelog(fromSeq: bigint, options?: SubscribeOptions):
    AsyncGenerator<ChangelogFrame> {
    return this.changelog('subscribeChangelog').subscribe(fromSeq, options, async () => {
      // The log closed: after a replacement, follow the one it opened; after close(), none.
      while (this.replacing !== null) await this.replacing.catch(() => undefined);
      return this.link?.log ?? null;
    });
  }

  /**
   * Runs a live swap or rotation, which replaces the store's files under its writer gate, and
   * points this handle at the store it returns. The changelog is closed just before the files
   * change and reopened on the new store still under the gate, so no waiting writer commits
   * without it; if the operation fails, the old files are still in use (or the handle was
   * poisoned) and their log is opened again.
   */
  private async replaceStore<R extends { store: Store }>(run: ReplaceRun<R>):
    Promise<Omit<R, 'store'>> {
    // One replacement at a time. A second one that started while the first ran would otherwise
    // work on the store and changelog the first retired (its callbacks close over them): it
    // removed the new store's log and changelog and left this handle committing to unlinked
    // files, so every later acknowledged commit was lost at the next open. Queued, it starts
    // from the store the first left (`run` reads this.store when called).
    while (this.replacing !== null) await this.replacing.catch(() => undefined);
    const work = this.replaceStoreNow(run);
    this.replacing = work;
    try {
      return await work;
    } finally {
      if (this.replacing === work) this.replacing = null;
    }
  }

  private async replaceStoreNow<R extends { store: Store }>(run: ReplaceRun<R>):
    Promise<Omit<R, 'store'>> {
    const link = this.link;
    const fs = this.store.reopenOptions().fs ?? nodeFileSystem;
    let done: R;
    try {
      done = await run({
        beforeFiles: () => link?.close(),
        afterReopen: async (next) => {
          this.link = link === null ? null : await ChangelogLink.open(next, fs);
          if (link !== null) link.log.replacedBy = this.link!.log;
        },
      });
    } catch (err) {
      if (link !== null && link.log.isClosed && this.link === link) {
        this.link = await ChangelogLink.open(this.store, fs).catch(() => link);
        if (this.link !== link) link.log.replacedBy = this.link.log;
      }
      throw err;
    }
    const { store, ...result } = done;
    this.store = store;
    return result;
  }

  private changelog(call: string): ChangelogLink {
    this.store.view(() => undefined); // DatabaseClosed first
    if (this.link === null) {
      throw hexxlaError('ChangelogDisabled', `${call} needs the changelog (open with ` +
        'changelog: true)', { path: this.path });
    }
    return this.link;
  }

  /** Settles the changelog after a commit attempt: publish on success, drop staged on failure. */
  private async logged<T>(commit: Promise<T>): Promise<T> {
    if (this.link === null) return commit;
    try {
      const result = await commit;
      this.link.settle(true);
      return result;
    } catch (err) {
      this.link.settle(false);
      throw err;
    }
  }

  /** The storage engine under this handle (for the engine's own modules and checks). */
  get storage(): Store {
    return this.store;
  }

  /** Seq of the newest durable commit that changed data (0n: none). */
  private dataHeadSeq(): bigint {
    return this.store.view((tx) => seqAtTime(tx, Number.MAX_SAFE_INTEGER));
  }

  /** protectedSeqs() as the writing transaction sees them (tags not yet durable included). */
  private protectedSeqsIn(tx: StoreWriteTx): bigint[] {
    return [...this.pins.values(), ...listSnapshotTags(tx).map((t) => t.seq)];
  }

  /**
   * ReadSeqPruned unless a read at `seq` is exact: seq ≥ the floor (capped at the head: a
   * compacted copy may hold a floor above its head S, and reads at S, pinned during the copy,
   * are exact), or seq is pinned or tagged.
   */
  private checkNotPruned(tx: StoreReadTx, seq: bigint): void {
    const head = this.store.commitSeq;
    checkReadSeq(seq, this.floor < head ? this.floor : head, (s) =>
      [...this.pins.values()].includes(s) || listSnapshotTags(tx).some((t) => t.seq === s));
  }

  private requireMvcc(call: string): void {
    if (!this.mvcc) {
      throw hexxlaError('MvccDisabled', `${call} needs MVCC (open a new database with mvcc: true)`,
        { path: this.path });
    }
  }

  private readTx(tx: StoreReadTx, seq: bigint): ReadTx {
    const ctx: ReadCtx = { records: new RecordReader(tx, this.mvcc, seq) };
    return new ReadTx(tx, ctx);
  }

  private writeCtx(tx: StoreWriteTx, after: (() => void)[], changes: Change[]): WriteCtx {
    const nowMs = Math.max(Date.now(), this.lastTimeMs);
    this.lastTimeMs = nowMs;
    return new TxWriteCtx(new RecordWriter(tx, this.mvcc, this.store.maxValueBytes),
      this.hookSet, nowMs, this.ulids, after, changes);
  }
}

/**
 * The context of one update. A class, not an object literal with arrow functions: under tsx
 * (esbuild keepNames) every named arrow created per call costs an Object.defineProperty.
 */
class TxWriteCtx implements WriteCtx {
  constructor(
    readonly records: RecordWriter,
    readonly hooks: RecordHooks,
    readonly nowMs: number,
    readonly ulids: UlidGenerator,
    private readonly after: (() => void)[],
    private readonly changes: Change[],
  ) {}

  afterCommit(fn: () => void): void {
    this.after.push(fn);
  }

  change(entry: Change): void {
    this.changes.push(entry);
  }
}

function checkCallback(fn: unknown, call: string): void {
  if (typeof fn !== 'function') {
    throw hexxlaError('InvalidArgument', `${call} needs a callback function`);
  }
}

function checkLabel(label: string): void {
  checkKeyString(label, 'snapshot tag label', snapshotLabelBytesMax);
}

function tagSeq(tx: StoreReadTx, label: string): bigint {
  const seq = getSnapshotTag(tx, label);
  if (seq === undefined) {
    throw hexxlaError('SnapshotTagNotFound', `no snapshot tag "${label}"`, { label });
  }
  return seq;
}

/** Opens or creates the database at `path`. See OpenOptions. */
export function open(path: string, options?: OpenOptions): Promise<Database> {
  return Database.open(path, options);
}

