/**
 * Low-level writer and reader of tree keys, shared by the key families of `keys.ts`.
 *
 * Every part is fixed width except strings, which are a u16 big-endian byte length followed by
 * their UTF-8 bytes; this is what makes the families prefix-free (docs/records.md). Integers are
 * big-endian so that byte order equals numeric order. Keys are carved from the shared slab of
 * `storage/bytes.ts` (independent arrays, cheap to allocate).
 *
 * The writer validates caller input (`InvalidArgument`, `InvalidCoordinate`); the reader treats
 * every malformed key as damage and throws `CorruptDatabase`, since keys are read from the tree.
 */
import { packCoordInto, packedCoordBytes, unpackCoordAt, type Coord } from '../coord/index.js';
import { assert } from '../assert.js';
import { hexxlaError } from '../errors.js';
import { allocBytes } from '../storage/bytes.js';
import { checkCoord, checkKeyString } from './records.js';
import { assertUlid, ulidBytes, type Ulid } from './ulid.js';
import { encodeUtf8, tryDecodeUtf8 } from './utf8.js';

/** Bytes of the length prefix of a string part. */
export const stringLengthBytes = 2;

/**
 * Validates `text` as a key string of 1 … `bytesMax` UTF-8 bytes and returns its bytes.
 * Throws `InvalidArgument` naming `what`.
 */
export function keyString(text: string, what: string, bytesMax: number): Uint8Array {
  checkKeyString(text, what, bytesMax);
  return encodeUtf8(text, what);
}

/** Writes the parts of one key of a known total length, then hands out the key. */
export class KeyWriter {
  readonly bytes: Uint8Array;
  private pos = 1;

  constructor(family: number, length: number) {
    this.bytes = allocBytes(length);
    this.bytes[0] = family;
  }

  /** A 16-byte packed coordinate (region 0). Throws `InvalidCoordinate`. */
  coord(c: Coord, what: string): this {
    checkCoord(c, what);
    this.pos = packCoordInto(c, this.bytes, this.pos);
    return this;
  }

  /** Bytes copied verbatim (the caller built them from valid parts). */
  raw(bytes: Uint8Array): this {
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  u8(value: number): this {
    this.bytes[this.pos++] = value;
    return this;
  }

  /** A u32 big-endian; `value` must already be in 0 … 2^32 − 1. */
  u32(value: number): this {
    const b = this.bytes;
    b[this.pos] = value >>> 24;
    b[this.pos + 1] = value >>> 16;
    b[this.pos + 2] = value >>> 8;
    b[this.pos + 3] = value;
    this.pos += 4;
    return this;
  }

  /** A u64 big-endian from a bigint in 0 … 2^64 − 1 (`invert`: its ones' complement). */
  u64(value: bigint, invert = false): this {
    let high = Number(value >> 32n);
    let low = Number(value & 0xffff_ffffn);
    if (invert) {
      high = ~high >>> 0;
      low = ~low >>> 0;
    }
    return this.u32(high).u32(low);
  }

  /** A string part: u16 big-endian length, then the (already validated) UTF-8 bytes. */
  string(utf8: Uint8Array): this {
    this.bytes[this.pos] = utf8.length >>> 8;
    this.bytes[this.pos + 1] = utf8.length;
    this.bytes.set(utf8, this.pos + stringLengthBytes);
    this.pos += stringLengthBytes + utf8.length;
    return this;
  }

  /** A 16-byte ULID. Throws `InvalidArgument` for a malformed id. */
  ulid(id: Ulid, what: string): this {
    assertUlid(id, what);
    this.bytes.set(id, this.pos);
    this.pos += ulidBytes;
    return this;
  }

  /** The finished key; asserts that exactly its declared length was written. */
  done(): Uint8Array {
    assert(this.pos === this.bytes.length, 'key length mismatch');
    return this.bytes;
  }
}

/** Reads the parts of one key of a known family; any malformation is `CorruptDatabase`. */
export class KeyReader {
  private pos = 1;

  constructor(
    private readonly key: Uint8Array,
    family: number,
    private readonly familyName: string,
  ) {
    if (!(key instanceof Uint8Array) || key.length === 0 || key[0] !== family) {
      throw this.corrupt(`not a ${familyName} key`);
    }
  }

  private corrupt(message: string): Error {
    const length = this.key instanceof Uint8Array ? this.key.length : -1;
    return hexxlaError('CorruptDatabase', `${this.familyName} key: ${message}`, {
      family: this.familyName,
      length,
    });
  }

  private take(bytes: number): number {
    if (this.pos + bytes > this.key.length) throw this.corrupt('truncated');
    const at = this.pos;
    this.pos += bytes;
    return at;
  }

  /** A packed coordinate; a region other than 0 is damage until regions exist. */
  coord(): Coord {
    const { coord, region } = unpackCoordAt(this.key, this.take(packedCoordBytes));
    if (region !== 0n) throw this.corrupt('coordinate with a non-zero region');
    return coord;
  }

  u8(): number {
    return this.key[this.take(1)] ?? 0;
  }

  u32(): number {
    const at = this.take(4);
    const k = this.key;
    return (((k[at] ?? 0) << 24) | ((k[at + 1] ?? 0) << 16) | ((k[at + 2] ?? 0) << 8) |
      (k[at + 3] ?? 0)) >>> 0;
  }

  u64(): bigint {
    const high = this.u32();
    return (BigInt(high) << 32n) | BigInt(this.u32());
  }

  /** A string part of 1 … `bytesMax` bytes. */
  string(bytesMax: number, what: string): string {
    const at = this.take(stringLengthBytes);
    const length = ((this.key[at] ?? 0) << 8) | (this.key[at + 1] ?? 0);
    if (length === 0 || length > bytesMax) throw this.corrupt(`${what} length ${length}`);
    const start = this.take(length);
    const text = tryDecodeUtf8(this.key.subarray(start, start + length));
    if (text === undefined) throw this.corrupt(`${what} is not well-formed UTF-8`);
    return text;
  }

  /** A ULID (a fresh copy). */
  ulid(): Ulid {
    const at = this.take(ulidBytes);
    return this.key.slice(at, at + ulidBytes);
  }

  /** Throws unless every byte of the key was read. */
  end(): void {
    if (this.pos !== this.key.length) throw this.corrupt('trailing bytes');
  }
}
