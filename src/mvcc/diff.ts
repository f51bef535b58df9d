/** Snapshot diff and MVCC statistics (SPEC §5). */
import type { Coord } from '../coord/index.js';
import { hexxlaError } from '../errors.js';
import type { StoreReadTx } from '../storage/tx.js';

const todo = (): never => { throw hexxlaError('InvalidArgument', 'not implemented yet'); };

export interface SnapshotDiff {
  readonly fromSeq: bigint;
  readonly toSeq: bigint;
  readonly added: Coord[];
  readonly modified: Coord[];
  readonly removed: Coord[];
}
export interface MvccStats {
  readonly headSeq: bigint;
  /** Live cells at head. */
  readonly cellCount: number;
  /** Versioned rows of every record family (all versions and tombstones). */
  readonly versionedRows: number;
}
export function snapshotDiff(_tx: StoreReadTx, _seqA: bigint, _seqB: bigint): SnapshotDiff {
  return todo();
}
export function mvccStats(_tx: StoreReadTx, _head: bigint): MvccStats { return todo(); }
