/**
 * Values as stored in leaves: compressed when that helps (SPEC §4.3), inline when small enough,
 * otherwise in a chain of overflow pages. The inline limit keeps any leaf entry at most a quarter
 * of a page (with the longest tree key), which the split logic relies on.
 */
import { hexxlaError } from '../../errors.js';
import { compressBytesMin, pageFanoutMin, pageHeaderBytes, treeKeyBytesMax } from '../../limits.js';
import { allocBytes, copyBytes } from '../bytes.js';
import { compressValueScratch, decompressValue, decompressValueAt } from '../compress.js';
import {
  OverflowPage, StoredValue, emptyBytes, overflowCapacity, pageTypeOverflow, valueKindInline,
  valueKindInlineDeflate, valueKindOverflow, valueKindOverflowDeflate,
} from '../page.js';
import type { LeafNode } from '../page.js';
import type { TreeReader, TreeWriter } from './tree-access.js';

/** Largest inline stored value for a page with `usable` bytes. */
export function inlineValueBytesMax(usable: number): number {
  const entryMax = Math.floor((usable - pageHeaderBytes) / pageFanoutMin);
  return entryMax - (3 + treeKeyBytesMax + 6);
}

/** Encodes `raw` for storage, writing overflow pages through `t` when needed. Copies `raw`. */
export function storeValue(t: TreeWriter, raw: Uint8Array, inlineMax: number): StoredValue {
  return storeValueBorrowed(t, raw, inlineMax).owned();
}

/**
 * storeValue without copying: an inline value's `data` may be `raw` itself or the compressor's
 * scratch output (valid until the next compress call). The caller copies it at once: treePut
 * writes it into a packed page or takes an `owned()` copy. Every committed leaf is packed, so a
 * decompressed `memo` attached here would be dropped at commit: none is kept.
 */
export function storeValueBorrowed(t: TreeWriter, raw: Uint8Array, inlineMax: number,
): StoredValue {
  let data = raw;
  let deflated = false;
  if (raw.length >= compressBytesMin) {
    const packed = compressValueScratch(raw);
    if (packed !== null) {
      data = packed;
      deflated = true;
    }
  }
  if (data.length <= inlineMax) {
    const kind = deflated ? valueKindInlineDeflate : valueKindInline;
    return new StoredValue(kind, data, raw.length, data.length, 0);
  }
  const firstPage = writeOverflow(t, data);
  const kind = deflated ? valueKindOverflowDeflate : valueKindOverflow;
  return new StoredValue(kind, emptyBytes, raw.length, data.length, firstPage);
}

function writeOverflow(t: TreeWriter, data: Uint8Array): number {
  const cap = overflowCapacity(t.usable);
  const count = Math.ceil(data.length / cap);
  const pages: number[] = [];
  for (let i = 0; i < count; i++) pages.push(t.create(new OverflowPage(0, emptyBytes)));
  for (let i = 0; i < count; i++) {
    const page = t.write(pages[i]!) as OverflowPage;
    page.next = pages[i + 1] ?? 0;
    page.data = data.slice(i * cap, Math.min(data.length, (i + 1) * cap));
  }
  return pages[0]!;
}

/** The page numbers of a value's overflow chain (empty for inline values). */
export function overflowChain(t: TreeReader, v: StoredValue): number[] {
  if (v.kind === valueKindInline || v.kind === valueKindInlineDeflate) return [];
  const cap = overflowCapacity(t.usable);
  const count = Math.ceil(v.storedLen / cap);
  const pages: number[] = [];
  let pageNo = v.firstPage;
  for (let i = 0; i < count; i++) {
    const page = t.read(pageNo);
    if (page.type !== pageTypeOverflow) throw corruptValue(`page ${pageNo} is not overflow`);
    pages.push(pageNo);
    pageNo = page.next;
  }
  if (pageNo !== 0) throw corruptValue('overflow chain longer than its value');
  return pages;
}

function readOverflow(t: TreeReader, v: StoredValue): Uint8Array {
  const out = new Uint8Array(v.storedLen);
  let pageNo = v.firstPage;
  let done = 0;
  while (done < v.storedLen) {
    const page = t.read(pageNo);
    if (page.type !== pageTypeOverflow) throw corruptValue(`page ${pageNo} is not overflow`);
    const n = Math.min(page.data.length, v.storedLen - done);
    out.set(page.data.subarray(0, n), done);
    done += n;
    pageNo = page.next;
  }
  return out;
}

/** The value's bytes as a fresh copy the caller owns. */
export function loadValue(t: TreeReader, v: StoredValue): Uint8Array {
  if (v.memo !== null) return copyBytes(v.memo);
  let raw: Uint8Array;
  switch (v.kind) {
    case valueKindInline:
      return copyBytes(v.data);
    case valueKindInlineDeflate:
      raw = decompressValue(v.data, v.rawLen);
      break;
    case valueKindOverflow:
      return readOverflow(t, v);
    case valueKindOverflowDeflate:
      return decompressValue(readOverflow(t, v), v.rawLen);
    default:
      throw corruptValue(`unknown value kind ${v.kind}`);
  }
  v.memo = raw;
  return copyBytes(raw);
}

/**
 * `get` for a read-only view: the value of `key` in `leaf` as a fresh copy, or undefined. An
 * inline value of a packed leaf is copied or decompressed straight from the page buffer: no
 * StoredValue, no `memo`. Keeping an object and the decompressed bytes per value read cost more
 * (scavenges promote them, later reads chase three pointers to reach the bytes) than decoding
 * ~150 bytes again. Other kinds and unpacked leaves take the StoredValue path.
 */
export function loadValueOf(t: TreeReader, leaf: LeafNode, key: Uint8Array,
): Uint8Array | undefined {
  const p = leaf.valueOffset(key);
  if (p === -1) return undefined;
  const out = p >= 0 ? loadInline(leaf.packedBytes, p) : null;
  if (out !== null) return out;
  const v = leaf.find(key);
  return v === undefined ? undefined : loadValue(t, v);
}

/** The value of entry `i` of `leaf` as a fresh copy (as loadValueOf, for cursors). */
export function loadValueAt(t: TreeReader, leaf: LeafNode, i: number): Uint8Array {
  const p = leaf.valueOffsetAt(i);
  return (p >= 0 ? loadInline(leaf.packedBytes, p) : null) ?? loadValue(t, leaf.valueAt(i));
}

/** A fresh copy of the inline value whose part (kind byte) is at `p` of `buf`; null otherwise. */
function loadInline(buf: Uint8Array, p: number): Uint8Array | null {
  const kind = buf[p]!;
  const len = buf[p + 1]! | (buf[p + 2]! << 8);
  if (kind === valueKindInline) {
    const out = allocBytes(len);
    out.set(buf.subarray(p + 3, p + 3 + len));
    return out;
  }
  if (kind !== valueKindInlineDeflate) return null;
  const rawLen = (buf[p + 3]! | (buf[p + 4]! << 8) | (buf[p + 5]! << 16)) + buf[p + 6]! * 0x1000000;
  return decompressValueAt(buf, p + 7, len, rawLen);
}

/** Frees the overflow pages of a value that is being replaced or deleted. */
export function freeValue(t: TreeWriter, v: StoredValue): void {
  for (const pageNo of overflowChain(t, v)) t.free(pageNo);
}

function corruptValue(what: string): Error {
  return hexxlaError('CorruptDatabase', `stored value: ${what}`);
}
