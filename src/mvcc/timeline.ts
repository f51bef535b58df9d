/**
 * The commit-time timeline (family 0x40): which seq was head at a wall-clock time (SPEC §5).
 *
 * One entry per MVCC commit that changed something: key `0x40 ‖ u64 time ms ‖ u64 seq`, empty
 * value (everything is in the key). The family is bookkeeping, not versioned: entries are written
 * straight into the store transaction. Because the engine keeps commit times non-decreasing as
 * seqs grow, key order is also seq order, and "newest commit at or before t" is the last key below
 * `prefixEnd(timelinePrefix(t))`: one reverse seek.
 */
import { decodeTimelineKey, familyPrefix, prefixEnd, timelineKey, timelinePrefix }
  from '../engine/keys.js';
import type { StoreReadTx, StoreWriteTx } from '../storage/tx.js';

const familyStart = familyPrefix('timeline');
const familyEnd = prefixEnd(familyStart);
const emptyValue = new Uint8Array(0);

/** The newest timeline key strictly below `end` (undefined: none). */
function lastBefore(tx: StoreReadTx | StoreWriteTx, end: Uint8Array | undefined):
  { commitTimeMs: number; seq: bigint } | undefined {
  const range = tx.range({ start: familyStart, ...(end === undefined ? {} : { end }),
    reverse: true, limit: 1 });
  for (const [key] of range) return decodeTimelineKey(key);
  return undefined;
}

/** Time (ms) of the newest timeline entry, or undefined when there is none. */
export function lastCommitTimeMs(tx: StoreReadTx | StoreWriteTx): number | undefined {
  return lastBefore(tx, familyEnd)?.commitTimeMs;
}

/**
 * Records that commit `seq` happened at `timeMs` (callers keep times non-decreasing). Throws
 * InvalidArgument for a time that is not a safe integer ≥ 0 or a seq outside u64.
 */
export function recordCommitTime(w: StoreWriteTx, seq: bigint, timeMs: number): void {
  w.put(timelineKey(timeMs, seq), emptyValue);
}

/**
 * Seq of the newest commit at or before `timeMs`, or 0n when none (before the first commit, or a
 * negative time: the empty snapshot). Several commits in one millisecond: the newest of them.
 */
export function seqAtTime(tx: StoreReadTx | StoreWriteTx, timeMs: number): bigint {
  if (timeMs < 0) return 0n;
  // timeMs ≤ MAX_SAFE_INTEGER (< 2^53), so its u64 never ends in 0xFF bytes only and prefixEnd
  // is defined; timelinePrefix throws InvalidArgument for a non-integer.
  const end = prefixEnd(timelinePrefix(timeMs));
  return lastBefore(tx, end)?.seq ?? 0n;
}
