/**
 * What the record operations (cells.ts, facets.ts, edges.ts, seams.ts, ring-walk.ts) work on:
 * a versioned record reader or writer (src/mvcc/records.ts), plus, for writes, the commit's
 * time, the seam id generator, the hooks and the changelog sink. One context per transaction.
 */
import type { RecordReader, RecordWriter } from '../mvcc/records.js';
import type { UlidGenerator } from '../engine/ulid.js';
import type { RecordHooks } from './types.js';

export { changeOps, type ChangeOp } from '../types/changelog.js';
import type { ChangeOp } from '../types/changelog.js';

/** One logical mutation of a commit, as the changelog records it. */
export interface Change {
  readonly op: ChangeOp;
  /** The primary record's logical key (e.g. cellKey(coord)). */
  readonly key: Uint8Array;
  /** The encoded record for puts; undefined for deletes. */
  readonly value?: Uint8Array;
}

/** Read side: records as of one snapshot. */
export interface ReadCtx {
  readonly records: RecordReader;
}

/** Write side: one update transaction. */
export interface WriteCtx extends ReadCtx {
  readonly records: RecordWriter;
  readonly hooks: RecordHooks;
  /** Wall-clock time (ms) stamped on records written by this transaction; one value per tx. */
  readonly nowMs: number;
  /** Seam ids (strictly increasing within the process). */
  readonly ulids: UlidGenerator;
  /** Runs `fn` after the commit is durable (after-put hooks); never if it rolls back. */
  afterCommit(fn: () => void): void;
  /** Records one logical mutation for the changelog (one call per operation). */
  change(entry: Change): void;
}
