/** The commit-time timeline (family 0x40): which seq was head at a wall-clock time (SPEC §5). */
import { hexxlaError } from '../errors.js';
import type { StoreReadTx, StoreWriteTx } from '../storage/tx.js';

const todo = (): never => { throw hexxlaError('InvalidArgument', 'not implemented yet'); };

/** Time (ms) of the newest timeline entry, or undefined when there is none. */
export function lastCommitTimeMs(_tx: StoreReadTx | StoreWriteTx): number | undefined {
  return todo();
}
/** Records that commit `seq` happened at `timeMs` (callers keep times non-decreasing). */
export function recordCommitTime(_w: StoreWriteTx, _seq: bigint, _timeMs: number): void { todo(); }
/** Seq of the newest commit at or before `timeMs`, or 0n when none. */
export function seqAtTime(_tx: StoreReadTx | StoreWriteTx, _timeMs: number): bigint {
  return todo();
}
