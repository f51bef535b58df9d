/**
 * Leaf pages in memory, and the values they hold.
 *
 * A leaf decoded from disk stays *packed*: the page buffer plus the start offset of each entry
 * (its KeyIndex). Point lookups binary-search the page bytes directly, touching a few cache lines
 * of one buffer instead of one JS object per key (a leaf search was memory-latency bound). Only a
 * lookup's hit materialises its value object, cached per entry so its decompressed `memo`
 * survives. The `keys`/`vals` arrays are built on first use (writes, scans, checks) and the index
 * is kept beside them. A leaf written by this process has only the arrays; the first read-only
 * lookup of it once committed (`findFrozen`) builds an index of its keys, so reads after writes
 * search as fast as reads after a reopen without taxing the writer. Entry layout: docs/format.md
 * "Leaf body".
 */
import { pageHeaderBytes } from '../limits.js';
import { KeyIndex } from './key-index.js';

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
}

/** Bytes of a value part (after the kind byte) by kind, before any inline data. */
function valueHeadBytes(kind: number): number {
  return kind === 0 ? 2 : kind === 1 ? 6 : kind === 2 ? 8 : 12;
}

/**
 * Reads the value part at `p` (the kind byte) of a validated page. Returns the value; the
 * caller knows the entry bounds were checked by `scanLeaf`.
 */
function valueAt(buf: Uint8Array, dv: DataView, p: number): StoredValue {
  const kind = buf[p]!;
  const at = p + 1;
  const partEnd = at + valueHeadBytes(kind);
  if (kind === valueKindInline || kind === valueKindInlineDeflate) {
    const len = dv.getUint16(at, true);
    const rawLen = kind === valueKindInline ? len : dv.getUint32(at + 2, true);
    return new StoredValue(kind, buf.subarray(partEnd, partEnd + len), rawLen, len, 0);
  }
  const storedLen = dv.getUint32(at, true);
  const rawLen = kind === valueKindOverflow ? storedLen : dv.getUint32(at + 4, true);
  const firstPage = dv.getUint32(at + (kind === valueKindOverflow ? 4 : 8), true);
  return new StoredValue(kind, emptyBytes, rawLen, storedLen, firstPage);
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
  /** Search index: for a decoded leaf its page buffer and entry offsets, else built on demand. */
  private index: KeyIndex | null = null;
  /** Decoded leaf: a view of the page buffer, to read values from (null when `v` is set). */
  private view: DataView | null = null;
  /** Decoded leaf: values materialised by lookups, by entry index. */
  private valCache: Array<StoredValue | undefined> | null = null;

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
  static packed(src: Uint8Array, view: DataView, offs: Uint16Array, bytes: number): LeafNode {
    const node = new LeafNode(null, null, bytes);
    node.index = new KeyIndex(src, offs);
    node.view = view;
    return node;
  }

  get keys(): Uint8Array[] {
    if (this.k === null) this.unpack();
    return this.k!;
  }

  /** Replaces the keys (writers only, on their own copy): drops the search index. */
  set keys(keys: Uint8Array[]) {
    if (this.k === null) this.unpack();
    this.k = keys;
    this.index = null;
  }

  get vals(): StoredValue[] {
    if (this.v === null) this.unpack();
    return this.v!;
  }

  set vals(vals: StoredValue[]) {
    if (this.v === null) this.unpack();
    this.v = vals;
    this.index = null;
  }

  clone(): LeafNode {
    return new LeafNode(this.keys.slice(), this.vals.slice(), this.bytes);
  }

  /** The value stored under `key`, or undefined. */
  find(key: Uint8Array): StoredValue | undefined {
    if (this.index === null) return this.findUnpacked(key);
    return this.valueOf(this.index.find(key));
  }

  /**
   * `find` for a leaf that will never change again (a committed page, read by a read-only
   * view): builds the search index on first use when the leaf has none (the writer's form).
   * Never call it on a leaf a writer may still change: its index would go stale.
   */
  findFrozen(key: Uint8Array): StoredValue | undefined {
    this.index ??= KeyIndex.of(this.k!);
    return this.valueOf(this.index.find(key));
  }

  private valueOf(i: number): StoredValue | undefined {
    if (i < 0) return undefined;
    return this.v !== null ? this.v[i] : this.packedValue(i);
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

  private packedValue(i: number): StoredValue {
    this.valCache ??= new Array<StoredValue | undefined>(this.index!.length);
    let v = this.valCache[i];
    if (v === undefined) {
      const src = this.index!.buf;
      const off = this.index!.offs[i]!;
      const keyLen = src[off]! | (src[off + 1]! << 8);
      v = valueAt(src, this.view!, off + 2 + keyLen);
      this.valCache[i] = v;
    }
    return v;
  }

  /**
   * Builds the keys/vals arrays from the page buffer (once). The index stays: the entries are
   * the same until a setter replaces them.
   */
  private unpack(): void {
    const { buf: src, offs } = this.index!;
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
    this.view = null;
    this.valCache = null;
  }
}

/** Lexicographic byte comparison (a JS loop beats Buffer.compare's call cost on short keys). */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
