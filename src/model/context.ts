/**
 * What the record operations (cells.ts, facets.ts, edges.ts, seams.ts, ring-walk.ts) work on:
 * a versioned record reader or writer (src/mvcc/records.ts), plus, for writes, the commit's
 * time, the seam id generator, the hooks and the changelog sink. One context per transaction.
 */
import { hexxlaError } from '../errors.js';
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

const hookNames = ['validateCell', 'afterPutCell', 'afterPutSeam', 'onHookError'] as const;

/**
 * Throws InvalidArgument unless `hooks` is an object whose hooks are functions (or absent): a
 * malformed one would otherwise surface as a TypeError in the middle of a later put.
 */
export function checkHooks(hooks: unknown): asserts hooks is RecordHooks {
  if (typeof hooks !== 'object' || hooks === null) {
    throw hexxlaError('InvalidArgument', 'hooks must be an object');
  }
  for (const name of hookNames) {
    const fn = (hooks as Record<string, unknown>)[name];
    if (fn !== undefined && typeof fn !== 'function') {
      throw hexxlaError('InvalidArgument', `hooks.${name} must be a function`, { hook: name });
    }
  }
}
