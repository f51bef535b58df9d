/**
 * CRC-32 (the zlib / IEEE polynomial, as node:zlib crc32) arithmetic that spares the commit path
 * whole passes over page bytes. Every checksum computed here is bit for bit the one node:zlib
 * computes over the same bytes: the on-disk format is untouched.
 *
 * Why. A logged page image used to be checksummed twice: once over its whole usable area (the
 * page checksum, zero tail included) and again over the frame header and used prefix (the frame
 * checksum), ~3.5 µs per page on this machine, plus ~0.3 µs of fixed cost per native call. CRCs
 * compose: with crc(A) and crc(B) known, crc(A ‖ B) = crc(A)·x^(8|B|) mod P ⊕ crc(B)
 * (zlib's crc32_combine). So the body is checksummed once; the zero tail and the frame's
 * 32-byte head are folded in arithmetically (one 32-step carry-less multiply each).
 *
 * `pageChecksum` remembers the body checksum of the last page it summed, keyed by buffer and
 * range; `frameChecksum` reuses it only when the frame's payload is exactly that page image in the
 * same buffer (the commit path encodes a page and finishes its frame right after). Anything else
 * (sealed payloads, commit frames) is summed natively.
 */
import { crc32 } from 'node:zlib';

/** The reflected CRC-32 polynomial. */
const poly = 0xedb88320;

/** Byte table for the short JS sums (frame heads). */
const byteTable = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
  byteTable[n] = c;
}

/**
 * Slice-by-4 tables for crc32Short: entry k·256 + n is the CRC step of byte n followed by k zero
 * bytes, so four bytes take four lookups and one dependent step instead of four.
 */
const sliceTable = new Int32Array(4 * 256);
for (let n = 0; n < 256; n++) {
  let c = byteTable[n]!;
  sliceTable[n] = c;
  for (let k = 1; k < 4; k++) {
    c = byteTable[c & 0xff]! ^ (c >>> 8);
    sliceTable[k * 256 + n] = c;
  }
}

/** a·b mod P in the reflected representation (zlib multmodp); x^0 is 0x80000000. */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let bb = b;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= bb;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    bb = (bb & 1) !== 0 ? (bb >>> 1) ^ poly : bb >>> 1;
  }
  return p >>> 0;
}

/** shift[n] = x^(8n) mod P (appending n bytes); zeros[n] = crc32 of n zero bytes. */
let shift = new Uint32Array(0);
let zeros = new Uint32Array(0);

/** Extends both tables to cover lengths 0 … n. */
function growTables(n: number): void {
  if (n < shift.length) return;
  let size = Math.max(shift.length, 4097);
  while (size <= n) size *= 2;
  const s = new Uint32Array(size);
  const z = new Uint32Array(size);
  s.set(shift);
  z.set(zeros);
  const x8 = 0x00800000; // x^8
  let from = shift.length;
  if (from === 0) {
    s[0] = 0x80000000;
    z[0] = 0;
    from = 1;
  }
  for (let i = from; i < size; i++) {
    s[i] = multModP(s[i - 1]!, x8);
    const c = ~z[i - 1]!;
    z[i] = ~(byteTable[c & 0xff]! ^ (c >>> 8)) >>> 0;
  }
  shift = s;
  zeros = z;
}
growTables(4096);

/** crc32(A ‖ B) from crcA = crc32(A), crcB = crc32(B) and |B| = lenB bytes. */
export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  growTables(lenB);
  return (multModP(shift[lenB]!, crcA) ^ crcB) >>> 0;
}

/** crc32(A ‖ n zero bytes) from crcA = crc32(A). */
export function crc32ZeroExtend(crcA: number, n: number): number {
  growTables(n);
  return (multModP(shift[n]!, crcA) ^ zeros[n]!) >>> 0;
}

/** crc32 of buf[from, to) continuing from `seed` (as crc32(bytes, seed)), in JS: short runs. */
export function crc32Short(buf: Uint8Array, from: number, to: number, seed = 0): number {
  let c = ~seed;
  let i = from;
  const t = sliceTable;
  for (; i + 4 <= to; i += 4) {
    c ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    c = t[768 + (c & 0xff)]! ^ t[512 + ((c >>> 8) & 0xff)]! ^ t[256 + ((c >>> 16) & 0xff)]! ^
      t[c >>> 24]!;
  }
  for (; i < to; i++) c = byteTable[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The last page body summed by pageChecksum: buffer, image start, body end, body checksum. */
let memoBuf: Uint8Array | null = null;
let memoBase = -1;
let memoEnd = -1;
let memoCrc = 0;
let memoPageCrc = 0;

/**
 * The page checksum of the image at `out[base …]`: crc32 over bytes base+4 … base+usable, where
 * every byte from `end` on is zero (the caller encoded it so). Sums only base+4 … end.
 */
export function pageChecksum(out: Uint8Array, base: number, end: number, usable: number): number {
  const body = crc32(out.subarray(base + 4, end));
  memoBuf = out;
  memoBase = base;
  memoEnd = end;
  memoCrc = body;
  memoPageCrc = crc32ZeroExtend(body, base + usable - end);
  return memoPageCrc;
}

/**
 * The frame checksum: crc32 over out[at, at+28) followed by the payload out[at+32, at+32+bytes).
 * When the payload is the page image pageChecksum just summed (same buffer, same range, its
 * checksum already stored in its first 4 bytes), only the 32 head and checksum bytes are summed.
 */
export function frameChecksum(out: Uint8Array, at: number, payloadBytes: number): number {
  const payload = at + 32;
  if (out === memoBuf && payload === memoBase && payload + payloadBytes === memoEnd &&
    readU32(out, payload) === memoPageCrc) {
    memoBuf = null;
    const head = crc32Short(out, payload, payload + 4, crc32Short(out, at, at + 28));
    return crc32Combine(head, memoCrc, payloadBytes - 4);
  }
  // Commit frames and small payloads: JS beats a call into zlib (~0.3 µs fixed cost) up to here.
  const head = crc32Short(out, at, at + 28);
  return payloadBytes <= crcShortBytesMax ? crc32Short(out, payload, payload + payloadBytes, head)
    : crc32(out.subarray(payload, payload + payloadBytes), head);
}

const crcShortBytesMax = 128;

function readU32(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}
