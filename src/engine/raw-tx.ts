/**
 * The raw byte-key transaction API of the public library (SPEC §4.3).
 *
 * User keys live in their own namespace of the tree (prefix byte 0x00), apart from the engine's
 * record families, so raw writes can never damage cells, indexes or MVCC bookkeeping. Under MVCC
 * raw keys are not versioned: time-travel reads do not see their history.
 */
import { hexxlaError } from '../errors.js';
import { keyBytesMax } from '../limits.js';
import { allocBytes } from '../storage/bytes.js';
import type { Entry, RangeOptions, StoreReadTx, StoreWriteTx } from '../storage/tx.js';

/** Namespace byte of raw user keys inside the tree. Engine families use other bytes. */
export const rawKeyPrefix = 0x00;

export type { Entry, RangeOptions };

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) {
    throw hexxlaError('InvalidArgument', 'keys must be Uint8Array');
  }
  if (key.length === 0) throw hexxlaError('InvalidArgument', 'keys must not be empty');
  if (key.length > keyBytesMax) {
    throw hexxlaError('KeyTooLarge', `key of ${key.length} bytes exceeds ${keyBytesMax}`,
      { bytes: key.length, limit: keyBytesMax });
  }
}

/** `key` under the raw namespace prefix, in a fresh array. */
function prefixed(key: Uint8Array): Uint8Array {
  const out = allocBytes(key.length + 1);
  out[0] = rawKeyPrefix;
  out.set(key, 1);
  return out;
}

function treeKey(key: Uint8Array): Uint8Array {
  checkKey(key);
  return prefixed(key);
}

/** Bounds of the raw namespace for scans. */
const namespaceStart = Uint8Array.of(rawKeyPrefix);
const namespaceEnd = Uint8Array.of(rawKeyPrefix + 1);

/** A scan bound: like treeKey, except that an empty key is allowed (the namespace start). */
function boundKey(key: Uint8Array | undefined, fallback: Uint8Array): Uint8Array {
  if (key === undefined) return fallback;
  if (!(key instanceof Uint8Array) || key.length > keyBytesMax) checkKey(key);
  return prefixed(key);
}

/** Read operations on raw keys. Valid only inside the view/update callback. */
export class ReadTx {
  constructor(protected readonly tx: StoreReadTx | StoreWriteTx) {}

  /** The value of `key` (a fresh copy), or undefined. Throws KeyTooLarge / InvalidArgument. */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.tx.get(treeKey(key));
  }

  has(key: Uint8Array): boolean {
    return this.tx.has(treeKey(key));
  }

  /**
   * Entries with start ≤ key < end in key order (reverse: descending), at most `limit`. Keys and
   * values are fresh copies. Writing inside the loop of an update is allowed: the iterator
   * continues after the last key it returned.
   */
  *range(opts: RangeOptions = {}): Generator<Entry> {
    if (opts.limit !== undefined && (!Number.isSafeInteger(opts.limit) || opts.limit < 0)) {
      throw hexxlaError('InvalidArgument', 'range limit must be a non-negative integer');
    }
    const inner = this.tx.range({
      start: boundKey(opts.start, namespaceStart),
      end: boundKey(opts.end, namespaceEnd),
      ...(opts.reverse === undefined ? {} : { reverse: opts.reverse }),
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
    });
    for (const [key, value] of inner) yield [key.subarray(1), value];
  }
}

/** Read and write operations on raw keys. Valid only inside the update callback. */
export class WriteTx extends ReadTx {
  constructor(
    private readonly writer: StoreWriteTx,
    private readonly maxValueBytes: number,
  ) {
    super(writer);
  }

  /** Stores `value` under `key` (both copied). Throws KeyTooLarge, ValueTooLarge, TxClosed. */
  put(key: Uint8Array, value: Uint8Array): void {
    const k = treeKey(key);
    if (!(value instanceof Uint8Array)) {
      throw hexxlaError('InvalidArgument', 'values must be Uint8Array');
    }
    if (value.length > this.maxValueBytes) {
      throw hexxlaError('ValueTooLarge', `value of ${value.length} bytes exceeds the database ` +
        `limit of ${this.maxValueBytes}`, { bytes: value.length, limit: this.maxValueBytes });
    }
    this.writer.putOwnedKey(k, value);
  }

  /** Deletes `key`; returns whether it existed. */
  delete(key: Uint8Array): boolean {
    return this.writer.delete(treeKey(key));
  }
}
