/**
 * A growable byte array with file semantics: the content of one in-memory file.
 *
 * Invariant: the bytes of the backing store beyond `size` are zero, so growing (a write past EOF or
 * an extending truncate) exposes zeros exactly like a sparse file does.
 */

/** File-like bytes: positional read and write, truncate, size. */
export class ByteBuffer {
  private bytes: Uint8Array;
  private length: number;

  /** Starts with a copy of `initial` (empty by default). */
  constructor(initial?: Uint8Array) {
    this.bytes = initial === undefined ? new Uint8Array(0) : initial.slice();
    this.length = this.bytes.length;
  }

  /** Length in bytes. */
  get size(): number {
    return this.length;
  }

  /** Copies up to `target.length` bytes from `position`; returns the count (short at EOF). */
  read(target: Uint8Array, position: number): number {
    if (position >= this.length) return 0;
    const count = Math.min(target.length, this.length - position);
    target.set(this.bytes.subarray(position, position + count));
    return count;
  }

  /** Writes all of `data` at `position`; a gap past EOF reads as zeros. */
  write(data: Uint8Array, position: number): void {
    if (data.length === 0) return;
    const end = position + data.length;
    this.reserve(end);
    this.bytes.set(data, position);
    this.length = Math.max(this.length, end);
  }

  /** Sets the length to `size`, zero-filling when it grows. */
  truncate(size: number): void {
    if (size < this.length) this.bytes.fill(0, size, this.length);
    else this.reserve(size);
    this.length = size;
  }

  /** The byte at `offset` (which must be below `size`). */
  byteAt(offset: number): number {
    return this.bytes[offset] ?? 0;
  }

  /** Overwrites one byte at `offset` (which must be below `size`). */
  setByte(offset: number, value: number): void {
    this.bytes[offset] = value;
  }

  /** A copy of the content, owned by the caller. */
  toBytes(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  /** An independent copy. */
  clone(): ByteBuffer {
    return new ByteBuffer(this.bytes.subarray(0, this.length));
  }

  private reserve(capacity: number): void {
    if (capacity <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(capacity, this.bytes.length * 2, 64));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}
