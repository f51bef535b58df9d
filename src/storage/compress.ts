/**
 * Value codec: raw DEFLATE (RFC 1951) for stored values (SPEC: "Values of 64 bytes or more are
 * DEFLATE-compressed when that makes them smaller"; leaf value kinds 1 and 3 in page.ts).
 *
 * Format. The stored bytes are always a standard raw DEFLATE stream (no zlib or gzip wrapper),
 * so any zlib can read them and this module can read any zlib output. The raw length is kept
 * beside the stream by the page layer and is passed back to `decompressValue`.
 *
 * Why not native zlib for small values. Measured on the development machine (Node 20) for a
 * 141-byte JSON value: zlib.deflateRawSync costs ~11–14 µs and zlib.inflateRawSync ~7 µs per
 * call, almost all of it per-call binding and stream setup (windowBits / memLevel options do
 * not help); fflate is slower still (~39 / 32 µs). The engine targets ≥ 150,000 inserts/s and
 * ≥ 300,000 point reads/s, so per-value compression must cost ~1–2 µs. Hence:
 *
 * - Encoding, inputs of `compressBytesMin` (64) up to `jsEncodeBytesMax` bytes: a JS encoder.
 *   Greedy LZ77 with a single-probe hash table of 4-byte prefixes (LZ4 / Snappy style), then
 *   fixed Huffman codes (BTYPE=01) in one final block. The hash table is a module-level
 *   Int32Array stamped with a per-call generation base, so it is never cleared or allocated per
 *   call; the output goes into a module-level scratch buffer and only the result is allocated.
 *   Fixed codes need no code-length header (which would cost ~60–80 bytes on a value this small)
 *   and no per-call tree construction. See bench/compress-bench.ts for the figures reached.
 * - Encoding, longer inputs: zlib.deflateRawSync (dynamic Huffman, lazy matching), whose
 *   better ratio is worth its fixed per-call cost once the value is a few KiB.
 * - Decoding: a JS decoder for stored (BTYPE=00) and fixed-Huffman (BTYPE=01) blocks, including
 *   multi-block streams. A stream that contains any other block type (dynamic Huffman, as zlib
 *   writes for larger values, or the reserved type) is handed whole to zlib.inflateRawSync.
 *
 * Validation. Decoding never trusts its input: a malformed stream, a truncated stream, trailing
 * bytes after the final block, a back-reference before the start of the output, or an output
 * whose length is not exactly `rawLength` all throw CorruptDatabase. Every read of the input and
 * every write of the output is bounds-checked (bytes past the end of the input read as zero and
 * are then detected as a truncation), and every loop is bounded by the input or output length.
 *
 * Not re-entrant by design: the encoder and decoder keep their scratch state in module-level
 * variables. JavaScript runs them synchronously to completion, and each worker thread has its
 * own module instance.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { assert } from '../assert.js';
import { hexxlaError } from '../errors.js';
import { compressBytesMin } from '../limits.js';

/** Values of this many bytes or more are compressed when that makes them smaller (64). */
export { compressBytesMin };

/**
 * Longest input the JS encoder handles; longer inputs go to zlib. Chosen by measurement
 * (bench/compress-bench.ts): up to here the JS encoder is several times faster than zlib at a
 * ratio within a few per cent of it on JSON-like values; above, zlib's dynamic Huffman codes win
 * on ratio and its per-call cost is amortised.
 */
export const jsEncodeBytesMax = 4096;

/** DEFLATE cannot expand more than 258 bytes per 2 bits, i.e. 1032 bytes per stored byte. */
const inflateRatioMax = 1032;

// ---------------------------------------------------------------------------------------------
// Fixed Huffman tables (RFC 1951 §3.2.5, §3.2.6).

const lengthBase = Uint16Array.of(
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
  35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
);
const lengthExtra = Uint8Array.of(
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
);
const distBase = Uint16Array.of(
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
  1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
);
const distExtra = Uint8Array.of(
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
);

/** The fixed literal/length code of `symbol` (0..287) and its bit length. */
function fixedLitCode(symbol: number): { code: number; bits: number } {
  if (symbol < 144) return { code: 0x30 + symbol, bits: 8 };
  if (symbol < 256) return { code: 0x190 + symbol - 144, bits: 9 };
  if (symbol < 280) return { code: symbol - 256, bits: 7 };
  return { code: 0xc0 + symbol - 280, bits: 8 };
}

/** Reverses the low `bits` bits of `code`: Huffman codes are packed most significant bit first. */
function reverseBits(code: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) r = (r << 1) | ((code >>> i) & 1);
  return r;
}

/** Index of the last entry of `bases` (ascending, bases[0] ≤ value) that is ≤ `value`. */
function baseIndex(bases: Uint16Array, value: number): number {
  let i = 0;
  while (i + 1 < bases.length && bases[i + 1]! <= value) i++;
  return i;
}

// Encoder tables: bit-reversed code (plus extra bits above it) and total bit count.
const encLitCode = new Uint16Array(256);
const encLitBits = new Uint8Array(256);
const encLenCode = new Uint16Array(259);
const encLenBits = new Uint8Array(259);
const encDistCode = new Uint32Array(jsEncodeBytesMax);
const encDistBits = new Uint8Array(jsEncodeBytesMax);

// Decoder tables: 9-bit lookup of the literal/length code (symbol << 4 | bits), 5-bit distance.
const decLit = new Uint16Array(512);
const decDist = new Uint8Array(32);

/** Fills the encoder and decoder tables once, at module load. */
function buildTables(): void {
  for (let s = 0; s < 288; s++) {
    const { code, bits } = fixedLitCode(s);
    const rev = reverseBits(code, bits);
    if (s < 256) {
      encLitCode[s] = rev;
      encLitBits[s] = bits;
    }
    for (let k = 0; k < 1 << (9 - bits); k++) decLit[rev | (k << bits)] = (s << 4) | bits;
  }
  for (let len = 3; len <= 258; len++) {
    const i = baseIndex(lengthBase, len);
    const { code, bits } = fixedLitCode(257 + i);
    encLenCode[len] = reverseBits(code, bits) | ((len - lengthBase[i]!) << bits);
    encLenBits[len] = bits + lengthExtra[i]!;
  }
  for (let d = 1; d < jsEncodeBytesMax; d++) {
    const i = baseIndex(distBase, d);
    encDistCode[d] = reverseBits(i, 5) | ((d - distBase[i]!) << 5);
    encDistBits[d] = 5 + distExtra[i]!;
  }
  for (let s = 0; s < 32; s++) decDist[reverseBits(s, 5)] = s;
}
buildTables();

// The encoder's bit buffer holds < 16 bits between writes, so every code must fit in 16 bits:
// distances below 8192 take at most 5 + 11 bits, lengths at most 8 + 5, literals 9.
assert(jsEncodeBytesMax <= 8192, 'JS encoder window must keep distance codes ≤ 16 bits');
assert(jsEncodeBytesMax >= compressBytesMin, 'JS encoder must cover the smallest values');

// ---------------------------------------------------------------------------------------------
// Result allocation. `new Uint8Array(n)` allocates an off-heap backing store per call, measured
// at 0.3–2 µs on the development machine (more when lengths vary), i.e. as much as the whole
// codec. Results up to `slabItemBytesMax` are therefore carved from a shared slab, like Node's
// Buffer pool: each result is a view of its own disjoint bytes, never handed out twice and never
// written again by this module, but its `.buffer` is the slab (use byteOffset / byteLength).

const slabBytes = 16 * 1024;
const slabItemBytesMax = 2048;
let slab = new ArrayBuffer(slabBytes);
let slabUsed = 0;

/** A zero-filled Uint8Array of `n` bytes that no other caller holds. */
function allocResult(n: number): Uint8Array {
  if (n > slabItemBytesMax) return new Uint8Array(n);
  if (slabUsed + n > slabBytes) {
    slab = new ArrayBuffer(slabBytes);
    slabUsed = 0;
  }
  const view = new Uint8Array(slab, slabUsed, n);
  slabUsed = (slabUsed + n + 7) & ~7; // keep views 8-byte aligned, as Buffer's pool does
  return view;
}

// ---------------------------------------------------------------------------------------------
// Encoder.

const hashBits = 12;
const hashShift = 32 - hashBits;
/** Hash heads: input position + generation base of the call that stored it (0 = never). */
const hashTable = new Int32Array(1 << hashBits);
/** Generation base of the next call; entries below the current base are stale. */
let hashBase = 1;
/** Output scratch: the encoder stops once output ≥ input, a few bytes of slack past it. */
const encOut = new Uint8Array(jsEncodeBytesMax + 16);

/** Little-endian 32-bit load; the caller guarantees i + 3 < a.length. */
function load32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
}

/**
 * Compresses `raw` into raw DEFLATE when `raw.length ≥ compressBytesMin` and the result is
 * strictly smaller than `raw`.
 *
 * Inputs up to `jsEncodeBytesMax` bytes use the fast JS encoder (fixed Huffman, one block);
 * longer ones use zlib.deflateRawSync. The result is always standard raw DEFLATE.
 *
 * @param raw - the value bytes; not modified.
 * @returns a fresh Uint8Array holding the stream, or null when the value is stored raw (too
 *   short, or compression would not make it smaller).
 */
export function compressValue(raw: Uint8Array): Uint8Array | null {
  const n = raw.length;
  if (n < compressBytesMin) return null;
  if (n > jsEncodeBytesMax) {
    const z = deflateRawSync(raw);
    if (z.length >= n) return null;
    const result = allocResult(z.length);
    result.set(z);
    return result;
  }
  const len = encodeFixed(raw);
  if (len < 0) return null;
  const result = allocResult(len);
  result.set(encOut.subarray(0, len));
  return result;
}

/** Length of the common run of raw[a..] and raw[b..], a < b, from `start`, at most `max`. */
function matchLength(raw: Uint8Array, a: number, b: number, start: number, max: number): number {
  let len = start;
  while (len < max && raw[a + len] === raw[b + len]) len++;
  return len;
}

/** Claims the generation range of an `n`-byte call; returns its base. */
function claimHashBase(n: number): number {
  if (hashBase > 0x7fff_ffff - n - 1) {
    hashTable.fill(0);
    hashBase = 1;
  }
  const base = hashBase;
  hashBase += n;
  return base;
}

/**
 * Encodes `raw` (64 ≤ length ≤ jsEncodeBytesMax) as one final fixed-Huffman block into `encOut`.
 * Returns the stream length, or -1 as soon as the output reaches the input length.
 */
function encodeFixed(raw: Uint8Array): number {
  const n = raw.length;
  const out = encOut;
  const table = hashTable;
  const base = claimHashBase(n);
  const last = n - 4;
  let bb = 3; // BFINAL = 1, BTYPE = 01 (fixed Huffman), written least significant bit first.
  let bc = 3;
  let op = 0;
  let i = 0;
  while (i <= last) {
    const word = load32(raw, i);
    const h = Math.imul(word, 0x9e3779b1) >>> hashShift;
    const cand = table[h]! - base;
    table[h] = i + base;
    if (cand >= 0 && load32(raw, cand) === word) {
      const len = matchLength(raw, cand, i, 4, Math.min(258, n - i));
      const dist = i - cand;
      bb |= encLenCode[len]! << bc;
      bc += encLenBits[len]!;
      if (bc >= 16) {
        out[op] = bb;
        out[op + 1] = bb >>> 8;
        op += 2;
        bb >>>= 16;
        bc -= 16;
      }
      bb |= encDistCode[dist]! << bc;
      bc += encDistBits[dist]!;
      const j = i + len - 2;
      if (len > 4 && j <= last) {
        // Seed a position near the end of the match: repeated JSON keys then match more often.
        table[Math.imul(load32(raw, j), 0x9e3779b1) >>> hashShift] = j + base;
      }
      i += len;
    } else {
      const c = raw[i]!;
      bb |= encLitCode[c]! << bc;
      bc += encLitBits[c]!;
      i++;
    }
    if (bc >= 16) {
      out[op] = bb;
      out[op + 1] = bb >>> 8;
      op += 2;
      bb >>>= 16;
      bc -= 16;
      if (op >= n) return -1;
    }
  }
  return finishFixed(raw, i, op, bb, bc);
}

/** Emits the literals from `i` to the end, the end-of-block code, and flushes the bit buffer. */
function finishFixed(
  raw: Uint8Array,
  from: number,
  opIn: number,
  bbIn: number,
  bcIn: number,
): number {
  const n = raw.length;
  const out = encOut;
  let op = opIn;
  let bb = bbIn;
  let bc = bcIn;
  for (let i = from; i < n; i++) {
    const c = raw[i]!;
    bb |= encLitCode[c]! << bc;
    bc += encLitBits[c]!;
    if (bc >= 16) {
      out[op] = bb;
      out[op + 1] = bb >>> 8;
      op += 2;
      bb >>>= 16;
      bc -= 16;
    }
  }
  bc += 7; // End of block: symbol 256 is seven zero bits.
  while (bc > 0) {
    out[op++] = bb;
    bb >>>= 8;
    bc -= 8;
  }
  return op < n ? op : -1;
}

// ---------------------------------------------------------------------------------------------
// Decoder. State of the stream being decoded (see the module comment on re-entrancy).

let src: Uint8Array = new Uint8Array(0);
/** Next input byte to load into the bit buffer; may run past src.length (zeros are loaded). */
let ip = 0;
/** Bit buffer (least significant bit first) and the number of valid bits in it (< 32). */
let bb = 0;
let bc = 0;
let dst: Uint8Array = new Uint8Array(0);
let op = 0;
/** The raw length of the value being decoded (for error context). */
let rawLen = 0;

/** Throws the CorruptDatabase error of a malformed stream. */
function malformed(reason: string): never {
  throw hexxlaError('CorruptDatabase', 'compressed value is malformed', {
    reason,
    storedLen: src.length,
    rawLen,
  });
}

/**
 * Decompresses a raw DEFLATE stream into exactly `rawLength` bytes.
 *
 * Stored and fixed-Huffman blocks are decoded in JS; a stream with any other block type is
 * decoded by zlib.inflateRawSync. The stream must end exactly at the end of `stored`.
 *
 * @param stored - the raw DEFLATE bytes as written by `compressValue` (or any zlib).
 * @param rawLength - the length of the value before compression, as recorded beside it.
 * @returns a fresh Uint8Array of `rawLength` bytes.
 * @throws HexxlaError CorruptDatabase when the stream is malformed, truncated, followed by extra
 *   bytes, refers before the start of the output, or does not decode to exactly `rawLength` bytes.
 */
export function decompressValue(stored: Uint8Array, rawLength: number): Uint8Array {
  src = stored;
  rawLen = rawLength;
  if (!Number.isSafeInteger(rawLength) || rawLength < 0) malformed('invalid raw length');
  if (rawLength > stored.length * inflateRatioMax) malformed('raw length beyond DEFLATE ratio');
  dst = allocResult(rawLength);
  ip = 0;
  bb = 0;
  bc = 0;
  op = 0;
  const out = dst;
  try {
    return inflateJs() ? out : inflateZlib(stored, rawLength);
  } finally {
    src = new Uint8Array(0);
    dst = src;
  }
}

/** Bits of `src` consumed so far. */
function bitsConsumed(): number {
  return ip * 8 - bc;
}

/** Decodes the block sequence; false when a block type needs zlib. */
function inflateJs(): boolean {
  const inputBits = src.length * 8;
  for (;;) {
    if (bitsConsumed() >= inputBits) malformed('truncated stream');
    refill();
    const header = bb & 7;
    bb >>>= 3;
    bc -= 3;
    const type = header >>> 1;
    if (type === 0) storedBlock();
    else if (type === 1) fixedBlock();
    else return false;
    if ((header & 1) !== 0) break;
  }
  const used = bitsConsumed();
  if (used > inputBits) malformed('truncated stream');
  if (Math.ceil(used / 8) !== src.length) malformed('trailing bytes after the final block');
  if (op !== dst.length) malformed('output shorter than the raw length');
  return true;
}

/** Loads bytes into the bit buffer until it holds at least 24 bits (zeros past the end). */
function refill(): void {
  while (bc < 24) {
    bb |= (ip < src.length ? src[ip]! : 0) << bc;
    ip++;
    bc += 8;
  }
}

/** Copies one stored block: byte-align, LEN, NLEN = ~LEN, LEN bytes. */
function storedBlock(): void {
  const pos = (bitsConsumed() + 7) >>> 3; // skip to the byte boundary
  bb = 0;
  bc = 0;
  const input = src;
  if (pos + 4 > input.length) malformed('truncated stored block header');
  const len = input[pos]! | (input[pos + 1]! << 8);
  const nlen = input[pos + 2]! | (input[pos + 3]! << 8);
  if ((len ^ nlen) !== 0xffff) malformed('stored block length check failed');
  const start = pos + 4;
  if (start + len > input.length) malformed('truncated stored block');
  if (op + len > dst.length) malformed('output longer than the raw length');
  dst.set(input.subarray(start, start + len), op);
  op += len;
  ip = start + len;
}

/** Decodes one fixed-Huffman block up to and including its end-of-block code. */
function fixedBlock(): void {
  const input = src;
  const n = input.length;
  const out = dst;
  const outLen = out.length;
  let p = ip;
  let b = bb;
  let c = bc;
  let o = op;
  for (;;) {
    for (; c < 24; c += 8, p++) b |= (p < n ? input[p]! : 0) << c;
    const e = decLit[b & 511]!;
    b >>>= e & 15;
    c -= e & 15;
    const sym = e >>> 4;
    if (sym < 256) {
      if (o >= outLen) malformed('output longer than the raw length');
      out[o++] = sym;
      continue;
    }
    if (sym === 256) break;
    const li = sym - 257;
    if (li >= 29) malformed('invalid literal/length code');
    const le = lengthExtra[li]!;
    const len = lengthBase[li]! + (b & ((1 << le) - 1));
    b >>>= le;
    c -= le;
    for (; c < 24; c += 8, p++) b |= (p < n ? input[p]! : 0) << c;
    const ds = decDist[b & 31]!;
    if (ds >= 30) malformed('invalid distance code');
    const de = distExtra[ds]!;
    const dist = distBase[ds]! + ((b >>> 5) & ((1 << de) - 1));
    b >>>= 5 + de;
    c -= 5 + de;
    if (dist > o) malformed('back-reference before the start of the output');
    if (o + len > outLen) malformed('output longer than the raw length');
    for (let k = o - dist, end = o + len; o < end; ) out[o++] = out[k++]!;
  }
  ip = p;
  bb = b;
  bc = c;
  op = o;
}

/** Decodes the whole stream with zlib and checks its length and exact end. */
function inflateZlib(stored: Uint8Array, rawLength: number): Uint8Array {
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    result = inflateRawSync(stored, {
      info: true,
      maxOutputLength: Math.max(1, rawLength),
    }) as unknown as typeof result;
  } catch (cause) {
    throw hexxlaError(
      'CorruptDatabase',
      'compressed value is malformed',
      { reason: 'zlib rejected the stream', storedLen: stored.length, rawLen: rawLength },
      cause,
    );
  }
  if (result.buffer.length !== rawLength) malformed('output length differs from the raw length');
  if (result.engine.bytesWritten !== stored.length) {
    malformed('trailing bytes after the final block');
  }
  const out = dst;
  out.set(result.buffer);
  return out;
}
