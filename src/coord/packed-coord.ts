/**
 * `PackedCoord`: a coordinate as a fixed-width 16-byte (128-bit) key (SPEC §2), used as the
 * coordinate part of every storage key. docs/coordinates.md walks through an example.
 *
 * Byte layout (big-endian, so comparing keys byte by byte equals comparing the 128-bit numbers):
 *
 *   bytes 0…7   region id, u64 big-endian. Reserved for a future super-hex id; 0 today.
 *   bytes 8…15  Morton code, u64 big-endian: bit 2i is bit i of zigzag(q) and bit 2i + 1 is bit
 *               i of zigzag(r) (q on the even bits, r on the odd bits; bit 0 is the least
 *               significant bit of byte 15).
 *
 * zigzag(v) = (v << 1) ^ (v >> 31) maps the int32 range onto u32 (0→0, −1→1, 1→2, −2→3, …) so
 * that small magnitudes of either sign get small codes. Interleaving the bits (Z-order) keeps
 * nearby coordinates in nearby keys: a step to a neighbour usually changes only low bits.
 * Key order is the Z-order of the zigzagged components, not an order of q or r.
 *
 * Invariants: every valid coordinate and region packs; every 16-byte array unpacks (the mapping
 * is a bijection between (coord, region) pairs and 16-byte arrays), and pack∘unpack and
 * unpack∘pack are identities. Out-of-range input throws `InvalidCoordinate`, never wraps.
 *
 * Versioning: the layout is part of the on-disk format. Changing it (bit order, zigzag, width)
 * needs a new format version; a region id other than 0 may appear only once regions exist.
 *
 * Speed: packing uses 32-bit integer operations only (zigzag, then the magic-number bit spread on
 * 16-bit halves); BigInt appears only for a non-zero region. `npx tsx bench/coord-bench.ts`
 * (Node 20.20, shared 2-core machine, median of 60 rounds of 65,536 random full-range coords):
 * packCoordInto ≈ 66 M/s (15 ns), packCoord ≈ 37 M/s (27 ns, of which ≈ 20 ns is allocating the
 * Uint8Array; ≈ 28 M/s once its garbage collection is counted), unpackCoord ≈ 43 M/s (23 ns).
 * A BigInt bit-loop of the same layout ran at ≈ 0.3 M/s; a 256-entry lookup table instead of the
 * magic numbers was ≈ 15 % faster in isolation, not worth a table.
 */
import { hexxlaError } from '../errors.js';
import { assertCoord, coordUnchecked, type Coord } from './hex.js';

/** A packed coordinate: a `Uint8Array` of exactly `packedCoordBytes` bytes. */
export type PackedCoord = Uint8Array;

/** Width of a packed coordinate in bytes: 8 region bytes + 8 Morton bytes. */
export const packedCoordBytes = 16;

/** Largest region id: 2^64 − 1 (the region is a u64). */
export const regionMax = 0xffff_ffff_ffff_ffffn;

/** The result of `unpackCoord`: the coordinate and its region id. */
export type UnpackedCoord = { readonly coord: Coord; readonly region: bigint };

/** Spreads the low 16 bits of `x` onto the even bits of a 32-bit result (magic numbers). */
function spread16(x: number): number {
  let v = x & 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}

/** Gathers the even bits of the 32-bit `x` into a 16-bit result (inverse of `spread16`). */
function compact16(x: number): number {
  let v = x & 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** Throws `InvalidCoordinate` unless `region` is a bigint in 0 … 2^64 − 1. */
function assertRegion(region: bigint): void {
  if (typeof region !== 'bigint' || region < 0n || region > regionMax) {
    throw hexxlaError('InvalidCoordinate', 'region must be a bigint in [0, 2^64 - 1]', {
      region: String(region),
    });
  }
}

/** Writes the u32 `word` big-endian at `target[offset…offset+3]` (int32 input is fine). */
function writeWord(target: Uint8Array, offset: number, word: number): void {
  // Uint8Array stores each value modulo 256, so no masking is needed.
  target[offset] = word >>> 24;
  target[offset + 1] = word >>> 16;
  target[offset + 2] = word >>> 8;
  target[offset + 3] = word;
}

/** Reads the big-endian u32 at `source[offset…offset+3]` (caller checked the bounds). */
function readWord(source: Uint8Array, offset: number): number {
  const b0 = source[offset] ?? 0;
  const b1 = source[offset + 1] ?? 0;
  const b2 = source[offset + 2] ?? 0;
  const b3 = source[offset + 3] ?? 0;
  return ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
}

/**
 * Writes the packed form of `c` (and `region`, default 0) into `target[offset…offset+15]` and
 * returns `offset + 16`. Allocates nothing when the region is 0: the form for building longer
 * storage keys in a reused buffer.
 * Throws `InvalidCoordinate` for an invalid coordinate or region, `InvalidArgument` when the 16
 * bytes do not fit in `target` at `offset`.
 */
export function packCoordInto(c: Coord, target: Uint8Array, offset = 0, region?: bigint): number {
  assertCoord(c, 'packCoord');
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + packedCoordBytes > target.length) {
    throw hexxlaError('InvalidArgument', 'packCoordInto: 16 bytes do not fit at offset', {
      offset: String(offset),
      length: target.length,
    });
  }
  encodePacked(c, target, offset, region);
  return offset + packedCoordBytes;
}

/**
 * Packs `c` with `region` (default 0) into a new 16-byte `PackedCoord` owned by the caller.
 * Throws `InvalidCoordinate` for a component outside −2^31 … 2^31 − 1, a non-integer component,
 * or a region that is not a bigint in 0 … 2^64 − 1.
 */
export function packCoord(c: Coord, region?: bigint): PackedCoord {
  assertCoord(c, 'packCoord');
  const out = new Uint8Array(packedCoordBytes);
  encodePacked(c, out, 0, region);
  return out;
}

/**
 * Writes the 16 bytes; the caller has validated `c` and the room at `offset`. Validates a
 * non-zero region before writing anything.
 */
function encodePacked(c: Coord, target: Uint8Array, offset: number, region?: bigint): void {
  if (region === undefined || region === 0n) {
    writeWord(target, offset, 0);
    writeWord(target, offset + 4, 0);
  } else {
    assertRegion(region);
    writeWord(target, offset, Number(region >> 32n));
    writeWord(target, offset + 4, Number(region & 0xffff_ffffn));
  }
  const zq = (c.q << 1) ^ (c.q >> 31);
  const zr = (c.r << 1) ^ (c.r >> 31);
  writeWord(target, offset + 8, spread16(zq >>> 16) | (spread16(zr >>> 16) << 1));
  writeWord(target, offset + 12, spread16(zq) | (spread16(zr) << 1));
}

/**
 * Reads the packed coordinate at `source[offset…offset+15]`. Every 16 bytes decode to a valid
 * coordinate and region. The result shares nothing with `source`.
 * Throws `InvalidCoordinate` when fewer than 16 bytes are available at `offset`.
 */
export function unpackCoordAt(source: Uint8Array, offset = 0): UnpackedCoord {
  const fits = Number.isSafeInteger(offset) && offset >= 0;
  if (!(source instanceof Uint8Array) || !fits || offset + packedCoordBytes > source.length) {
    throw hexxlaError('InvalidCoordinate', 'a packed coordinate is 16 bytes', {
      offset: String(offset),
      length: source instanceof Uint8Array ? source.length : -1,
    });
  }
  return decodePacked(source, offset);
}

/**
 * Decodes a `PackedCoord`. Throws `InvalidCoordinate` unless `bytes` is a `Uint8Array` of
 * exactly 16 bytes. The result shares nothing with `bytes`.
 */
export function unpackCoord(bytes: PackedCoord): UnpackedCoord {
  assertPackedCoord(bytes);
  return decodePacked(bytes, 0);
}

/** Decodes the 16 bytes at `offset`; the caller has checked that they exist. */
function decodePacked(source: Uint8Array, offset: number): UnpackedCoord {
  const regionHigh = readWord(source, offset);
  const regionLow = readWord(source, offset + 4);
  const region =
    regionHigh === 0 && regionLow === 0 ? 0n : (BigInt(regionHigh) << 32n) | BigInt(regionLow);
  const high = readWord(source, offset + 8);
  const low = readWord(source, offset + 12);
  const zq = (compact16(high) << 16) | compact16(low);
  const zr = (compact16(high >>> 1) << 16) | compact16(low >>> 1);
  // Inverse zigzag on int32: (z >>> 1) ^ −(z & 1).
  const q = (zq >>> 1) ^ -(zq & 1);
  const r = (zr >>> 1) ^ -(zr & 1);
  return { coord: coordUnchecked(q, r), region };
}

/** Throws `InvalidCoordinate` unless `bytes` is a `Uint8Array` of exactly 16 bytes. */
export function assertPackedCoord(bytes: PackedCoord): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== packedCoordBytes) {
    throw hexxlaError('InvalidCoordinate', 'a packed coordinate is exactly 16 bytes', {
      length: bytes instanceof Uint8Array ? bytes.length : -1,
    });
  }
}

/**
 * Compares two packed coordinates byte by byte (the order of their 128-bit values, and the order
 * the storage engine keeps them in). Returns −1, 0 or 1. Throws `InvalidCoordinate` unless both
 * are 16 bytes long.
 */
export function comparePackedCoords(a: PackedCoord, b: PackedCoord): -1 | 0 | 1 {
  assertPackedCoord(a);
  assertPackedCoord(b);
  for (let i = 0; i < packedCoordBytes; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** 32 lowercase hex digits of a 16-byte packed coordinate (for logs and debugging). */
export function packedCoordToHex(bytes: PackedCoord): string {
  assertPackedCoord(bytes);
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Parses 32 hex digits (either case) into a new `PackedCoord`. Throws `InvalidCoordinate` for
 * any other string.
 */
export function packedCoordFromHex(hex: string): PackedCoord {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw hexxlaError('InvalidCoordinate', 'a packed coordinate in hex is 32 hex digits', {
      hex: String(hex).slice(0, 64),
    });
  }
  const out = new Uint8Array(packedCoordBytes);
  for (let i = 0; i < packedCoordBytes; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
