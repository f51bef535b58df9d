/** Version pruning, retention and prune profiles (SPEC §6). */
import { hexxlaError } from '../errors.js';
import type { StoreWriteTx } from '../storage/tx.js';

const todo = (): never => { throw hexxlaError('InvalidArgument', 'not implemented yet'); };

export interface PrunePass {
  /** Versions (and tombstones) removed. */
  readonly removed: number;
  /** Where the next pass resumes (undefined: the scan reached the end and wraps around). */
  readonly resumeAfter: Uint8Array | undefined;
}
/**
 * One bounded pass: removes at most `maxDelete` versions with seq < `beforeSeq` that no reader
 * at a seq ≥ beforeSeq or at one of `protectedSeqs` can see, starting after `resumeAfter`.
 */
export function pruneVersions(_w: StoreWriteTx, _beforeSeq: bigint, _maxDelete: number,
  _protectedSeqs: readonly bigint[], _resumeAfter?: Uint8Array): PrunePass { return todo(); }
