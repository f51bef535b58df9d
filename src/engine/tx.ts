/**
 * The transaction API of the public library: records (cells, facets, edges, seams, ring walks;
 * SPEC §3) through the modules of src/model, and raw byte keys (SPEC §4.3).
 *
 * User keys live in their own namespace of the tree (prefix byte 0x00), apart from the engine's
 * record families, so raw writes can never damage cells, indexes or MVCC bookkeeping. Under MVCC
 * raw keys are not versioned: time-travel reads do not see their history.
 */
import type { Coord } from '../coord/index.js';
import { checkOptionsObject, hexxlaError } from '../errors.js';
import { keyBytesMax } from '../limits.js';
import * as cells from '../model/cells.js';
import type { ReadCtx, WriteCtx } from '../model/context.js';
import * as edges from '../model/edges.js';
import * as facets from '../model/facets.js';
import * as ringWalk from '../model/ring-walk.js';
import * as seams from '../model/seams.js';
import type {
  CellInput, EdgeInput, FacetInput, FindSeamsOptions, ListOptions, RingCell, SeamInput,
  WalkOptions,
} from '../model/types.js';
import type {
  Cell, Edge, Facet, FacetId, ResolutionStatus, Seam,
} from './records.js';
import type { Ulid } from './ulid.js';
import { allocBytes } from '../storage/bytes.js';
import type { Entry, RangeOptions, StoreReadTx, StoreWriteTx } from '../storage/tx.js';

/** Namespace byte of raw user keys inside the tree. Engine families use other bytes. */
export const rawKeyPrefix = 0x00;

export type { Entry, RangeOptions };

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) {
    throw hexxlaError('InvalidArgument', 'keys must be Uint8Array');
  }
  if (key.length === 0) throw hexxlaError('InvalidArgument', 'keys must not be empty');
  if (key.length > keyBytesMax) {
    throw hexxlaError('KeyTooLarge', `key of ${key.length} bytes exceeds ${keyBytesMax}`,
      { bytes: key.length, limit: keyBytesMax });
  }
}

/** `key` under the raw namespace prefix, in a fresh array. */
function prefixed(key: Uint8Array): Uint8Array {
  const out = allocBytes(key.length + 1);
  out[0] = rawKeyPrefix;
  copyAfterPrefix(key, out);
  return out;
}

/** Copies `key` into `out` after its one-byte prefix. */
function copyAfterPrefix(key: Uint8Array, out: Uint8Array): void {
  // A loop for short keys: the builtin's call costs more than the copy.
  if (key.length <= 32) for (let i = 0; i < key.length; i++) out[i + 1] = key[i]!;
  else out.set(key, 1);
}

function treeKey(key: Uint8Array): Uint8Array {
  checkKey(key);
  return prefixed(key);
}

/** Reused probe arrays by user key length (index n holds n + 1 bytes). See probeKey. */
const probes: Array<Uint8Array | undefined> = [];

/**
 * Like treeKey, but in an array reused by the next call: only for lookups that do not keep the
 * key (get, has). Saves an allocation per point read, the hot path of W4.
 */
function probeKey(key: Uint8Array): Uint8Array {
  checkKey(key);
  let out = probes[key.length];
  if (out === undefined) {
    out = new Uint8Array(key.length + 1);
    out[0] = rawKeyPrefix;
    probes[key.length] = out;
  }
  copyAfterPrefix(key, out);
  return out;
}

/** Bounds of the raw namespace for scans. */
const namespaceStart = Uint8Array.of(rawKeyPrefix);
const namespaceEnd = Uint8Array.of(rawKeyPrefix + 1);

/** A scan bound: like treeKey, except that an empty key is allowed (the namespace start). */
function boundKey(key: Uint8Array | undefined, fallback: Uint8Array): Uint8Array {
  if (key === undefined) return fallback;
  if (!(key instanceof Uint8Array) || key.length > keyBytesMax) checkKey(key);
  return prefixed(key);
}

/** Paging of seam listings: at most `limit`, after the seam id `after`. */
export interface SeamListOptions {
  readonly limit?: number;
  readonly after?: Ulid;
}

/**
 * Read operations. Valid only inside the view/update callback (TxClosed afterwards). Record
 * reads see the snapshot's commit seq (`readSeq`); inside an update they see its own writes.
 */
export class ReadTx {
  constructor(
    protected readonly tx: StoreReadTx | StoreWriteTx,
    protected readonly ctx: ReadCtx,
  ) {}

  /** Commit seq this transaction reads at (for an update: the seq its commit will get). */
  get readSeq(): bigint {
    return this.ctx.records.readSeq;
  }

  /** The cell at `c`, or undefined. Throws InvalidCoordinate. */
  getCell(c: Coord): Cell | undefined {
    return cells.getCell(this.ctx, c);
  }

  /** Every cell, in key (packed coordinate) order. */
  listCells(opts?: ListOptions): Cell[] {
    return cells.listCells(this.ctx, opts);
  }

  /** Cells carrying `tag`, in key order. */
  listCellsByTag(tag: string, opts?: ListOptions): Cell[] {
    return cells.listCellsByTag(this.ctx, tag, opts);
  }

  /** Cells whose provenance.sourceId is `sourceId`, in key order. */
  listCellsBySource(sourceId: string, opts?: ListOptions): Cell[] {
    return cells.listCellsBySource(this.ctx, sourceId, opts);
  }

  /** Cells whose validFrom lies in the ISO week `bucket` (see weekBucket), in key order. */
  listCellsByWeek(bucket: number, opts?: ListOptions): Cell[] {
    return cells.listCellsByWeek(this.ctx, bucket, opts);
  }

  /** Every tag in use, sorted. */
  distinctTags(): string[] {
    return cells.distinctTags(this.ctx);
  }

  getFacet(c: Coord, id: FacetId): Facet | undefined {
    return facets.getFacet(this.ctx, c, id);
  }

  /** The facets of the cell at `c`, by id. */
  listFacets(c: Coord): Facet[] {
    return facets.listFacets(this.ctx, c);
  }

  getEdge(from: Coord, to: Coord, relationType: string): Edge | undefined {
    return edges.getEdge(this.ctx, from, to, relationType);
  }

  /** Out-edges of `from`, in key order. */
  listEdges(from: Coord): Edge[] {
    return edges.listEdges(this.ctx, from);
  }

  getSeam(id: Ulid): Seam | undefined {
    return seams.getSeam(this.ctx, id);
  }

  /** Seams that involve the cell at `c` (as cellA or cellB), oldest first. */
  seamsOfCell(c: Coord): Seam[] {
    return seams.seamsOfCell(this.ctx, c);
  }

  /** Seams touching a cell within `radius` of `center`, oldest first. */
  findSeams(center: Coord, radius: number, opts?: FindSeamsOptions): Seam[] {
    return seams.findSeams(this.ctx, center, radius, opts);
  }

  /** Every seam, oldest first. */
  listSeams(opts?: SeamListOptions): Seam[] {
    return seams.listSeams(this.ctx, opts);
  }

  listSeamsBySource(sourceId: string, opts?: SeamListOptions): Seam[] {
    return seams.listSeamsBySource(this.ctx, sourceId, opts);
  }

  listSeamsByWeek(bucket: number, opts?: SeamListOptions): Seam[] {
    return seams.listSeamsByWeek(this.ctx, bucket, opts);
  }

  /** Cells within `radius` of `center`, ring by ring in ring order, with selected facets. */
  walkRing(center: Coord, radius: number, opts?: WalkOptions): RingCell[] {
    return ringWalk.walkRing(this.ctx, center, radius, opts);
  }

  /** At most `maxCells` cells, ring by ring outward from `center` up to `maxRadius`. */
  loadContext(center: Coord, maxRadius: number, maxCells: number): Cell[] {
    return ringWalk.loadContext(this.ctx, center, maxRadius, maxCells);
  }

  /** The value of `key` (a fresh copy), or undefined. Throws KeyTooLarge / InvalidArgument. */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.tx.get(probeKey(key));
  }

  has(key: Uint8Array): boolean {
    return this.tx.has(probeKey(key));
  }

  /**
   * Entries with start ≤ key < end in key order (reverse: descending), at most `limit`. Keys and
   * values are fresh copies. Writing inside the loop of an update is allowed: the iterator
   * continues after the last key it returned.
   */
  *range(opts: RangeOptions = {}): Generator<Entry> {
    checkOptionsObject(opts, 'range options');
    if (opts.limit !== undefined && (!Number.isSafeInteger(opts.limit) || opts.limit < 0)) {
      throw hexxlaError('InvalidArgument', 'range limit must be a non-negative integer');
    }
    const inner = this.tx.range({
      start: boundKey(opts.start, namespaceStart),
      end: boundKey(opts.end, namespaceEnd),
      ...(opts.reverse === undefined ? {} : { reverse: opts.reverse }),
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
    });
    for (const [key, value] of inner) yield [key.subarray(1), value];
  }
}

/** Read and write operations. Valid only inside the update callback. */
export class WriteTx extends ReadTx {
  constructor(
    private readonly writer: StoreWriteTx,
    private readonly maxValueBytes: number,
    protected override readonly ctx: WriteCtx,
  ) {
    super(writer, ctx);
  }

  /**
   * Puts a cell (a new MVCC version when it exists) with its raw facet (0) and index entries.
   * Returns the cell as stored. Throws InvalidArgument / InvalidCoordinate, or what the
   * validator hook throws.
   */
  putCell(input: CellInput): Cell {
    return cells.putCell(this.ctx, input);
  }

  /**
   * Deletes the cell with its index entries, facets, out-edges and embedding; seams stay.
   * Returns false (no error) when there was no cell.
   */
  deleteCell(c: Coord): boolean {
    return cells.deleteCell(this.ctx, c);
  }

  /** Upserts a facet (1 … 5) of an existing cell. Throws NotFound for a missing cell. */
  putFacet(c: Coord, input: FacetInput): Facet {
    return facets.putFacet(this.ctx, c, input);
  }

  /**
   * Replaces a facet's content when `derivationHash` equals SHA-256 of the cell's current raw
   * content; else throws FacetDerivationMismatch.
   */
  updateFacet(c: Coord, id: FacetId, derivedContent: string,
    derivationHash: Uint8Array): Facet {
    return facets.updateFacet(this.ctx, c, id, derivedContent, derivationHash);
  }

  /** Puts an edge (overwrites the same from/to/type). Throws NotFound when `from` is no cell. */
  putEdge(input: EdgeInput): Edge {
    return edges.putEdge(this.ctx, input);
  }

  /** putEdge sugar. */
  linkCells(from: Coord, to: Coord, relationType: string, weight = 1): Edge {
    return edges.putEdge(this.ctx, { from, to, relationType, weight });
  }

  /** Deletes one edge; returns whether it existed. */
  deleteEdge(from: Coord, to: Coord, relationType: string): boolean {
    return edges.deleteEdge(this.ctx, from, to, relationType);
  }

  /** Marks a conflict between two existing cells; notes it in both cells' facet 2. */
  markConflict(a: Coord, b: Coord, input?: SeamInput): Seam {
    return seams.markConflict(this.ctx, a, b, input);
  }

  /** Marks that `newer` supersedes `older` (both existing cells). */
  markSupersedes(newer: Coord, older: Coord, input?: SeamInput): Seam {
    return seams.markSupersedes(this.ctx, newer, older, input);
  }

  /** Sets a seam's resolution. Throws NotFound for an unknown id. */
  resolveSeam(id: Ulid, status: ResolutionStatus, note = ''): Seam {
    return seams.resolveSeam(this.ctx, id, status, note);
  }

  /** Stores raw `value` under raw `key` (both copied). Throws KeyTooLarge, ValueTooLarge. */
  put(key: Uint8Array, value: Uint8Array): void {
    const k = treeKey(key);
    if (!(value instanceof Uint8Array)) {
      throw hexxlaError('InvalidArgument', 'values must be Uint8Array');
    }
    if (value.length > this.maxValueBytes) {
      throw hexxlaError('ValueTooLarge', `value of ${value.length} bytes exceeds the database ` +
        `limit of ${this.maxValueBytes}`, { bytes: value.length, limit: this.maxValueBytes });
    }
    this.writer.putOwnedKey(k, value);
  }

  /** Deletes `key`; returns whether it existed. */
  delete(key: Uint8Array): boolean {
    return this.writer.delete(treeKey(key));
  }
}
