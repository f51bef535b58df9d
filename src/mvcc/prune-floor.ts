/**
 * The prune floor (docs/mvcc.md "Prune floor"; SPEC §5, §6).
 *
 * A prune pass with point B keeps exact every read at a seq ≥ B and at every protected seq (open
 * snapshots, snapshot tags, engine pins); reads at other seqs below B may lose versions. The
 * floor is the largest clamped B of any pass that removed a row: a read at an unprotected seq
 * below it is refused with ReadSeqPruned instead of answering from a partly pruned history
 * (PostgreSQL's "snapshot too old").
 *
 * Stored as one engine-meta row (family 0xF0, not versioned): key `metaKey('prune-floor')`,
 * value the seq as u64 big-endian. It is written in the write transaction of the prune step that
 * removes rows, so it becomes durable in the same commit as those deletions: after a crash either
 * both or neither are there. An absent row is floor 0 (files written before the floor existed).
 */
import { metaKey, seqMax } from '../engine/keys.js';
import { hexxlaError } from '../errors.js';
import type { StoreReadTx, StoreWriteTx } from '../storage/tx.js';

/** Engine-meta name of the floor row. */
export const pruneFloorMetaName = 'prune-floor';

const floorKey = metaKey(pruneFloorMetaName);
const seqBytes = 8;

/** The stored floor (0n when the row is absent). Throws CorruptDatabase for a bad value. */
export function readPruneFloor(tx: StoreReadTx | StoreWriteTx): bigint {
  const value = tx.get(floorKey);
  if (value === undefined) return 0n;
  if (value.length !== seqBytes) {
    throw hexxlaError('CorruptDatabase', 'the prune floor meta row is not an 8-byte seq',
      { length: value.length });
  }
  return new DataView(value.buffer, value.byteOffset, seqBytes).getBigUint64(0);
}

/**
 * Raises the stored floor to `seq` in the writing transaction (never lowers it). Returns the
 * floor after the call. Called by a prune step that deletes rows, in that step's transaction.
 */
export function raisePruneFloor(w: StoreWriteTx, seq: bigint): bigint {
  const stored = readPruneFloor(w);
  if (seq <= stored) return stored;
  if (seq > seqMax) throw hexxlaError('InvalidArgument', 'a prune floor is a u64 seq');
  const value = new Uint8Array(seqBytes);
  new DataView(value.buffer).setBigUint64(0, seq);
  w.put(floorKey, value);
  return seq;
}

/**
 * Throws ReadSeqPruned when a read at `seq` could see pruned history: `seq` is below `floor`
 * and `isProtected(seq)` is false. `floor` is the caller's effective floor (see Database).
 * Seq 0 is always exact: every version has a seq ≥ 1, so a reader there sees the empty state
 * whatever was pruned (SPEC §5: viewAtTime before the first commit is an empty snapshot).
 */
export function checkReadSeq(seq: bigint, floor: bigint, isProtected: (s: bigint) => boolean):
  void {
  if (seq > 0n && seq < floor && !isProtected(seq)) {
    throw hexxlaError('ReadSeqPruned', `seq ${seq} is below the prune floor ${floor}: its ` +
      'history may have been pruned (read at a seq >= the floor, or protect the seq with a ' +
      'snapshot tag before pruning)', { seq, floor });
  }
}
