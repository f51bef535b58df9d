/**
 * Primitive writer and reader of the record codec (codec.ts, docs/records.md "Record codec").
 *
 * Primitives:
 * - varuint: unsigned LEB128, 7 bits per byte, least significant group first, high bit = more.
 *   Values are safe integers (≤ 2^53 − 1), so at most 8 bytes. The reader accepts only the
 *   minimal encoding (no trailing 0x00 group), so every value has exactly one encoding.
 * - varint: zigzag (0 → 0, −1 → 1, 1 → 2, …; v ≥ 0 → 2v, v < 0 → −2v − 1) then varuint.
 *   Callers keep |v| ≤ 2^52 − 1 so the zigzag value stays a safe integer.
 * - f64: IEEE 754 binary64, little-endian, 8 bytes.
 * - string: varuint byte length, then strict UTF-8 (utf8.ts).
 * - fixed: n raw bytes.
 *
 * The writer is a single module-wide growable buffer (encoding is synchronous and never
 * re-entrant), and `finish` copies the result out. The reader throws `CorruptDatabase` on any
 * malformation, with the record kind in the message.
 */
import { assert } from '../assert.js';
import { hexxlaError } from '../errors.js';
import { allocBytes } from '../storage/bytes.js';
import { tryDecodeUtf8, utf8ByteLength } from './utf8.js';

const encoder = new TextEncoder();
/** An 8-byte scratch for f64 conversion without allocating a DataView per record. */
const f64Bytes = new Uint8Array(8);
const f64View = new DataView(f64Bytes.buffer);
/** Largest zigzag input: |v| ≤ 2^52 − 1 keeps 2|v| a safe integer. */
const varintAbsMax = 2 ** 52 - 1;
/** The scratch buffer shrinks back to this after encoding something larger. */
const scratchBytesKept = 64 * 1024;

/** Appends primitives to a growable buffer. Use `recordWriter()`, then `finish()`. */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  private pos = 0;

  /** Starts a new record. */
  reset(): this {
    if (this.buf.length > scratchBytesKept) this.buf = new Uint8Array(1024);
    this.pos = 0;
    return this;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  u8(value: number): this {
    this.ensure(1);
    this.buf[this.pos++] = value;
    return this;
  }

  /** Unsigned LEB128 of a safe integer ≥ 0 (asserted: callers validated it). */
  varuint(value: number): this {
    assert(Number.isSafeInteger(value) && value >= 0, 'varuint range');
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** Zigzag varint of an integer with |value| ≤ 2^52 − 1 (asserted). */
  varint(value: number): this {
    assert(Number.isSafeInteger(value) && Math.abs(value) <= varintAbsMax, 'varint range');
    return this.varuint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  f64(value: number): this {
    f64View.setFloat64(0, value, true);
    return this.fixed(f64Bytes);
  }

  fixed(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Varuint length and UTF-8 bytes of a string the caller has checked to be well-formed. */
  string(text: string): this {
    const length = utf8ByteLength(text);
    this.varuint(length);
    this.ensure(length);
    const { written } = encoder.encodeInto(text, this.buf.subarray(this.pos, this.pos + length));
    assert(written === length, 'UTF-8 length');
    this.pos += length;
    return this;
  }

  /** A copy of the bytes written since `reset`, owned by the caller. */
  finish(): Uint8Array {
    const out = allocBytes(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }
}

const sharedWriter = new ByteWriter();

/** The module-wide writer, reset for a new record. */
export function recordWriter(): ByteWriter {
  return sharedWriter.reset();
}

/** Reads primitives from a record; every malformation throws `CorruptDatabase`. */
export class ByteReader {
  private pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly kind: string,
    start = 0,
  ) {
    this.pos = start;
  }

  /** A `CorruptDatabase` error about this record. */
  corrupt(message: string): Error {
    return hexxlaError('CorruptDatabase', `${this.kind} record: ${message}`, {
      offset: this.pos,
      length: this.bytes.length,
    });
  }

  /** Bytes not yet read. */
  remaining(): number {
    return this.bytes.length - this.pos;
  }

  private take(n: number): number {
    if (n > this.bytes.length - this.pos) throw this.corrupt('truncated');
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.bytes[this.take(1)] ?? 0;
  }

  /** A minimal unsigned LEB128 of at most 8 bytes whose value is a safe integer. */
  varuint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) throw this.corrupt('overlong varint');
        if (value > Number.MAX_SAFE_INTEGER) throw this.corrupt('varint too large');
        return value;
      }
      scale *= 0x80;
    }
    throw this.corrupt('varint longer than 8 bytes');
  }

  /** A zigzag varint (the range of the value is the caller's to check). */
  varint(): number {
    const z = this.varuint();
    // z is a safe integer, so z + 1 ≤ 2^53 is exact; the halves are exact too.
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f64(): number {
    const at = this.take(8);
    f64Bytes.set(this.bytes.subarray(at, at + 8));
    return f64View.getFloat64(0, true);
  }

  /** `n` raw bytes (a fresh copy). */
  fixed(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.slice(at, at + n);
  }

  /** A varuint length and strict UTF-8 text. */
  string(what: string): string {
    const length = this.varuint();
    const at = this.take(length);
    const text = tryDecodeUtf8(this.bytes.subarray(at, at + length));
    if (text === undefined) throw this.corrupt(`${what} is not well-formed UTF-8`);
    return text;
  }

  /** Throws unless every byte was read. */
  end(): void {
    if (this.pos !== this.bytes.length) throw this.corrupt('trailing bytes');
  }
}
