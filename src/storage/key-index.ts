/**
 * Sorted keys laid out in one buffer, for searches that touch few cache lines.
 *
 * Entry i sits at `offs[i]` as `u16 keyLen (LE) | key bytes`, the framing keys have in a leaf
 * page body. Read-only views search committed branch pages through one (btree/search.ts
 * lookupFrozen): a branch's keys are many small arrays, and each probe of a search over them
 * chases a pointer to the array object, then to its bytes. (A committed leaf is packed: its keys
 * are already framed this way in its page buffer, and LeafNode.valueOffset keeps only words.)
 *
 * An index is immutable and owns its buffer: `of` copies the keys, so it holds no view of a page
 * buffer and outlives any page buffer recycling (LeafNode.release, releasePageBytes) unharmed.
 * It belongs to a node that is never changed again (a committed page).
 */

export class KeyIndex {
  /** Length of the prefix all keys share. */
  readonly at: number;
  /** Per key, its 4 bytes from `at` (keyWord): most probes of a search compare these alone. */
  readonly words: Int32Array;

  constructor(
    /** Holds the entries; nothing else holds it. */
    readonly buf: Uint8Array,
    /** Start of each entry in `buf`, in key order. */
    readonly offs: Uint16Array,
  ) {
    const n = offs.length;
    const at = sharedPrefix(buf, offs);
    const words = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const off = offs[i]!;
      words[i] = keyWord(buf, off + 2, buf[off]! | (buf[off + 1]! << 8), at);
    }
    this.at = at;
    this.words = words;
  }

  /** An index over `keys` (sorted, strictly increasing), copied into one fresh buffer. */
  static of(keys: readonly Uint8Array[]): KeyIndex {
    let total = 0;
    for (const key of keys) total += 2 + key.length;
    // Keys of one page: their framed total is below the page size (≤ 64 KiB), so u16 offsets fit.
    const buf = new Uint8Array(total);
    const offs = new Uint16Array(keys.length);
    let p = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      offs[i] = p;
      buf[p] = key.length & 0xff;
      buf[p + 1] = key.length >>> 8;
      buf.set(key, p + 2);
      p += 2 + key.length;
    }
    return new KeyIndex(buf, offs);
  }

  get length(): number {
    return this.offs.length;
  }

  /** Compares key `i` of the index with `key` (negative: key i sorts first). */
  compareAt(i: number, key: Uint8Array): number {
    const buf = this.buf;
    const off = this.offs[i]!;
    const len = buf[off]! | (buf[off + 1]! << 8);
    const n = len < key.length ? len : key.length;
    const start = off + 2;
    for (let j = 0; j < n; j++) {
      const d = buf[start + j]! - key[j]!;
      if (d !== 0) return d;
    }
    return len - key.length;
  }

  /** Index of `key`, or -1 when absent. */
  find(key: Uint8Array): number {
    let lo = 0;
    let hi = this.offs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const d = this.compareAt(mid, key);
      if (d === 0) return mid;
      if (d < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /**
   * First index whose key is > `key` (length when none): the branch child that may hold it.
   * Probes compare the keys' words (see `words`); only equal words compare the bytes after `at`.
   */
  upperBound(key: Uint8Array): number {
    const buf = this.buf;
    const n = this.offs.length;
    if (n === 0) return 0;
    const at = this.at;
    const keyLen = key.length;
    // A key outside the prefix all keys share sorts before or after all of them.
    const first = this.offs[0]! + 2;
    const m = at < keyLen ? at : keyLen;
    for (let j = 0; j < m; j++) {
      const d = buf[first + j]! - key[j]!;
      if (d !== 0) return d > 0 ? 0 : n;
    }
    if (keyLen < at) return 0;
    // Within it, keys sort as their words, ties broken by the bytes after the prefix.
    const words = this.words;
    const w = keyWord(key, 0, keyLen, at);
    let lo = 0;
    let hi = n;
    // Words are compared, not subtracted: the difference of two int32 words can overflow int32,
    // so V8 computes it as a double (a conversion and a NaN check per probe).
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const wm = words[mid]!;
      if (wm < w || (wm === w && this.compareFrom(mid, key, at) <= 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** compareAt for a key that shares the entry's first `from` bytes. */
  private compareFrom(i: number, key: Uint8Array, from: number): number {
    const buf = this.buf;
    const off = this.offs[i]!;
    const len = buf[off]! | (buf[off + 1]! << 8);
    const n = len < key.length ? len : key.length;
    for (let j = from; j < n; j++) {
      const d = buf[off + 2 + j]! - key[j]!;
      if (d !== 0) return d;
    }
    return len - key.length;
  }

}

/**
 * Length of the prefix every key shares, for sorted entries `u16 len | key` at `offs` of `buf`:
 * the prefix the first and the last key share (every key between them has it too).
 */
export function sharedPrefix(buf: Uint8Array, offs: Uint16Array): number {
  const n = offs.length;
  let at = 0;
  if (n > 1) {
    const a = offs[0]!;
    const b = offs[n - 1]!;
    const aLen = buf[a]! | (buf[a + 1]! << 8);
    const bLen = buf[b]! | (buf[b + 1]! << 8);
    const m = aLen < bLen ? aLen : bLen;
    while (at < m && buf[a + 2 + at] === buf[b + 2 + at]) at++;
  }
  return at;
}

/**
 * Bytes at..at+3 of the key of `len` bytes at `b[start]` (zeros past its end), big-endian, sign
 * bit flipped: the signed order of two words is the byte order of those bytes, and keys that
 * share their first `at` bytes have words in key order (equal words say nothing).
 */
export function keyWord(b: Uint8Array, start: number, len: number, at: number): number {
  const p = start + at;
  const r = len - at;
  if (r >= 4) {
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) ^ 0x80000000;
  }
  let w = 0;
  for (let i = 0; i < 4; i++) w = (w << 8) | (i < r ? b[p + i]! : 0);
  return w ^ 0x80000000;
}
