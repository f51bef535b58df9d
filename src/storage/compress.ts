/**
 * Value codec: raw DEFLATE (RFC 1951) for stored values (SPEC: "Values of 64 bytes or more are
 * DEFLATE-compressed when that makes them smaller"; leaf value kinds 1 and 3 in page.ts).
 *
 * Format. The stored bytes are always one standard raw DEFLATE stream (no zlib or gzip wrapper),
 * so any zlib reads what this module writes and this module reads what any zlib writes. The raw
 * length is kept beside the stream by the page layer and passed back to `decompressValue`.
 *
 * Why not native zlib for small values. Measured on the development machine (Node 20) for a
 * 141-byte JSON value: zlib.deflateRawSync costs ~11–14 µs and zlib.inflateRawSync ~7 µs per
 * call, almost all of it per-call binding and stream setup (windowBits / memLevel options do not
 * help); fflate is slower still (~39 / 32 µs). The engine targets ≥ 150,000 inserts/s and
 * ≥ 300,000 point reads/s, so per-value compression must cost ~1–2 µs. Hence:
 *
 * - Encoding, `compressBytesMin` (64) to `jsEncodeBytesMax` bytes: a JS encoder. Greedy LZ77
 *   with a single-probe hash table of 3-byte prefixes (LZ4 / Snappy style), then fixed Huffman
 *   codes (BTYPE=01) in one final block: no code-length header and no per-call tree building.
 *   The hash table is a module-level 16-bit array stamped with a per-call generation base, so it
 *   is cleared only when the generations wrap (every ~64 KiB of input) and never allocated;
 *   output goes to a module-level scratch buffer and stops as soon as it is no smaller than the
 *   input.
 * - Encoding, longer inputs: zlib.deflateRawSync (dynamic Huffman, lazy matching).
 * - Decoding, `rawLength` up to `jsDecodeBytesMax`: a JS decoder for stored (BTYPE=00) and
 *   fixed-Huffman (BTYPE=01) blocks, multi-block streams included. A stream with any other block
 *   type (dynamic Huffman, as zlib writes, or the reserved type) is handed whole to
 *   zlib.inflateRawSync, as are longer values, where zlib's faster per-byte loop wins.
 * - Small results are carved from a shared slab (`allocBytes`): a plain `new Uint8Array(n)`
 *   costs 0.3–2 µs here, as much as the whole codec; zlib results are returned without a copy.
 *
 * Figures reached (bench/compress-bench.ts on the same machine, a shared host, best of 5 trials,
 * ±30 % between runs). ~150-byte JSON cells: compress 0.75–0.9 µs, decompress ~0.75 µs,
 * stored/raw 0.947 (zlib: 12–17 µs / 4–7 µs, 0.848; zlib limited to fixed codes, Z_FIXED: 0.973).
 * ~900-byte cells: 5.9 / 5.2 µs, 0.665 (zlib: 25 / 9.4 µs, 0.494; Z_FIXED: 0.641).
 * The ratio gap to zlib is its dynamic Huffman codes, which spend ~5–6 bits on a lowercase letter
 * where fixed codes spend 8. The gap widens with size (arrays of cells: 0.58 against 0.44 at
 * 0.9 KiB, 0.52 against 0.37 at 1.9 KiB) while zlib's per-call cost fades (compress at 0.9 KiB:
 * 25 against 4 µs; at 1.9 KiB: 40 against 13.5 µs), so `jsEncodeBytesMax` is 1 KiB: above it,
 * zlib's smaller output also keeps more values inline in 4 KiB pages (inline limit ~700 stored
 * bytes) rather than spilling them to an overflow page. Decoding fixed-code streams, JS beats
 * zlib up to ~1.1 KiB (0.9 KiB: 2.8 against 3.6 µs; 1.5 KiB: 5.1 against 3.9 µs).
 *
 * Validation. Decoding never trusts its input: a malformed stream, a truncated stream, trailing
 * bytes after the final block, a back-reference before the start of the output, or an output
 * whose length is not exactly `rawLength` all throw CorruptDatabase. Every read of the input is
 * bounds-checked (bits past the end of the input read as zero and are then reported as a
 * truncation); no write leaves the output (a literal stored past its end is dropped, as typed
 * arrays drop such stores, and counted, so the length check rejects it); every loop is bounded by
 * the input or the output length.
 *
 * Not re-entrant by design: the encoder and decoder keep scratch state in module-level variables.
 * JavaScript runs them synchronously to completion, and each worker thread has its own instance.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { assert } from '../assert.js';
import { hexxlaError } from '../errors.js';
import { allocBytes } from './bytes.js';
import { compressBytesMin } from '../limits.js';

/** Values of this many bytes or more are compressed when that makes them smaller (64). */
export { compressBytesMin };

/** Longest input the JS encoder handles; longer inputs go to zlib (see the module comment). */
export const jsEncodeBytesMax = 1024;

/**
 * Longest raw length the JS decoder handles; longer values go to zlib, whose per-byte loop is
 * ~3× faster than the JS one once its ~3–4 µs per-call cost is amortised (crossover ~1.1 KiB).
 */
export const jsDecodeBytesMax = 1024;

/** DEFLATE cannot expand more than 258 bytes per 2 bits, i.e. 1032 bytes per stored byte. */
const inflateRatioMax = 1032;
/** Largest zlib output chunk: longer values are decoded in several chunks and concatenated. */
const zlibChunkBytesMax = 1 << 20;

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

// Encoder tables, one load per symbol: the bit-reversed code with its extra bits above it in the
// low 16 bits, the total bit count above them.
const encLit = new Int32Array(256);
const encLen = new Int32Array(259);
const encDist = new Int32Array(jsEncodeBytesMax);

// Decoder table: rev8[x] is byte x with its bit order reversed. The decoder loads input bytes
// through it into an MSB-first bit buffer, where a fixed Huffman code reads as a plain number:
// the next 9 bits alone tell the code's length and symbol (see fixedBlock), with no table.
const rev8 = new Uint8Array(256);

/** Fills the encoder and decoder tables once, at module load. */
function buildTables(): void {
  for (let s = 0; s < 288; s++) {
    const { code, bits } = fixedLitCode(s);
    const rev = reverseBits(code, bits);
    if (s < 256) encLit[s] = rev | (bits << 16);
  }
  for (let len = 3; len <= 258; len++) {
    const i = baseIndex(lengthBase, len);
    const { code, bits } = fixedLitCode(257 + i);
    const extra = (len - lengthBase[i]!) << bits;
    encLen[len] = reverseBits(code, bits) | extra | ((bits + lengthExtra[i]!) << 16);
  }
  for (let d = 1; d < jsEncodeBytesMax; d++) {
    const i = baseIndex(distBase, d);
    const extra = (d - distBase[i]!) << 5;
    encDist[d] = reverseBits(i, 5) | extra | ((5 + distExtra[i]!) << 16);
  }
  for (let x = 0; x < 256; x++) rev8[x] = reverseBits(x, 8);
}
buildTables();

// The encoder's bit buffer holds < 16 bits between writes, so every code must fit in 16 bits:
// distances below 8192 take at most 5 + 11 bits, lengths at most 8 + 5, literals 9.
assert(jsEncodeBytesMax <= 8192, 'JS encoder window must keep distance codes ≤ 16 bits');
assert(jsEncodeBytesMax >= compressBytesMin, 'JS encoder must cover the smallest values');

// Results are allocated with allocBytes (src/storage/bytes.ts): views of disjoint ranges of a
// shared slab, zero-filled, each handed out once.

// ---------------------------------------------------------------------------------------------
// Encoder.

const hashBits = 12;
const hashShift = 32 - hashBits;
/**
 * Hash heads: input position + generation base of the call that stored it (0 = never). 16-bit
 * entries keep the table at 8 KiB, half the cache lines a call's ~150 scattered probes touch;
 * the generations wrap every ~64 KiB of input, when the table is cleared once.
 */
const hashTable = new Uint16Array(1 << hashBits);
/** Generation base of the next call; entries below the current call's base are stale. */
let hashBase = 1;
/** Output scratch: the encoder stops once output ≥ input, a few bytes of slack past it. */
const encOut = new Uint8Array(jsEncodeBytesMax + 16);
/**
 * Input scratch: the value is copied here first. Loads from a module-level array compile to
 * loads at a fixed address with a constant bound; loads from the caller's array re-check its map
 * and reload its length and data pointer on every access (~2× the instructions per byte).
 */
const encIn = new Uint8Array(jsEncodeBytesMax + 16);

/** Little-endian 24-bit load; the caller guarantees i + 2 < a.length. */
function load24(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16);
}

const hashMul = 0x9e3779b1;

/** Hash-table slot of the 3-byte prefix `word` (low 24 bits). */
function hashSlot(word: number): number {
  return Math.imul(word, hashMul) >>> hashShift;
}

/**
 * Compresses a value into raw DEFLATE when it is at least `compressBytesMin` bytes long and the
 * result is strictly smaller.
 *
 * Inputs up to `jsEncodeBytesMax` bytes use the fast JS encoder (fixed Huffman, one block);
 * longer ones use zlib.deflateRawSync. Either way the result is standard raw DEFLATE.
 *
 * @param raw - the value bytes; not modified, not retained.
 * @returns the stream in a new Uint8Array the caller owns (small results are views of a shared
 *   slab, like `Buffer.allocUnsafe`; use byteOffset/byteLength with `.buffer`), or null when the
 *   value should be stored raw: shorter than `compressBytesMin`, or not made smaller.
 */
export function compressValue(raw: Uint8Array): Uint8Array | null {
  const z = compressValueScratch(raw);
  if (z === null) return null;
  const result = allocBytes(z.length);
  result.set(z);
  return result;
}

/**
 * compressValue without the final copy: the stream may be a view of the encoder's scratch
 * buffer, valid only until the next compress call. For callers that copy it at once (a put
 * writes it straight into a packed page).
 */
export function compressValueScratch(raw: Uint8Array): Uint8Array | null {
  const n = raw.length;
  if (n < compressBytesMin) return null;
  if (n > jsEncodeBytesMax) {
    const z = deflateRawSync(raw);
    return z.length >= n ? null : z;
  }
  const len = encodeFixed(raw);
  return len < 0 ? null : encOut.subarray(0, len);
}

/** Length of the common run of raw[a..] and raw[b..], a < b, from `start`, at most `max`. */
function matchLength(raw: Uint8Array, a: number, b: number, start: number, max: number): number {
  let len = start;
  while (len < max && raw[a + len] === raw[b + len]) len++;
  return len;
}

/** Claims the generation range of an `n`-byte call; returns its base. */
function claimHashBase(n: number): number {
  if (hashBase > 0xffff - n - 1) {
    hashTable.fill(0);
    hashBase = 1;
  }
  const base = hashBase;
  hashBase += n;
  return base;
}

/**
 * Encodes `input` (64 ≤ length ≤ jsEncodeBytesMax) as one final fixed-Huffman block into
 * `encOut`. Returns the stream length, or -1 as soon as the output reaches the input length.
 */
function encodeFixed(input: Uint8Array): number {
  const n = input.length;
  const raw = encIn;
  raw.set(input);
  const out = encOut;
  const table = hashTable;
  const lit = encLit;
  const base = claimHashBase(n);
  const last = n - 4; // the last position whose 3-byte prefix is followed by one more byte
  let bb = 3; // BFINAL = 1, BTYPE = 01 (fixed Huffman), written least significant bit first.
  let bc = 3;
  let op = 0;
  let i = 0;
  // The 3-byte prefix at i, rolled forward a byte per literal instead of reloaded. The literal
  // path is written out (no helper calls) and its sums are `| 0` (positions stay below 1 KiB):
  // V8 then drops a function-identity check per call and an overflow check per sum.
  let word = load24(raw, 0);
  while (i <= last) {
    const h = Math.imul(word, hashMul) >>> hashShift;
    const cand = (table[h]! - base) | 0;
    table[h] = (i + base) | 0;
    if (cand >= 0 && (raw[cand]! | (raw[cand + 1]! << 8) | (raw[cand + 2]! << 16)) === word) {
      const len = matchLength(raw, cand, i, 3, Math.min(258, n - i));
      const le = encLen[len]!;
      bb |= (le & 0xffff) << bc;
      bc += le >>> 16;
      if (bc >= 16) {
        out[op] = bb;
        out[op + 1] = bb >>> 8;
        op += 2;
        bb >>>= 16;
        bc -= 16;
      }
      const de = encDist[i - cand]!;
      bb |= (de & 0xffff) << bc;
      bc += de >>> 16;
      // Seed a position near the end of the match: repeated JSON keys then match more often.
      const j = i + len - 2;
      if (len > 3 && j <= last) table[hashSlot(load24(raw, j))] = j + base;
      i += len;
      if (i <= last) word = load24(raw, i);
    } else {
      const e = lit[word & 0xff]!;
      bb |= (e & 0xffff) << bc;
      bc = (bc + (e >>> 16)) | 0;
      word = (word >>> 8) | (raw[(i + 3) | 0]! << 16);
      i = (i + 1) | 0;
    }
    if (bc >= 16) {
      out[op] = bb;
      out[(op + 1) | 0] = bb >>> 8;
      op = (op + 2) | 0;
      bb >>>= 16;
      bc = (bc - 16) | 0;
      if (op >= n) return -1;
    }
  }
  return finishFixed(n, i, op, bb, bc);
}

/** Emits the literals of `encIn` from `from` to `n`, the end-of-block code; flushes the bits. */
function finishFixed(
  n: number,
  from: number,
  opIn: number,
  bbIn: number,
  bcIn: number,
): number {
  const raw = encIn;
  const out = encOut;
  let op = opIn;
  let bb = bbIn;
  let bc = bcIn;
  for (let i = from; i < n; i++) {
    const e = encLit[raw[i]!]!;
    bb |= (e & 0xffff) << bc;
    bc += e >>> 16;
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

const emptyBytes = new Uint8Array(0);
/** Holds the stream at [srcStart, srcEnd): a whole array, or a value's range of a page buffer. */
let src: Uint8Array = emptyBytes;
let srcStart = 0;
let srcEnd = 0;
/** Next input byte to load into the bit buffer; may run past srcEnd (zeros are loaded). */
let ip = 0;
/**
 * Bit buffer and the number of valid bits in it (≤ 32). Bytes enter bit-reversed (rev8) at the
 * bottom, so the next bit of the stream is bit `bc - 1` and a Huffman code, sent most significant
 * bit first, reads as a number; bits above `bc` are stale and masked off by every read.
 */
let bb = 0;
let bc = 0;
let dst: Uint8Array = emptyBytes;
let op = 0;
/** The raw length of the value being decoded (for error context). */
let rawLen = 0;

/** Throws the CorruptDatabase error of a malformed stream. */
function malformed(reason: string, cause?: unknown): never {
  throw corruptStream(reason, cause);
}

/**
 * The CorruptDatabase error of a malformed stream. The hot loop writes `throw corruptStream(…)`:
 * V8 then sees that the error path ends there, and keeps the loop's arrays and counters in
 * registers across it.
 */
function corruptStream(reason: string, cause?: unknown): Error {
  const context = { reason, storedLen: srcEnd - srcStart, rawLen };
  return hexxlaError('CorruptDatabase', 'compressed value is malformed', context, cause);
}

/**
 * Decompresses a raw DEFLATE stream into exactly `rawLength` bytes.
 *
 * Stored and fixed-Huffman streams of up to `jsDecodeBytesMax` bytes are decoded in JS; other
 * streams (dynamic Huffman, longer values) by zlib.inflateRawSync. The stream must end exactly
 * at the end of `stored`.
 *
 * @param stored - raw DEFLATE bytes, as written by `compressValue` or any zlib; not retained
 *   beyond the call.
 * @param rawLength - the length of the value before compression, as recorded beside it.
 * @returns a new Uint8Array of `rawLength` bytes the caller owns: a view of a shared slab (small
 *   results, like `Buffer.allocUnsafe`) or of zlib's output buffer, so use byteOffset and
 *   byteLength with `.buffer`.
 * @throws HexxlaError CorruptDatabase when the stream is malformed or truncated, is followed by
 *   extra bytes, refers before the start of the output, or does not decode to exactly
 *   `rawLength` bytes.
 */
export function decompressValue(stored: Uint8Array, rawLength: number): Uint8Array {
  return decompressValueAt(stored, 0, stored.length, rawLength);
}

/**
 * decompressValue of the stream `buf[start, start + length)` (clamped to `buf` as `subarray`
 * would), without a subarray: a read decodes a value straight from its leaf's page buffer.
 */
export function decompressValueAt(buf: Uint8Array, start: number, length: number,
  rawLength: number): Uint8Array {
  const end = Math.min(start + length, buf.length);
  src = buf;
  srcStart = Math.min(start, end);
  srcEnd = end;
  rawLen = rawLength;
  const storedLen = end - srcStart;
  if (!Number.isSafeInteger(rawLength) || rawLength < 0) malformed('invalid raw length');
  if (rawLength > storedLen * inflateRatioMax) malformed('raw length beyond DEFLATE ratio');
  // Dynamic or reserved first block, or a long value: zlib (a JS attempt would be wasted).
  const first = storedLen > 0 ? buf[srcStart]! & 6 : 0;
  let out: Uint8Array;
  if (rawLength > jsDecodeBytesMax || first >= 4) {
    out = inflateZlib();
  } else {
    dst = allocBytes(rawLength);
    ip = srcStart;
    bb = 0;
    bc = 0;
    op = 0;
    out = inflateJs() ? dst : inflateZlib();
  }
  src = emptyBytes; // keep no reference to the caller's buffers
  dst = emptyBytes;
  return out;
}

/** Bits of the stream consumed so far. */
function bitsConsumed(): number {
  return (ip - srcStart) * 8 - bc;
}

/** Loads bytes into the bit buffer until it holds more than 24 bits (zeros past the end). */
function refill(): void {
  for (; bc <= 24; bc += 8, ip++) bb = (bb << 8) | (ip < srcEnd ? rev8[src[ip]!]! : 0);
}

/** Decodes the block sequence into `dst`; false when a block type needs zlib. */
function inflateJs(): boolean {
  const inputBits = (srcEnd - srcStart) * 8;
  for (;;) {
    if (bitsConsumed() >= inputBits) malformed('truncated stream');
    refill();
    // BFINAL, then BTYPE's two bits least significant first: reversed in the buffer.
    const header = (bb >>> (bc - 3)) & 7;
    bc -= 3;
    const type = ((header >>> 1) & 1) | ((header & 1) << 1);
    if (type === 0) storedBlock();
    else if (type === 1) fixedBlock();
    else return false;
    if ((header & 4) !== 0) break;
  }
  const used = bitsConsumed();
  if (used > inputBits) malformed('truncated stream');
  if (Math.ceil(used / 8) !== srcEnd - srcStart) malformed('trailing bytes after the final block');
  if (op > dst.length) malformed('output longer than the raw length');
  if (op < dst.length) malformed('output shorter than the raw length');
  return true;
}

/** Copies one stored block: skip to a byte boundary, LEN, NLEN = ~LEN, then LEN bytes. */
function storedBlock(): void {
  const pos = srcStart + Math.ceil(bitsConsumed() / 8);
  bb = 0;
  bc = 0;
  const input = src;
  if (pos + 4 > srcEnd) malformed('truncated stored block header');
  const len = input[pos]! | (input[pos + 1]! << 8);
  const nlen = input[pos + 2]! | (input[pos + 3]! << 8);
  if ((len ^ nlen) !== 0xffff) malformed('stored block length check failed');
  const start = pos + 4;
  if (start + len > srcEnd) malformed('truncated stored block');
  if (op + len > dst.length) malformed('output longer than the raw length');
  dst.set(input.subarray(start, start + len), op);
  op += len;
  ip = start + len;
}

/**
 * Decodes one fixed-Huffman block up to and including its end-of-block code. The bit buffer is
 * MSB-first (see `bb`), so the next 9 bits `t` classify the literal/length code by range alone
 * (RFC 1951 §3.2.6): t < 96 a 7-bit code (256–279), t < 384 an 8-bit literal (0–143), t < 400
 * an 8-bit code 280–287, else a 9-bit literal (144–255). A literal, nearly every symbol of a
 * small value, costs a shift, a mask and a compare; up to two are taken per refill check.
 *
 * Bounds: the buffer is refilled two bytes at a time while they remain, byte by byte (zeros past
 * the end) after, so it holds ≥ 16 bits at each step: two 8-bit literals, or one code (≤ 9
 * bits). After a length code it is refilled to > 24 bits, enough for the length's extra bits
 * (≤ 5), the distance code (5) and its extra bits (≤ 13). Literals are stored without a length
 * check: a store past the end of a typed array does nothing, `o` still counts it, and
 * inflateJs rejects any `op` other than the raw length. Matches are checked before they copy.
 * Every step consumes ≥ 7 bits and zeros past the end decode as the end-of-block code, so the
 * loop ends. Counters are updated as `(x + k) | 0`: all stay far below 2^31, and V8 then drops
 * the overflow check of each add (~10 % less CPU for the decoder in A/B runs).
 */
function fixedBlock(): void {
  const inp = src;
  const n = srcEnd | 0;
  const out = dst;
  const outLen = out.length | 0;
  const rev = rev8;
  let p = ip | 0;
  let b = bb | 0;
  let c = bc | 0;
  let o = op | 0;
  for (;;) {
    if (c <= 16 && p + 1 < n) {
      b = (b << 16) | (rev[inp[p]!]! << 8) | rev[inp[p + 1]!]!;
      p = (p + 2) | 0;
      c = (c + 16) | 0;
    } else if (c <= 16) {
      for (; c <= 24; c = (c + 8) | 0, p = (p + 1) | 0) b = (b << 8) | (p < n ? rev[inp[p]!]! : 0);
    }
    let t = (b >>> (c - 9)) & 511;
    if ((t - 96) >>> 0 < 288) {
      out[o] = (t >>> 1) - 48;
      o = (o + 1) | 0;
      c = (c - 8) | 0;
      if (c < 9) continue;
      t = (b >>> (c - 9)) & 511;
      if ((t - 96) >>> 0 < 288) {
        out[o] = (t >>> 1) - 48;
        o = (o + 1) | 0;
        c = (c - 8) | 0;
        continue;
      }
    }
    if (t >= 400) {
      out[o] = t - 256;
      o = (o + 1) | 0;
      c = (c - 9) | 0;
      continue;
    }
    let sym: number;
    if (t < 96) {
      sym = 256 + (t >>> 2);
      c = (c - 7) | 0;
      if (sym === 256) break;
    } else {
      sym = (t >>> 1) + 88;
      c = (c - 8) | 0;
      if (sym > 285) throw corruptStream('invalid literal/length code');
    }
    for (; c <= 24; c = (c + 8) | 0, p = (p + 1) | 0) b = (b << 8) | (p < n ? rev[inp[p]!]! : 0);
    const le = lengthExtra[sym - 257]!;
    c = (c - le) | 0;
    const len = (lengthBase[sym - 257]! + (rev[(b >>> c) & ((1 << le) - 1)]! >>> (8 - le))) | 0;
    const dc = (b >>> (c - 5)) & 31;
    c = (c - 5) | 0;
    if (dc >= 30) throw corruptStream('invalid distance code');
    const de = distExtra[dc]!;
    c = (c - de) | 0;
    const x = (b >>> c) & ((1 << de) - 1);
    const dist = (distBase[dc]! + ((((rev[x & 255]! << 8) | rev[x >>> 8]!) >>> (16 - de)))) | 0;
    if (dist > o) throw corruptStream('back-reference before the start of the output');
    const end = (o + len) | 0;
    if (end > outLen) throw corruptStream('output longer than the raw length');
    for (let k = (o - dist) | 0; o < end; o = (o + 1) | 0, k = (k + 1) | 0) out[o] = out[k]!;
  }
  ip = p;
  bb = b;
  bc = c;
  op = o;
}

/**
 * Decodes the whole of `src` with zlib; checks the output length and the stream's exact end.
 * One output chunk of rawLength + 1 bytes holds a well-formed result, so zlib allocates it once
 * and its bytes are returned without a copy (as a plain Uint8Array view, not a Buffer). The chunk
 * is capped so that a damaged rawLength cannot make it allocate a huge buffer up front.
 */
function inflateZlib(): Uint8Array {
  const stored = src.subarray(srcStart, srcEnd);
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    result = inflateRawSync(stored, {
      info: true,
      chunkSize: Math.min(Math.max(64, rawLen + 1), zlibChunkBytesMax),
      maxOutputLength: Math.max(1, rawLen),
    }) as unknown as typeof result;
  } catch (cause) {
    return malformed('zlib rejected the stream', cause);
  }
  const out = result.buffer;
  if (out.length !== rawLen) malformed('output length differs from the raw length');
  if (result.engine.bytesWritten !== stored.length) {
    malformed('trailing bytes after the final block');
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
