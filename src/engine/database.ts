/**
 * The public database handle of the library (SPEC §4–5, ARCHITECTURE §2).
 *
 * `view(fn)` runs a synchronous read on the newest durable commit. `update(fn)` runs a synchronous
 * write as the only writer and resolves once its commit is durable (fsynced); an exception in `fn`
 * rolls everything back. Later issues add cells, MVCC and the rest on top of this handle.
 */
import { checkStore } from '../storage/check.js';
import type { CheckOptions, CheckReport } from '../storage/check.js';
import type { Store, StoreStats } from '../storage/store.js';
import { openStore } from '../storage/open-store.js';
import type { StoreOptions } from '../storage/store-options.js';
import { ReadTx, WriteTx } from './raw-tx.js';

export type OpenOptions = StoreOptions;
export type DatabaseStats = StoreStats;

export class Database {
  private constructor(private readonly store: Store) {}

  /** Opens or creates the database at `path` (and `<path>-wal` beside it). */
  static async open(path: string, options?: OpenOptions): Promise<Database> {
    return new Database(await openStore(path, options));
  }

  get path(): string {
    return this.store.path;
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

  /**
   * Runs `fn` on a read-only snapshot and returns its result. `fn` must be synchronous; the
   * transaction is unusable after it returns (TxClosed). Throws DatabaseClosed after close().
   */
  view<T>(fn: (tx: ReadTx) => T): T {
    return this.store.view((tx) => fn(new ReadTx(tx)));
  }

  /**
   * Runs `fn` as the only writer; resolves with its result once the commit is durable. Concurrent
   * calls queue and share fsyncs (group commit). Rejects with fn's error (rolled back),
   * DatabaseClosed, DatabasePoisoned (after an fsync failure), or DiskFull (nothing committed).
   */
  update<T>(fn: (tx: WriteTx) => T): Promise<T> {
    const limit = this.store.maxValueBytes;
    return this.store.update((tx) => fn(new WriteTx(tx, limit)));
  }

  /** Alias of update (bbolt's name for a write that shares its fsync with others). */
  batch<T>(fn: (tx: WriteTx) => T): Promise<T> {
    return this.update(fn);
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
    return checkStore(this.store, options);
  }

  /** Waits for in-flight commits, checkpoints and closes the files. Idempotent. */
  close(): Promise<void> {
    return this.store.close();
  }

  /** The storage engine under this handle (for the engine's own modules and checks). */
  get storage(): Store {
    return this.store;
  }
}

/** Opens or creates the database at `path`. See OpenOptions. */
export function open(path: string, options?: OpenOptions): Promise<Database> {
  return Database.open(path, options);
}
