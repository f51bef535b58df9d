/**
 * Page layout: the common page header and the four page kinds of the primary file.
 *
 * Every page except page 0 (the file header) starts with a 16-byte header:
 *   0   u32 crc32 over bytes 4 .. usable (usable = pageSize - reserveBytes)
 *   4   u8  type       1 leaf, 2 branch, 3 overflow, 4 freelist trunk, 5 page versions
 *   5   u8  flags      0 (reserved); a page-version node's level (version-node.ts)
 *   6   u16 count      entries (leaf, branch), page numbers (freelist), 0 (overflow)
 *   8   u32 pageNo     the page's own number: a page written to the wrong place fails the check
 *   12  u32 next       overflow: next overflow page; freelist: next trunk; else 0
 *
 * Leaf body: `count` entries in key order, each
 *   u16 keyLen | key | u8 kind | value part
 *   kind 0 inline raw:       u16 len | bytes
 *   kind 1 inline deflate:   u16 storedLen | u32 rawLen | bytes (raw DEFLATE)
 *   kind 2 overflow raw:     u32 len | u32 firstPage
 *   kind 3 overflow deflate: u32 storedLen | u32 rawLen | u32 firstPage
 * Branch body: u32 child0 | `count` × (u16 keyLen | key | u32 child). Child i+1 holds the keys
 *   ≥ key i; child 0 holds the keys < key 0.
 * Overflow body: value bytes from byte 16 to usable; the chain length follows from the length
 *   stored in the leaf entry.
 * Freelist trunk body: `count` × u32 free page numbers.
 *
 * In an encrypted database these are plaintext layouts: each page is stored sealed (nonce ‖
 * ciphertext of the usable area ‖ tag; crypto/seal.ts) and opened before decoding.
 *
 * The bytes between the end of the body and `usable` are zero. Decoding checks the checksum, the
 * page number, the type and every length against the page bounds, and throws CorruptDatabase on any
 * mismatch, so damaged bytes are never interpreted.
 */
import { crc32 } from 'node:zlib';
import { pageChecksum } from './crc.js';
import { hexxlaError } from '../errors.js';
import { pageHeaderBytes } from '../limits.js';
import type { KeyIndex } from './key-index.js';
import {
  VersionNode, decodeVersionNode, encodeVersionBody, pageTypeVersions,
} from './version-node.js';
import {
  LeafNode, StoredValue, compareKeys, emptyBytes, scanLeaf, valueKindInline,
  valueKindInlineDeflate, valueKindOverflow, valueKindOverflowDeflate,
} from './leaf-node.js';

export { VersionNode, pageTypeVersions };
export {
  LeafNode, StoredValue, emptyBytes, valueKindInline, valueKindInlineDeflate, valueKindOverflow,
  valueKindOverflowDeflate,
};

/** Lexicographic byte comparison of keys. */
export const compareBytes = compareKeys;

export const pageTypeLeaf = 1;
export const pageTypeBranch = 2;
export const pageTypeOverflow = 3;
export const pageTypeFreelist = 4;



export class BranchNode {
  readonly type = pageTypeBranch;
  /** Keys in one buffer for read-only searches, built on first use once committed (search.ts). */
  index: KeyIndex | null = null;
  constructor(
    public keys: Uint8Array[],
    public children: number[],
    public bytes: number,
  ) {}

  clone(): BranchNode {
    return new BranchNode(this.keys.slice(), this.children.slice(), this.bytes);
  }
}

export class OverflowPage {
  readonly type = pageTypeOverflow;
  constructor(
    public next: number,
    public data: Uint8Array,
  ) {}
}

export class FreelistPage {
  readonly type = pageTypeFreelist;
  constructor(
    public next: number,
    public ids: number[],
  ) {}
}

export type PageNode = LeafNode | BranchNode | OverflowPage | FreelistPage | VersionNode;

/** Encoded bytes of a stored value's part of a leaf entry (after the kind byte). */
export function valuePartBytes(v: StoredValue): number {
  switch (v.kind) {
    case valueKindInline:
      return 2 + v.data.length;
    case valueKindInlineDeflate:
      return 6 + v.data.length;
    case valueKindOverflow:
      return 8;
    default:
      return 12;
  }
}

export function leafEntryBytes(key: Uint8Array, v: StoredValue): number {
  return 3 + key.length + valuePartBytes(v);
}

export function branchEntryBytes(key: Uint8Array): number {
  return 6 + key.length;
}

/** Payload bytes per overflow page. */
export function overflowCapacity(usable: number): number {
  return usable - pageHeaderBytes;
}

/** Page numbers per freelist trunk page. */
export function freelistCapacity(usable: number): number {
  return Math.min(0xffff, Math.floor((usable - pageHeaderBytes) / 4));
}

/**
 * Encodes `node` as page `pageNo` into `out` at byte `base` (bytes base+usable … base+pageSize are
 * left alone), including the checksum. `dv` must view all of `out`: callers keep one DataView per
 * buffer, because creating one per page was a measurable cost on the commit path. Returns the
 * number of bytes used from `base` (header and body); the rest of the usable area is zero.
 */
export function encodePage(
  node: PageNode, pageNo: number, out: Uint8Array, dv: DataView, base: number, usable: number,
): number {
  // A packed leaf's body is copied over, so only its header and the tail after the body are
  // zeroed (the body bytes of a 4 KiB page were written twice, in a staging buffer that spans
  // hundreds of pages and is no longer in the CPU cache).
  const packed = node.type === pageTypeLeaf && node.isPacked;
  out.fill(0, base, base + (packed ? pageHeaderBytes : usable));
  dv.setUint8(base + 4, node.type);
  dv.setUint32(base + 8, pageNo, true);
  let end: number;
  switch (node.type) {
    case pageTypeLeaf:
      end = packed ? node.copyBodyTo(out, base) : encodeLeafBody(node, out, dv, base);
      break;
    case pageTypeBranch:
      end = encodeBranchBody(node, out, dv, base);
      break;
    case pageTypeOverflow:
      dv.setUint32(base + 12, node.next, true);
      out.set(node.data, base + pageHeaderBytes);
      end = base + pageHeaderBytes + node.data.length;
      break;
    case pageTypeFreelist:
      end = encodeFreelistBody(node, dv, base);
      break;
    case pageTypeVersions:
      end = encodeVersionBody(node, dv, base);
      break;
  }
  if (end > base + usable) throw new RangeError(`page ${pageNo} overflows its ${usable} bytes`);
  if (packed) out.fill(0, end, base + usable);
  dv.setUint32(base, pageChecksum(out, base, end, usable), true);
  return end - base;
}

function encodeLeafBody(node: LeafNode, out: Uint8Array, dv: DataView, base: number): number {
  dv.setUint16(base + 6, node.keys.length, true);
  let p = base + pageHeaderBytes;
  for (let i = 0; i < node.keys.length; i++) {
    const key = node.keys[i]!;
    const v = node.vals[i]!;
    dv.setUint16(p, key.length, true);
    out.set(key, p + 2);
    p += 2 + key.length;
    dv.setUint8(p++, v.kind);
    if (v.kind === valueKindInline) {
      dv.setUint16(p, v.data.length, true);
      out.set(v.data, p + 2);
      p += 2 + v.data.length;
    } else if (v.kind === valueKindInlineDeflate) {
      dv.setUint16(p, v.data.length, true);
      dv.setUint32(p + 2, v.rawLen, true);
      out.set(v.data, p + 6);
      p += 6 + v.data.length;
    } else if (v.kind === valueKindOverflow) {
      dv.setUint32(p, v.storedLen, true);
      dv.setUint32(p + 4, v.firstPage, true);
      p += 8;
    } else {
      dv.setUint32(p, v.storedLen, true);
      dv.setUint32(p + 4, v.rawLen, true);
      dv.setUint32(p + 8, v.firstPage, true);
      p += 12;
    }
  }
  return p;
}

function encodeBranchBody(node: BranchNode, out: Uint8Array, dv: DataView, base: number): number {
  dv.setUint16(base + 6, node.keys.length, true);
  dv.setUint32(base + pageHeaderBytes, node.children[0]!, true);
  let p = base + pageHeaderBytes + 4;
  for (let i = 0; i < node.keys.length; i++) {
    const key = node.keys[i]!;
    dv.setUint16(p, key.length, true);
    out.set(key, p + 2);
    p += 2 + key.length;
    dv.setUint32(p, node.children[i + 1]!, true);
    p += 4;
  }
  return p;
}

function encodeFreelistBody(node: FreelistPage, dv: DataView, base: number): number {
  dv.setUint16(base + 6, node.ids.length, true);
  dv.setUint32(base + 12, node.next, true);
  let p = base + pageHeaderBytes;
  for (const id of node.ids) {
    dv.setUint32(p, id, true);
    p += 4;
  }
  return p;
}

/** Decodes and validates page `pageNo` from `buf`; keys and inline values are views into `buf`. */
export function decodePage(
  buf: Uint8Array, pageNo: number, usable: number, path: string,
): PageNode {
  const corrupt = (what: string): never => {
    throw hexxlaError('CorruptDatabase', `page ${pageNo}: ${what}`, { path, page: pageNo });
  };
  if (buf.length < usable) corrupt('short read');
  const dv = new DataView(buf.buffer, buf.byteOffset, usable);
  if (dv.getUint32(0, true) !== crc32(buf.subarray(4, usable))) corrupt('checksum mismatch');
  if (dv.getUint32(8, true) !== pageNo) corrupt('page number mismatch (misdirected write)');
  const count = dv.getUint16(6, true);
  const next = dv.getUint32(12, true);
  switch (dv.getUint8(4)) {
    case pageTypeLeaf:
      return decodeLeaf(buf, dv, count, usable, corrupt);
    case pageTypeBranch:
      return decodeBranch(buf, dv, count, usable, corrupt);
    case pageTypeOverflow:
      return new OverflowPage(next, buf.subarray(pageHeaderBytes, usable));
    case pageTypeFreelist: {
      if (pageHeaderBytes + count * 4 > usable) corrupt('freelist count out of bounds');
      const ids: number[] = new Array<number>(count);
      for (let i = 0; i < count; i++) ids[i] = dv.getUint32(pageHeaderBytes + i * 4, true);
      return new FreelistPage(next, ids);
    }
    case pageTypeVersions:
      return decodeVersionNode(dv, usable, corrupt);
    default:
      return corrupt(`unknown page type ${dv.getUint8(4)}`);
  }
}

type Corrupt = (what: string) => never;

function decodeLeaf(
  buf: Uint8Array, dv: DataView, count: number, usable: number, corrupt: Corrupt,
): LeafNode {
  const scanned = scanLeaf(dv, count, usable);
  if (typeof scanned === 'string') corrupt(scanned);
  const { offs, end } = scanned as { offs: Uint16Array; end: number };
  return LeafNode.packed(buf, dv, offs, end);
}

function decodeBranch(
  buf: Uint8Array, dv: DataView, count: number, usable: number, corrupt: Corrupt,
): BranchNode {
  if (pageHeaderBytes + 4 > usable) corrupt('branch out of bounds');
  const keys: Uint8Array[] = new Array<Uint8Array>(count);
  const children: number[] = new Array<number>(count + 1);
  children[0] = dv.getUint32(pageHeaderBytes, true);
  let p = pageHeaderBytes + 4;
  for (let i = 0; i < count; i++) {
    if (p + 2 > usable) corrupt('branch entry out of bounds');
    const keyLen = dv.getUint16(p, true);
    if (p + 6 + keyLen > usable) corrupt('branch key out of bounds');
    keys[i] = buf.subarray(p + 2, p + 2 + keyLen);
    p += 2 + keyLen;
    children[i + 1] = dv.getUint32(p, true);
    p += 4;
  }
  return new BranchNode(keys, children, p);
}


