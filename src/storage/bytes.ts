/**
 * Fast allocation of small byte arrays.
 *
 * V8 gives every typed array over 64 bytes its own off-heap backing store; measured here, a
 * 147-byte `slice()` costs ~4.5 µs while a view into a shared slab plus `set` costs ~0.04 µs. Hot
 * paths (returning values, copying keys) therefore carve copies out of a 64 KiB slab, as Node's
 * Buffer pool does. Each returned array is independent data: writing to it never affects another.
 * A slab stays alive while any array carved from it is referenced.
 */

/** Zero-filled arrays carved from shared slabs; a carved range is never handed out again. */
class Slabs {
  private slab: ArrayBuffer;
  private used = 0;

  constructor(private readonly slabBytes: number) {
    this.slab = new ArrayBuffer(slabBytes);
  }

  carve(n: number): Uint8Array {
    if (this.used + n > this.slabBytes) {
      this.slab = new ArrayBuffer(this.slabBytes);
      this.used = 0;
    }
    const out = new Uint8Array(this.slab, this.used, n);
    // Keep 8-byte alignment so later DataView reads of carved arrays stay aligned.
    this.used += (n + 7) & ~7;
    return out;
  }
}

const smallSlabs = new Slabs(64 * 1024);
/** Arrays above this size get their own allocation (a slab would be wasted on them). */
const slabItemBytesMax = 4096;

/** A zero-filled array of `n` bytes that no other caller holds (slab ranges are never reused). */
export function allocBytes(n: number): Uint8Array {
  return n > slabItemBytesMax ? new Uint8Array(n) : smallSlabs.carve(n);
}

/** An independent copy of `src`. */
export function copyBytes(src: Uint8Array): Uint8Array {
  const out = allocBytes(src.length);
  out.set(src);
  return out;
}

/** Page buffers are carved from slabs of this size (8 pages of 4 KiB). */
const pageSlabBytes = 32 * 1024;
const pageSlabs = new Slabs(pageSlabBytes);

/**
 * A zero-filled buffer of `n` bytes for a page image that no other caller holds, except that its
 * first `dirtyPrefix` bytes may hold anything (a caller that overwrites them at once saves the
 * zeroing of a recycled buffer). A fresh 4 KiB
 * `Uint8Array` costs ~5 µs in V8 (its own backing store); a view into a shared 32 KiB slab costs a
 * fraction of that, so leaves copied on write take their buffers from here. A slab lives while any
 * of its pages does, so at most 8× the live pages' bytes are held in the worst case.
 */
export function allocPageBytes(n: number, dirtyPrefix = 0): Uint8Array {
  const reused = n === pagePoolSize ? pagePool.pop() : undefined;
  if (reused !== undefined) return reused.fill(0, dirtyPrefix);
  return n * 2 > pageSlabBytes ? new Uint8Array(n) : pageSlabs.carve(n);
}

/** Released page buffers of one size (the first size released), reused by allocPageBytes. */
const pagePool: Uint8Array[] = [];
let pagePoolSize = 0;
/**
 * Bytes the pool may hold. A write transaction clones each leaf it changes, and the buffers of
 * the images it replaces come back when it is durable: a 1,000-record load in random order
 * replaces ~800 leaves per commit, and with a 512-buffer cap ~300 per commit fell through to
 * fresh memory (allocPageBytes was 15 % of W1b's profile).
 */
const pagePoolBytesMax = 8 * 1024 * 1024;
/** Buffers the pool may hold whatever their size (the cap before the byte budget). */
const pagePoolCountMin = 512;

/**
 * Gives back a buffer from allocPageBytes that nothing can read any more, for reuse. Fresh memory
 * is the dearest thing on this machine kind (a first touch of a 4 KiB page measured ~50 µs), and
 * every committed leaf needs a page buffer, so buffers of replaced images are recycled. The caller
 * must know that no view of the buffer survives (see LeafNode.release).
 */
export function releasePageBytes(buf: Uint8Array): void {
  if (pagePoolSize === 0) pagePoolSize = buf.length;
  // Other sizes (another page size open in the process) are left to the garbage collector.
  const max = Math.max(pagePoolCountMin, Math.floor(pagePoolBytesMax / pagePoolSize));
  if (buf.length === pagePoolSize && pagePool.length < max) pagePool.push(buf);
}
