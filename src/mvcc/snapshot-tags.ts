/**
 * Snapshot tags (family 0x41): names for commit seqs (SPEC §5).
 *
 * Key `snapshotTagKey(label)`, value the seq as u64 big-endian (8 bytes). Bookkeeping, not
 * versioned: re-tagging overwrites in place and deleting a tag removes its key (the data it named
 * stays). Labels are validated by snapshotTagKey (1 … 200 UTF-8 bytes, else InvalidArgument).
 */
import { decodeSnapshotTagKey, familyPrefix, prefixEnd, seqMax, snapshotTagKey }
  from '../engine/keys.js';
import { hexxlaError } from '../errors.js';
import { compareBytes } from '../storage/page.js';
import type { StoreReadTx, StoreWriteTx } from '../storage/tx.js';

export type { SnapshotTag } from '../types/mvcc.js';
import type { SnapshotTag } from '../types/mvcc.js';

const seqBytes = 8;
const familyStart = familyPrefix('snapshotTag');
const familyEnd = prefixEnd(familyStart);

function encodeSeq(seq: bigint): Uint8Array {
  if (typeof seq !== 'bigint' || seq < 0n || seq > seqMax) {
    throw hexxlaError('InvalidArgument', 'a snapshot tag seq must be a bigint in [0, 2^64 - 1]',
      { seq: String(seq) });
  }
  const out = new Uint8Array(seqBytes);
  new DataView(out.buffer).setBigUint64(0, seq);
  return out;
}

function decodeSeq(value: Uint8Array, label: string): bigint {
  if (value.length !== seqBytes) {
    throw hexxlaError('CorruptDatabase', 'snapshot tag value is not an 8-byte seq',
      { label, length: value.length });
  }
  return new DataView(value.buffer, value.byteOffset, seqBytes).getBigUint64(0);
}

const utf8 = new TextEncoder();

/** Names `seq` `label`, overwriting an existing tag of that label. */
export function putSnapshotTag(w: StoreWriteTx, label: string, seq: bigint): void {
  const key = snapshotTagKey(label);
  w.put(key, encodeSeq(seq));
}

/** The seq `label` names, or undefined when there is no such tag. */
export function getSnapshotTag(tx: StoreReadTx | StoreWriteTx,
  label: string): bigint | undefined {
  const value = tx.get(snapshotTagKey(label));
  return value === undefined ? undefined : decodeSeq(value, label);
}

/** Every tag, sorted by label (code point order). */
export function listSnapshotTags(tx: StoreReadTx | StoreWriteTx): SnapshotTag[] {
  const tags: Array<SnapshotTag & { bytes: Uint8Array }> = [];
  const range = tx.range({ start: familyStart, ...(familyEnd === undefined ? {} : {
    end: familyEnd }) });
  for (const [key, value] of range) {
    const label = decodeSnapshotTagKey(key);
    tags.push({ label, seq: decodeSeq(value, label), bytes: utf8.encode(label) });
  }
  // Sorted by the labels' UTF-8 bytes (= code point order, independent of locale), not in key
  // order, which puts shorter labels first.
  tags.sort((a, b) => compareBytes(a.bytes, b.bytes));
  return tags.map(({ label, seq }) => ({ label, seq }));
}

/** Deletes the tag `label` (the data stays). Returns whether it existed. */
export function deleteSnapshotTag(w: StoreWriteTx, label: string): boolean {
  return w.delete(snapshotTagKey(label));
}
