/**
 * Leaf pages in memory, and the values they hold.
 *
 * A leaf decoded from disk stays *packed*: the page buffer plus the start offset of each entry.
 * Point lookups binary-search the page bytes directly, touching a few cache lines of one buffer
 * instead of one JS object per key (a leaf search was memory-latency bound). Only a lookup's hit
 * materialises its value object, cached per entry so its decompressed `memo` survives. The
 * `keys`/`vals` arrays are built on first use (writes, scans, checks); from then on the node is
 * unpacked. Entry layout: docs/format.md "Leaf body".
 */
import { pageHeaderBytes } from '../limits.js';
import { allocPageBytes, copyBytes, releasePageBytes } from './bytes.js';
import { keyWord, sharedPrefix } from './key-index.js';

export const valueKindInline = 0;
export const valueKindInlineDeflate = 1;
export const valueKindOverflow = 2;
export const valueKindOverflowDeflate = 3;

export const emptyBytes = new Uint8Array(0);

/**
 * A value as stored in a leaf entry. Immutable once part of a committed page, except `memo`, the
 * decompressed bytes kept after the first read. A class (not object literals) so every value has
 * one hidden class: attaching `memo` to plain objects made lookups megamorphic and reads slow down
 * as the cache warmed.
 */
export class StoredValue {
  /** Decompressed bytes once known (never handed out: readers get copies). */
  memo: Uint8Array | null = null;

  constructor(
    readonly kind: number,
    /** Inline stored bytes (kinds 0, 1); empty for overflow kinds. */
    readonly data: Uint8Array,
    /** Length after decompression. */
    readonly rawLen: number,
    /** Stored length: inline data length, or total bytes in the overflow chain. */
    readonly storedLen: number,
    /** First overflow page (kinds 2, 3), else 0. */
    readonly firstPage: number,
  ) {}

  /** This value with inline bytes of its own (`data` may be a view of a buffer about to change). */
  owned(): StoredValue {
    if (this.data.length === 0) return this;
    return new StoredValue(this.kind, copyBytes(this.data), this.rawLen, this.storedLen,
      this.firstPage);
  }
}

/** Bytes of a value part (after the kind byte) by kind, before any inline data. */
function valueHeadBytes(kind: number): number {
  return kind === 0 ? 2 : kind === 1 ? 6 : kind === 2 ? 8 : 12;
}

function u16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

function u32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
}

function put16(b: Uint8Array, p: number, x: number): void {
  b[p] = x;
  b[p + 1] = x >>> 8;
}

function put32(b: Uint8Array, p: number, x: number): void {
  b[p] = x;
  b[p + 1] = x >>> 8;
  b[p + 2] = x >>> 16;
  b[p + 3] = x >>> 24;
}

/**
 * Reads the value part at `p` (the kind byte) of a validated page. Returns the value; the
 * caller knows the entry bounds were checked by `scanLeaf`.
 */
function valueAt(buf: Uint8Array, p: number): StoredValue {
  const kind = buf[p]!;
  const at = p + 1;
  const partEnd = at + valueHeadBytes(kind);
  if (kind === valueKindInline || kind === valueKindInlineDeflate) {
    const len = u16(buf, at);
    const rawLen = kind === valueKindInline ? len : u32(buf, at + 2);
    return new StoredValue(kind, buf.subarray(partEnd, partEnd + len), rawLen, len, 0);
  }
  const storedLen = u32(buf, at);
  const rawLen = kind === valueKindOverflow ? storedLen : u32(buf, at + 4);
  const firstPage = u32(buf, at + (kind === valueKindOverflow ? 4 : 8));
  return new StoredValue(kind, emptyBytes, rawLen, storedLen, firstPage);
}

/** Encoded bytes of a whole leaf entry (docs/format.md "Leaf body"). */
function entryBytes(key: Uint8Array, v: StoredValue): number {
  const inline = v.kind === valueKindInline || v.kind === valueKindInlineDeflate;
  return 3 + key.length + valueHeadBytes(v.kind) + (inline ? v.data.length : 0);
}

/** Writes the entry `key` → `v` at `p` (the layout encodePage writes). */
function writeEntry(b: Uint8Array, p: number, key: Uint8Array, v: StoredValue): void {
  put16(b, p, key.length);
  b.set(key, p + 2);
  p += 2 + key.length;
  b[p++] = v.kind;
  if (v.kind === valueKindInline || v.kind === valueKindInlineDeflate) {
    put16(b, p, v.data.length);
    if (v.kind === valueKindInlineDeflate) put32(b, p + 2, v.rawLen);
    b.set(v.data, p + valueHeadBytes(v.kind));
  } else {
    put32(b, p, v.storedLen);
    if (v.kind === valueKindOverflowDeflate) put32(b, p + 4, v.rawLen);
    put32(b, p + valueHeadBytes(v.kind) - 4, v.firstPage);
  }
}

/**
 * Validates the leaf body of a page and returns each entry's start offset and the body's end, or
 * a message naming what is out of bounds.
 */
export function scanLeaf(
  dv: DataView, count: number, usable: number,
): { offs: Uint16Array; end: number } | string {
  const offs = new Uint16Array(count);
  let p = pageHeaderBytes;
  for (let i = 0; i < count; i++) {
    if (p + 3 > usable) return 'leaf entry out of bounds';
    offs[i] = p;
    const keyLen = dv.getUint16(p, true);
    if (p + 3 + keyLen > usable) return 'leaf key out of bounds';
    p += 2 + keyLen;
    const kind = dv.getUint8(p++);
    if (kind > 3) return `leaf value kind ${kind} unknown`;
    const partEnd = p + valueHeadBytes(kind);
    if (partEnd > usable) return 'leaf value header out of bounds';
    const inline = kind === valueKindInline || kind === valueKindInlineDeflate;
    const len = inline ? dv.getUint16(p, true) : 0;
    if (partEnd + len > usable) return 'inline value out of bounds';
    p = partEnd + len;
  }
  return { offs, end: p };
}

export class LeafNode {
  readonly type = 1;
  private k: Uint8Array[] | null;
  private v: StoredValue[] | null;
  /**
   * Packed form: the page buffer and each entry's start offset. A packed clone owned by a write
   * transaction is changed in place by `putPacked`; every other packed node is immutable.
   */
  private src: Uint8Array | null = null;
  private offs: Uint16Array | null = null;
  /** True when `src` came from allocPageBytes (clone, repack) and no other node shares it. */
  private ownsSrc = false;
  /** Packed form: values materialised by lookups, by entry index. */
  private valCache: Array<StoredValue | undefined> | null = null;
  /**
   * Packed form, built by the first valueOffset: per entry, the 4 key bytes from `ixAt` (the
   * length of the prefix all keys share) as a big-endian word with its sign bit flipped, then the
   * entry's offset. A point read searches these words (one small array) and reads one entry of
   * the page, instead of ~5 entries spread over it. Copies only: holds no view of `src`.
   */
  private ix: Int32Array | null = null;
  private ixAt = 0;

  constructor(
    keys: Uint8Array[] | null,
    vals: StoredValue[] | null,
    /** Encoded size in bytes, header included. */
    public bytes: number,
  ) {
    this.k = keys;
    this.v = vals;
  }

  static empty(): LeafNode {
    return new LeafNode([], [], pageHeaderBytes);
  }

  /** A leaf over a validated page buffer (see scanLeaf). */
  static packed(src: Uint8Array, _view: DataView | null, offs: Uint16Array, bytes: number,
  ): LeafNode {
    const node = new LeafNode(null, null, bytes);
    node.src = src;
    node.offs = offs;
    return node;
  }

  /** True while the node is in packed form (no keys/vals arrays yet). */
  get isPacked(): boolean {
    return this.k === null;
  }

  get keys(): Uint8Array[] {
    if (this.k === null) this.unpack();
    return this.k!;
  }

  set keys(keys: Uint8Array[]) {
    if (this.k === null) this.unpack();
    this.k = keys;
  }

  get vals(): StoredValue[] {
    if (this.v === null) this.unpack();
    return this.v!;
  }

  set vals(vals: StoredValue[]) {
    if (this.v === null) this.unpack();
    this.v = vals;
  }

  /**
   * A copy a write transaction may change. A packed leaf is copied as bytes and stays packed
   * (unpacking costs an object per entry, and encoding the arrays again touches them all).
   */
  clone(): LeafNode {
    if (this.k === null) {
      const src = this.src!;
      const buf = allocPageBytes(src.length, this.bytes);
      buf.set(src.subarray(0, this.bytes));
      const node = LeafNode.packed(buf, null, this.offs!.slice(), this.bytes);
      node.ownsSrc = true;
      return node;
    }
    return new LeafNode(this.keys.slice(), this.vals.slice(), this.bytes);
  }

  /**
   * A packed node over `image`, this node's encoded page (its used prefix at least, in a buffer
   * from allocPageBytes of at least `usable` bytes that nothing else holds). Offsets come from
   * the arrays.
   */
  repack(image: Uint8Array): LeafNode {
    const keys = this.keys;
    const vals = this.vals;
    const offs = new Uint16Array(keys.length);
    let p = pageHeaderBytes;
    for (let i = 0; i < keys.length; i++) {
      offs[i] = p;
      p += entryBytes(keys[i]!, vals[i]!);
    }
    const node = LeafNode.packed(image, null, offs, p);
    node.ownsSrc = true;
    return node;
  }

  /**
   * Recycles the page buffer of a node that can never be read again: its page has a newer durable
   * image and the node left the cache (PageStore.markDurable). Only a node that owns its buffer
   * and is still packed qualifies: views of its bytes then exist only as StoredValues from
   * `find`, which every reader copies before its synchronous callback returns; an unpacked node's
   * key and value views may live on in other nodes' arrays. The node is unusable afterwards
   * (any access throws).
   */
  release(): void {
    if (!this.ownsSrc || this.k !== null || this.src === null) return;
    const src = this.src;
    this.src = null;
    this.offs = null;
    this.valCache = null;
    this.ix = null;
    this.ownsSrc = false;
    releasePageBytes(src);
  }

  /**
   * Puts `key` → `val` into this packed node in place; only for a clone that the calling write
   * transaction owns. Returns the replaced value (undefined for an insert: its inline bytes are a
   * copy), or null when the page would exceed `usable` bytes (nothing changed: the caller splits
   * through the array form).
   */
  putPacked(key: Uint8Array, val: StoredValue, usable: number): StoredValue | undefined | null {
    const offs = this.offs!;
    const src = this.src!;
    const n = offs.length;
    let lo = 0;
    let hi = n;
    let found = false;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const d = this.comparePacked(offs[mid]!, key);
      if (d === 0) {
        lo = mid;
        found = true;
        break;
      }
      if (d < 0) lo = mid + 1;
      else hi = mid;
    }
    const end = this.bytes;
    const start = lo < n ? offs[lo]! : end;
    const oldEnd = !found ? start : lo + 1 < n ? offs[lo + 1]! : end;
    const delta = entryBytes(key, val) - (oldEnd - start);
    if (end + delta > usable || end + delta > src.length) return null;
    const old = found ? this.packedValue(lo).owned() : undefined;
    if (delta !== 0) src.copyWithin(oldEnd + delta, oldEnd, end);
    if (delta < 0) src.fill(0, end + delta, end);
    writeEntry(src, start, key, val);
    if (found) {
      for (let j = lo + 1; j < n; j++) offs[j] = offs[j]! + delta;
    } else {
      const next = new Uint16Array(n + 1);
      for (let j = 0; j < lo; j++) next[j] = offs[j]!;
      next[lo] = start;
      for (let j = lo; j < n; j++) next[j + 1] = offs[j]! + delta;
      this.offs = next;
    }
    this.bytes = end + delta;
    this.valCache = null;
    this.ix = null;
    return old;
  }

  /** Entries in this packed node. */
  get packedCount(): number {
    return this.offs!.length;
  }

  /**
   * Index of the first entry ≥ `key` in this packed node, and whether it equals `key`.
   * Encoded as `index * 2 + (found ? 1 : 0)` to avoid an object per call.
   */
  packedSearch(key: Uint8Array): number {
    const offs = this.offs!;
    let lo = 0;
    let hi = offs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const d = this.comparePacked(offs[mid]!, key);
      if (d === 0) return mid * 2 + 1;
      if (d < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo * 2;
  }

  /** Index at which the entries' bytes first reach half the body, clamped to [1, count − 1]. */
  packedMidpoint(): number {
    const offs = this.offs!;
    const n = offs.length;
    const half = (this.bytes - pageHeaderBytes) / 2;
    for (let i = 0; i < n; i++) {
      const next = i + 1 < n ? offs[i + 1]! : this.bytes;
      if (next - pageHeaderBytes >= half) return Math.min(Math.max(i + 1, 1), n - 1);
    }
    return n - 1;
  }

  /**
   * Splits this packed node (owned by the calling write transaction) before entry `cut`: keeps
   * entries [0, cut) and returns a new packed node with entries [cut, count). Either may be empty.
   */
  splitPacked(cut: number): LeafNode {
    const offs = this.offs!;
    const src = this.src!;
    const end = this.bytes;
    const from = cut < offs.length ? offs[cut]! : end;
    const buf = allocPageBytes(src.length);
    buf.set(src.subarray(from, end), pageHeaderBytes);
    const rightOffs = new Uint16Array(offs.length - cut);
    const shift = from - pageHeaderBytes;
    for (let j = 0; j < rightOffs.length; j++) rightOffs[j] = offs[cut + j]! - shift;
    const right = LeafNode.packed(buf, null, rightOffs, pageHeaderBytes + end - from);
    right.ownsSrc = true;
    src.fill(0, from, end);
    this.offs = offs.slice(0, cut);
    this.bytes = from;
    this.valCache = null;
    this.ix = null;
    return right;
  }

  /** A copy of the key of entry `i` of this packed node. */
  packedKey(i: number): Uint8Array {
    const off = this.offs![i]!;
    const len = u16(this.src!, off);
    return copyBytes(this.src!.subarray(off + 2, off + 2 + len));
  }

  /**
   * Copies a packed node's body into a page image at `base` (the header fields other than the
   * count are the caller's) and returns the end of the body. The rest of the usable area of
   * `out` must be zero.
   */
  copyBodyTo(out: Uint8Array, base: number): number {
    const src = this.src!;
    out.set(src.subarray(pageHeaderBytes, this.bytes), base + pageHeaderBytes);
    put16(out, base + 6, this.offs!.length);
    return base + this.bytes;
  }

  /**
   * For a read of this packed node: the page offset of the value part (its kind byte) of `key`'s
   * entry, -1 when the key is absent, -2 when the node is unpacked (use `find`). The bytes are
   * `packedBytes`, read synchronously: a later write may recycle them (see `release`).
   */
  valueOffset(key: Uint8Array): number {
    if (this.k !== null) return -2;
    const ix = this.ix ?? this.buildIndex();
    const src = this.src!;
    const keyLen = key.length;
    const w = keyWord(key, 0, keyLen, this.ixAt);
    // Keys that share the leaf's prefix are ordered as their words, ties broken by the whole key;
    // a key outside the prefix cannot be found whatever the search does (checked in full).
    let lo = 0;
    let hi = ix.length >>> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      // Compared, not subtracted: an int32 difference can overflow, so V8 would use doubles.
      const wm = ix[mid * 2]!;
      let d = wm < w ? -1 : wm > w ? 1 : 0;
      if (d === 0) {
        const off = ix[mid * 2 + 1]!;
        const len = src[off]! | (src[off + 1]! << 8);
        const n = len < keyLen ? len : keyLen;
        let j = 0;
        while (j < n && src[off + 2 + j] === key[j]) j++;
        d = j < n ? src[off + 2 + j]! - key[j]! : len - keyLen;
        if (d === 0) return off + 2 + len;
      }
      if (d < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** Builds `ix` (see its comment) for this packed node. */
  private buildIndex(): Int32Array {
    const offs = this.offs!;
    const src = this.src!;
    const n = offs.length;
    const at = sharedPrefix(src, offs);
    const ix = new Int32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const off = offs[i]!;
      ix[i * 2] = keyWord(src, off + 2, src[off]! | (src[off + 1]! << 8), at);
      ix[i * 2 + 1] = off;
    }
    this.ix = ix;
    this.ixAt = at;
    return ix;
  }

  /** Entries in this node, packed or not. */
  get count(): number {
    return this.k !== null ? this.k.length : this.offs!.length;
  }

  /** Index of the first entry ≥ `key` (count when none), packed or not. */
  lowerBound(key: Uint8Array): number {
    return this.k === null ? this.packedSearch(key) >>> 1 : lowerBound(this.k, key);
  }

  /** Compares the key of entry `i` with `key` without unpacking. */
  compareKeyAt(i: number, key: Uint8Array): number {
    return this.k !== null ? compareKeys(this.k[i]!, key) : this.comparePacked(this.offs![i]!, key);
  }

  /** The key of entry `i`: a view (a packed node's is into its page buffer; do not keep it). */
  keyAt(i: number): Uint8Array {
    if (this.k !== null) return this.k[i]!;
    const off = this.offs![i]!;
    return this.src!.subarray(off + 2, off + 2 + (this.src![off]! | (this.src![off + 1]! << 8)));
  }

  /** A copy of the key of entry `i`, packed or not. */
  copyKeyAt(i: number): Uint8Array {
    return this.k !== null ? copyBytes(this.k[i]!) : this.packedKey(i);
  }

  /** The value of entry `i`, packed or not (a packed node caches it, see packedValue). */
  valueAt(i: number): StoredValue {
    return this.k !== null ? this.v![i]! : this.packedValue(i);
  }

  /** `valueOffset` of entry `i`: its value part's page offset, or -2 when unpacked. */
  valueOffsetAt(i: number): number {
    if (this.k !== null) return -2;
    const off = this.offs![i]!;
    return off + 2 + (this.src![off]! | (this.src![off + 1]! << 8));
  }

  /** The page buffer of this packed node (see `valueOffset`); never kept or changed by readers. */
  get packedBytes(): Uint8Array {
    return this.src!;
  }

  /** The value stored under `key`, or undefined. */
  find(key: Uint8Array): StoredValue | undefined {
    if (this.k !== null) return this.findUnpacked(key);
    const r = this.packedSearch(key);
    return (r & 1) !== 0 ? this.packedValue(r >>> 1) : undefined;
  }

  private findUnpacked(key: Uint8Array): StoredValue | undefined {
    const keys = this.k!;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const d = compareKeys(keys[mid]!, key);
      if (d === 0) return this.v![mid];
      if (d < 0) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  /** Compares the key of the entry at page offset `off` with `key`. */
  private comparePacked(off: number, key: Uint8Array): number {
    const src = this.src!;
    const len = src[off]! | (src[off + 1]! << 8);
    const n = len < key.length ? len : key.length;
    const start = off + 2;
    for (let i = 0; i < n; i++) {
      const d = src[start + i]! - key[i]!;
      if (d !== 0) return d;
    }
    return len - key.length;
  }

  private packedValue(i: number): StoredValue {
    this.valCache ??= new Array<StoredValue | undefined>(this.offs!.length);
    let v = this.valCache[i];
    if (v === undefined) {
      const off = this.offs![i]!;
      const keyLen = this.src![off]! | (this.src![off + 1]! << 8);
      v = valueAt(this.src!, off + 2 + keyLen);
      this.valCache[i] = v;
    }
    return v;
  }

  /** Builds the keys/vals arrays from the packed form (once). */
  private unpack(): void {
    const offs = this.offs!;
    const src = this.src!;
    const keys = new Array<Uint8Array>(offs.length);
    const vals = new Array<StoredValue>(offs.length);
    for (let i = 0; i < offs.length; i++) {
      const off = offs[i]!;
      const keyLen = src[off]! | (src[off + 1]! << 8);
      keys[i] = src.subarray(off + 2, off + 2 + keyLen);
      vals[i] = this.packedValue(i);
    }
    this.k = keys;
    this.v = vals;
    this.src = null;
    this.offs = null;
    this.valCache = null;
    this.ix = null;
  }
}

/** Lexicographic byte comparison (a JS loop beats Buffer.compare's call cost on short keys). */
/** First index whose key is ≥ `key` (keys.length when none). */
export function lowerBound(keys: readonly Uint8Array[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is > `key`: the child of a branch that may hold `key`. */
export function upperBound(keys: readonly Uint8Array[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
