/**
 * Snapshot diff and MVCC statistics (SPEC §5).
 *
 * Both walk the raw version rows of the tree (format v2 only): a logical key's versions are
 * adjacent and sorted newest first (inverted seq suffix), so one forward pass sees, per logical
 * key, which version each seq reads and whether any version lies between two seqs.
 */
import type { Coord } from '../coord/index.js';
import { decodeCellKey, familyPrefix, prefixEnd, splitSeq } from '../engine/keys.js';
import { hexxlaError } from '../errors.js';
import { compareBytes } from '../storage/page.js';
import type { StoreReadTx } from '../storage/tx.js';

export type { MvccStats, SnapshotDiff } from '../types/mvcc.js';
import type { MvccStats, SnapshotDiff } from '../types/mvcc.js';

const cellStart = familyPrefix('cell');
const cellEnd = prefixEnd(cellStart) as Uint8Array;
/** Record families are ids 0x10 … 0x3F; 0x40 (timeline) is the first bookkeeping family. */
const versionedStart = Uint8Array.of(0x10);
const versionedEnd = Uint8Array.of(0x40);

/** What one logical key looks like at two seqs a ≤ b, built from its versions newest first. */
class KeyState {
  liveA = false;
  liveB = false;
  private seenA = false;
  private seenB = false;
  /** Some version has a seq in (a, b]. */
  changed = false;

  constructor(
    readonly logical: Uint8Array,
    private readonly a: bigint,
    private readonly b: bigint,
  ) {}

  /** Feeds the next (older) version. */
  add(seq: bigint, live: boolean): void {
    if (!this.seenB && seq <= this.b) {
      this.seenB = true;
      this.liveB = live;
    }
    if (!this.seenA && seq <= this.a) {
      this.seenA = true;
      this.liveA = live;
    }
    if (seq > this.a && seq <= this.b) this.changed = true;
  }
}

/**
 * Cells added (live at b, not at a), removed (live at a, not at b) and modified (live at both,
 * with a version written in (a, b]: a re-put, even with equal content, or a delete and re-put),
 * in cell key order. Throws InvalidArgument when a > b (the caller checks both are ≤ head).
 */
export function snapshotDiff(tx: StoreReadTx, seqA: bigint, seqB: bigint): SnapshotDiff {
  if (seqA > seqB) {
    throw hexxlaError('InvalidArgument', 'snapshotDiff needs seqA <= seqB',
      { seqA: String(seqA), seqB: String(seqB) });
  }
  const added: Coord[] = [];
  const modified: Coord[] = [];
  const removed: Coord[] = [];
  const flush = (s: KeyState | null): void => {
    if (s === null) return;
    if (s.liveB && !s.liveA) added.push(decodeCellKey(s.logical));
    else if (s.liveA && !s.liveB) removed.push(decodeCellKey(s.logical));
    else if (s.liveA && s.liveB && s.changed) modified.push(decodeCellKey(s.logical));
  };
  let state: KeyState | null = null;
  if (seqA !== seqB) {
    for (const [key, value] of tx.range({ start: cellStart, end: cellEnd })) {
      const { logical, seq } = splitSeq(key);
      if (state === null || compareBytes(state.logical, logical) !== 0) {
        flush(state);
        state = new KeyState(logical, seqA, seqB);
      }
      state.add(seq, value.length > 0);
    }
    flush(state);
  }
  return { fromSeq: seqA, toSeq: seqB, added, modified, removed };
}

/** Head seq, live cells at `head`, and every version row (tombstones included) of 0x10 … 0x3F. */
export function mvccStats(tx: StoreReadTx, head: bigint): MvccStats {
  let versionedRows = 0;
  let cellCount = 0;
  let current: Uint8Array | null = null;
  let resolved = false;
  for (const [key, value] of tx.range({ start: versionedStart, end: versionedEnd })) {
    versionedRows++;
    if (compareBytes(key, cellEnd) >= 0) continue;
    const { logical, seq } = splitSeq(key);
    if (current === null || compareBytes(current, logical) !== 0) {
      current = logical;
      resolved = false;
    }
    // Newest first: the first version ≤ head is what the head reads.
    if (!resolved && seq <= head) {
      resolved = true;
      if (value.length > 0) cellCount++;
    }
  }
  return { headSeq: head, cellCount, versionedRows };
}
