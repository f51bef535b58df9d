/**
 * One file of FaultyFileSystem: a disk with a volatile write cache.
 *
 * `durable` is what the medium holds; `current` is what reads see (durable plus every write still
 * in the cache). `pending` lists, in issue order, the writes and truncates made since they were
 * last made durable, each stamped with a global sequence number so that a sync commits exactly
 * the operations issued before it was called.
 *
 * Invariant while no sync has failed: current = durable + pending applied in order. A failed sync
 * drops the operations it covered from `pending` without applying them (Linux marks the dirty
 * pages clean after an fsync EIO — the "fsyncgate" behaviour): they stay visible in `current`
 * until a crash, and are never made durable.
 */
import { ByteBuffer } from './byte-buffer.js';
import type { Prng } from './prng.js';

/** A write or truncate not yet durable. `data` is a private copy. */
export type DataOp =
  | { readonly seq: number; readonly kind: 'write'; readonly offset: number; data: Uint8Array }
  | { readonly seq: number; readonly kind: 'truncate'; readonly size: number };

/**
 * What survives of the unsynced operations at a simulated power loss:
 * - 'drop': nothing (the classic model: only synced data survives);
 * - 'keep-some': each operation independently, with probability 1/2 (the cache reorders);
 * - 'torn': a prefix in issue order, and the first operation after it torn (see TearOptions);
 * - 'keep-all': everything (a process crash: the kernel keeps its cache).
 */
export type CrashMode = 'drop' | 'keep-some' | 'torn' | 'keep-all';

/** How 'torn' cuts the first write it does not keep whole. */
export interface TearOptions {
  /** 'sector': at an absolute file offset that is a multiple of `sectorBytes`; 'byte': anywhere. */
  tear: 'sector' | 'byte';
  sectorBytes: number;
}

/** Per-file counters (cumulative since the file system instance was made). */
export interface FileCounters {
  writes: number;
  bytesWritten: number;
  truncates: number;
  syncs: number;
  failedSyncs: number;
}

function applyOp(target: ByteBuffer, op: DataOp): void {
  if (op.kind === 'write') target.write(op.data, op.offset);
  else target.truncate(op.size);
}

/**
 * The torn length of `op`: strictly less than its length, 0 allowed (nothing of it landed). In
 * sector mode the cut falls on a sector boundary inside the write, so a write within one sector is
 * all-or-nothing, as on a disk with atomic sector writes.
 */
function tornLength(op: { offset: number; data: Uint8Array }, rng: Prng, tear: TearOptions) {
  if (tear.tear === 'byte') return rng.int(op.data.length);
  const cuts = [0];
  const first = Math.ceil((op.offset + 1) / tear.sectorBytes) * tear.sectorBytes;
  for (let at = first; at < op.offset + op.data.length; at += tear.sectorBytes) {
    cuts.push(at - op.offset);
  }
  return cuts[rng.int(cuts.length)] ?? 0;
}

/** The unsynced operations that survive a crash in `mode`, the torn one shortened. */
function survivingOps(
  ops: readonly DataOp[],
  mode: CrashMode,
  rng: Prng,
  tear: TearOptions,
): DataOp[] {
  switch (mode) {
    case 'drop':
      return [];
    case 'keep-all':
      return [...ops];
    case 'keep-some':
      return ops.filter(() => rng.bool());
    case 'torn': {
      const keep = rng.int(ops.length + 1);
      const kept = ops.slice(0, keep);
      const torn = ops[keep];
      if (torn !== undefined && torn.kind === 'write') {
        const length = tornLength(torn, rng, tear);
        if (length > 0) kept.push({ ...torn, data: torn.data.subarray(0, length) });
      }
      return kept;
    }
  }
}

/** The state of one file (an inode: handles keep addressing it across rename and remove). */
export class FaultyInode {
  readonly durable: ByteBuffer;
  readonly current: ByteBuffer;
  readonly counters: FileCounters = {
    writes: 0,
    bytesWritten: 0,
    truncates: 0,
    syncs: 0,
    failedSyncs: 0,
  };
  /** Open handles; an unlinked file still occupies space while one is open. */
  openHandles = 0;
  private pending: DataOp[] = [];

  /** A file whose durable and current content both start as a copy of `initial`. */
  constructor(
    readonly id: number,
    initial?: Uint8Array,
  ) {
    this.durable = new ByteBuffer(initial);
    this.current = new ByteBuffer(initial);
  }

  /** Unsynced operations (writes and truncates). */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Applies a write to the cache; it becomes durable at the next covering sync. */
  write(data: Uint8Array, offset: number, seq: number): void {
    const copy = data.slice();
    this.current.write(copy, offset);
    this.pending.push({ seq, kind: 'write', offset, data: copy });
    this.counters.writes++;
    this.counters.bytesWritten += data.length;
  }

  /** Applies a truncate to the cache. */
  truncate(size: number, seq: number): void {
    this.current.truncate(size);
    this.pending.push({ seq, kind: 'truncate', size });
    this.counters.truncates++;
  }

  /** Makes durable every pending operation with `seq <= watermark` (a completed sync). */
  commitThrough(watermark: number): void {
    while (this.pending[0] !== undefined && this.pending[0].seq <= watermark) {
      applyOp(this.durable, this.pending[0]);
      this.pending.shift();
    }
  }

  /** Forgets, without making durable, every pending operation with `seq <= watermark`. */
  discardThrough(watermark: number): void {
    this.pending = this.pending.filter((op) => op.seq > watermark);
  }

  /** Makes everything durable (test setup). */
  commitAll(): void {
    this.commitThrough(Number.POSITIVE_INFINITY);
  }

  /** The content after a power loss in `mode` (durable plus the surviving unsynced operations). */
  crashContent(mode: CrashMode, rng: Prng, tear: TearOptions): Uint8Array {
    const result = this.durable.clone();
    for (const op of survivingOps(this.pending, mode, rng, tear)) applyOp(result, op);
    return result.toBytes();
  }

  /**
   * Changes the byte at `offset` in the durable content, the current content and every pending
   * write covering it, with `change(old) => new` (media corruption visible now and after a crash).
   * Returns false when `offset` is beyond both contents.
   */
  mutateByte(offset: number, change: (old: number) => number): boolean {
    let hit = false;
    for (const buffer of [this.durable, this.current]) {
      if (offset >= buffer.size) continue;
      buffer.setByte(offset, change(buffer.byteAt(offset)));
      hit = true;
    }
    for (const op of this.pending) {
      if (op.kind !== 'write') continue;
      const at = offset - op.offset;
      if (at < 0 || at >= op.data.length) continue;
      op.data[at] = change(op.data[at] ?? 0);
    }
    return hit;
  }
}
