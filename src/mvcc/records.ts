/**
 * Versioned access to engine records (SPEC §5, ARCHITECTURE §3 "MVCC keys").
 *
 * The engine's record families (cells, facets, edges, seams, indexes; src/engine/keys.ts) read and
 * write through these classes, so the same engine code runs on both formats:
 * - format v1 (MVCC off): the tree key is the logical key; a delete removes it;
 * - format v2 (MVCC on): the tree key is `logical ‖ inverted seq` (withSeq); a put writes the
 *   version of the commit being built; a delete writes a tombstone version; a read at seq S sees
 *   the newest version ≤ S, found with one seek because newer versions sort first.
 * A tombstone is an empty value, so live record values must be non-empty (index entries store
 * one byte).
 *
 * Lifetime: valid only inside the store transaction they wrap. Returned keys and values are
 * fresh copies (logical keys are views into a fresh copy).
 */
import { hexxlaError } from '../errors.js';
import { prefixEnd, seqSuffixBytes, splitSeq, withSeq } from '../engine/keys.js';
import { compareBytes } from '../storage/page.js';
import type { StoreReadTx, StoreWriteTx } from '../storage/tx.js';

/** Options of a record scan. */
export interface ScanOptions {
  reverse?: boolean;
  /** Stop after this many live records. */
  limit?: number;
  /**
   * Resume after this logical key (exclusive): forward scans start after it, reverse scans end
   * before it. Paging passes the last key of the previous page.
   */
  after?: Uint8Array;
}

const tombstone = new Uint8Array(0);

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/**
 * The smallest tree key above every version of `logical`. Logical keys are prefix-free within a
 * family, so no other logical key lies between `logical` and this bound: v1 appends 0x00, v2
 * appends eight 0xFF (above every seq suffix) and then 0x00.
 */
function successorOf(logical: Uint8Array, mvcc: boolean): Uint8Array {
  const out = new Uint8Array(logical.length + (mvcc ? seqSuffixBytes + 1 : 1));
  out.set(logical);
  if (mvcc) out.fill(0xff, logical.length, logical.length + seqSuffixBytes);
  return out;
}

/** Reads records as of one commit seq. */
export class RecordReader {
  constructor(
    protected readonly tx: StoreReadTx | StoreWriteTx,
    /** True for format v2 (versioned keys). */
    readonly mvcc: boolean,
    /** Commit seq the reads see (ignored without MVCC). */
    readonly readSeq: bigint,
  ) {}

  /** The live value of `logical` as of readSeq, or undefined (absent or deleted). */
  get(logical: Uint8Array): Uint8Array | undefined {
    if (!this.mvcc) return this.tx.get(logical);
    for (const [key, value] of this.tx.range({ start: withSeq(logical, this.readSeq), limit: 1 })) {
      if (key.length !== logical.length + seqSuffixBytes || !startsWith(key, logical)) break;
      return value.length === 0 ? undefined : value;
    }
    return undefined;
  }

  has(logical: Uint8Array): boolean {
    return this.get(logical) !== undefined;
  }

  /** Live records whose logical key starts with `prefix`, in logical key order (or reverse). */
  *scan(prefix: Uint8Array, opts: ScanOptions = {}): Generator<[Uint8Array, Uint8Array]> {
    const limit = opts.limit ?? Infinity;
    if (limit <= 0) return;
    const reverse = opts.reverse === true;
    let start = prefix;
    let end = prefixEnd(prefix);
    if (opts.after !== undefined && reverse) {
      if (end === undefined || compareBytes(opts.after, end) < 0) end = opts.after;
    } else if (opts.after !== undefined) {
      const next = successorOf(opts.after, this.mvcc);
      if (compareBytes(next, start) > 0) start = next;
    }
    const range = this.tx.range({ start, ...(end === undefined ? {} : { end }), reverse });
    if (!this.mvcc) {
      let n = 0;
      for (const entry of range) {
        yield entry;
        if (++n >= limit) return;
      }
      return;
    }
    if (opts.reverse === true) yield* this.newestReverse(range, limit);
    else yield* this.newestForward(range, limit);
  }

  /** Forward: versions of a logical key come newest first; take the first one ≤ readSeq. */
  private *newestForward(range: Iterable<[Uint8Array, Uint8Array]>, limit: number):
    Generator<[Uint8Array, Uint8Array]> {
    let done: Uint8Array | null = null;
    let n = 0;
    for (const [key, value] of range) {
      const { logical, seq } = splitSeq(key);
      if (done !== null && compareBytes(logical, done) === 0) continue;
      if (seq > this.readSeq) continue;
      done = logical;
      if (value.length === 0) continue;
      yield [logical, value];
      if (++n >= limit) return;
    }
  }

  /** Reverse: versions come oldest first; the last one ≤ readSeq before the key changes wins. */
  private *newestReverse(range: Iterable<[Uint8Array, Uint8Array]>, limit: number):
    Generator<[Uint8Array, Uint8Array]> {
    let pending: [Uint8Array, Uint8Array] | null = null;
    let n = 0;
    for (const [key, value] of range) {
      const { logical, seq } = splitSeq(key);
      if (pending !== null && compareBytes(logical, pending[0]) !== 0) {
        if (pending[1].length > 0) {
          yield pending;
          if (++n >= limit) return;
        }
        pending = null;
      }
      if (seq <= this.readSeq) pending = [logical, value];
    }
    if (pending !== null && pending[1].length > 0) yield pending;
  }
}

/** Reads (own writes included) and writes records in the commit being built. */
export class RecordWriter extends RecordReader {
  constructor(
    private readonly writer: StoreWriteTx,
    mvcc: boolean,
    /** The database's value limit: record values above it are refused with ValueTooLarge. */
    readonly maxValueBytes = Infinity,
  ) {
    super(writer, mvcc, writer.state.commitSeq + 1n);
  }

  /** Seq the commit being built will get. */
  get writeSeq(): bigint {
    return this.readSeq;
  }

  /** Writes `value` (non-empty: empty is the tombstone) as the record's new version. */
  put(logical: Uint8Array, value: Uint8Array): void {
    if (value.length === 0) {
      throw hexxlaError('InvalidArgument', 'record values must not be empty');
    }
    if (value.length > this.maxValueBytes) {
      throw hexxlaError('ValueTooLarge', `a record of ${value.length} bytes exceeds the database ` +
        `limit of ${this.maxValueBytes}`, { bytes: value.length, limit: this.maxValueBytes });
    }
    if (this.mvcc) this.writer.putOwnedKey(withSeq(logical, this.writeSeq), value);
    else this.writer.put(logical, value);
  }

  /**
   * Deletes the record: a tombstone version under MVCC (history stays readable), a plain delete
   * otherwise. Returns whether a live record existed.
   */
  delete(logical: Uint8Array): boolean {
    if (!this.has(logical)) return false;
    if (!this.mvcc) return this.writer.delete(logical);
    const versioned = withSeq(logical, this.writeSeq);
    const before = new RecordReader(this.writer, true, this.writeSeq - 1n);
    // Put and deleted within this commit, and absent before it: no version needs to remain.
    if (!before.has(logical)) this.writer.delete(versioned);
    else this.writer.put(versioned, tombstone);
    return true;
  }
}
