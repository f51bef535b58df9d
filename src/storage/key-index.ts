/**
 * Sorted keys laid out in one buffer, for searches that touch few cache lines.
 *
 * Entry i sits at `offs[i]` as `u16 keyLen (LE) | key bytes`, the framing keys have in a leaf
 * page body. Read-only views search committed branch pages through one (btree/search.ts
 * lookupFrozen): a branch's keys are many small arrays, and each probe of a search over them
 * chases a pointer to the array object, then to its bytes. (Leaves need none: a committed leaf
 * is packed, and LeafNode.find compares in its page buffer the same way.)
 *
 * An index is immutable and owns its buffer: `of` copies the keys, so it holds no view of a page
 * buffer and outlives any page buffer recycling (LeafNode.release, releasePageBytes) unharmed.
 * It belongs to a node that is never changed again (a committed page).
 */

export class KeyIndex {
  constructor(
    /** Holds the entries; nothing else holds it. */
    readonly buf: Uint8Array,
    /** Start of each entry in `buf`, in key order. */
    readonly offs: Uint16Array,
  ) {}

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
   * Comparisons skip the bytes `key` shares with both current bounds (see LeafNode.valueOffset).
   */
  upperBound(key: Uint8Array): number {
    const buf = this.buf;
    const offs = this.offs;
    const keyLen = key.length;
    let lo = 0;
    let hi = offs.length;
    let loShared = 0;
    let hiShared = 0;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const off = offs[mid]!;
      const len = buf[off]! | (buf[off + 1]! << 8);
      const n = len < keyLen ? len : keyLen;
      let j = loShared < hiShared ? loShared : hiShared;
      while (j < n && buf[off + 2 + j] === key[j]) j++;
      const d = j < n ? buf[off + 2 + j]! - key[j]! : len - keyLen;
      if (d <= 0) {
        lo = mid + 1;
        loShared = j;
      } else {
        hi = mid;
        hiShared = j;
      }
    }
    return lo;
  }
}
