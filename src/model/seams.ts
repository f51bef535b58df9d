/**
 * Seams: contradiction and supersession markers between two cells (SPEC §3.4).
 *
 * A seam is written once (mark) and afterwards only its resolution changes (resolve); seams are
 * never deleted, not even with their cells (they are history; the health check reports orphans).
 * Records and index entries of one seam, all versioned (docs/records.md):
 * - `seam`          id → the encoded seam;
 * - `seam-by-cells` canonical (low, high) cell pair ‖ id;
 * - `seam-by-cell`  coord ‖ id, once for each of the two cells: "seams touching a cell", which
 *                   makes seamsOfCell one prefix scan and findSeams one scan per coordinate;
 * - `seam-source`   source id ‖ id, under the source of each cell at marking time (distinct,
 *                   non-empty ones: a seam between two cells of one source is listed once);
 * - `seam-time`     week bucket of detectedAtMs ‖ id.
 * Index entries hold one byte (0x01). Ids are ULIDs from the transaction's generator, so id
 * order is creation order and every listing here is oldest first.
 */
import { coordEquals, forEachInSpiral, type Coord } from '../coord/index.js';
import { decodeCell, decodeSeam, encodeSeam } from '../engine/codec.js';
import {
  cellKey,
  decodeSeamByCellKey,
  decodeSeamSourceKey,
  decodeSeamTimeKey,
  familyPrefix,
  seamByCellKey,
  seamByCellPrefix,
  seamByCellsKey,
  seamKey,
  seamSourceKey,
  seamSourcePrefix,
  seamTimeKey,
  seamTimePrefix,
} from '../engine/keys.js';
import {
  checkCoord, checkSeam, checkText, checkTimeMs, type Cell, type ResolutionStatus, type Seam,
  type SeamType,
} from '../engine/records.js';
import { assertUlid, ulidToString, type Ulid } from '../engine/ulid.js';
import { weekBucket } from '../engine/week-bucket.js';
import { hexxlaError } from '../errors.js';
import type { ReadCtx, WriteCtx } from './context.js';
import * as facets from './facets.js';
import { walkRadiusMax } from './ring-walk.js';
import type { FindSeamsOptions, SeamInput } from './types.js';

/**
 * Largest findSeams radius: the ring walks' bound, so that any area a walk accepts can be searched
 * for seams too. The search costs one index prefix scan per coordinate of the area, 1 + 3r(r + 1)
 * of them: about 3 million at 1000, roughly 10 s at the ~3–4 µs per scan measured in development
 * (radius 100: well under a second). Retrieval budgets use radii in the tens; the bound only
 * stops runaway calls.
 */
export const findSeamsRadiusMax = walkRadiusMax;

/** Statuses resolveSeam accepts ('unresolved' is only the initial state). */
export const resolvedStatuses: readonly ResolutionStatus[] = ['merged', 'superseded', 'archived'];

/** Paging of the seam listings. */
export interface SeamPage {
  readonly limit?: number;
  /** Resume after this seam id (exclusive). */
  readonly after?: Ulid;
}

const indexEntry = Uint8Array.of(0x01);
const coordText = (c: Coord): string => `${c.q},${c.r}`;

// ---------------------------------------------------------------------------------------------
// Writes

/** Marks a conflict between two existing, distinct cells. */
export function markConflict(ctx: WriteCtx, a: Coord, b: Coord, input?: SeamInput): Seam {
  return markSeam(ctx, 'conflict', a, b, input);
}

/** Marks that `newer` supersedes `older` (both existing, distinct): cellA = newer. */
export function markSupersedes(ctx: WriteCtx, newer: Coord, older: Coord,
  input?: SeamInput): Seam {
  return markSeam(ctx, 'supersedes', newer, older, input);
}

/**
 * Builds and validates the seam, then writes it with its index entries, notes it in both cells'
 * facet 2, records the change and schedules the after-put hook. Everything that can fail on
 * bad input (coordinates, equal cells, reason, confidence delta, missing cells) is checked
 * before the first write.
 */
function markSeam(ctx: WriteCtx, seamType: SeamType, a: Coord, b: Coord,
  input: SeamInput | undefined): Seam {
  checkCoord(a, 'cellA');
  checkCoord(b, 'cellB');
  if (input !== undefined && (typeof input !== 'object' || input === null)) {
    throw hexxlaError('InvalidArgument', 'seam input must be an object');
  }
  if (coordEquals(a, b)) {
    throw hexxlaError('InvalidArgument', 'a seam needs two different cells', {
      cell: coordText(a),
    });
  }
  const seam: Seam = {
    id: ctx.ulids.next(ctx.nowMs),
    cellA: { q: a.q, r: a.r },
    cellB: { q: b.q, r: b.r },
    seamType,
    reason: input?.reason ?? '',
    confidenceDelta: input?.confidenceDelta ?? 0,
    detectedAtMs: ctx.nowMs,
    resolutionStatus: 'unresolved',
    resolutionNote: '',
  };
  checkSeam(seam);
  const cells = [requireCell(ctx, seam.cellA), requireCell(ctx, seam.cellB)];
  // The record first: if a value limit rejects it, no index entry was written yet.
  const key = seamKey(seam.id);
  const value = encodeSeam(seam);
  ctx.records.put(key, value);
  writeSeamIndexes(ctx, seam, cells);
  facets.noteSeam(ctx, seam.cellA, seam);
  facets.noteSeam(ctx, seam.cellB, seam);
  ctx.change({ op: 'putSeam', key, value });
  scheduleHook(ctx, seam);
  return seam;
}

/** The cell at `c`; throws `NotFound` when there is none. */
function requireCell(ctx: ReadCtx, c: Coord): Cell {
  const value = ctx.records.get(cellKey(c));
  if (value === undefined) {
    throw hexxlaError('NotFound', 'a seam needs two existing cells', { cell: coordText(c) });
  }
  return decodeCell(value);
}

/** The pair, per-cell, source and week entries of a new seam. */
function writeSeamIndexes(ctx: WriteCtx, seam: Seam, cells: readonly Cell[]): void {
  const records = ctx.records;
  records.put(seamByCellsKey(seam.cellA, seam.cellB, seam.id), indexEntry);
  records.put(seamByCellKey(seam.cellA, seam.id), indexEntry);
  records.put(seamByCellKey(seam.cellB, seam.id), indexEntry);
  const sources = new Set(cells.map((c) => c.provenance.sourceId).filter((s) => s !== ''));
  for (const sourceId of sources) records.put(seamSourceKey(sourceId, seam.id), indexEntry);
  records.put(seamTimeKey(weekBucket(seam.detectedAtMs), seam.id), indexEntry);
}

/** Runs the afterPutSeam hook, when one is set, once the commit is durable. */
function scheduleHook(ctx: WriteCtx, seam: Seam): void {
  const hook = ctx.hooks.afterPutSeam;
  if (hook !== undefined) ctx.afterCommit(() => hook(seam));
}

/**
 * Sets the resolution of seam `id` to `status` (merged, superseded or archived) with `note`,
 * rewriting the seam record; a resolved seam may be resolved again (e.g. merged → archived).
 * Index entries do not change: none depends on the status. Throws `InvalidArgument` for a
 * malformed id, another status or a note that is not a well-formed string, `NotFound` for an
 * unknown id.
 */
export function resolveSeam(ctx: WriteCtx, id: Ulid, status: ResolutionStatus,
  note: string): Seam {
  const key = seamKey(id);
  if (!resolvedStatuses.includes(status)) {
    throw hexxlaError('InvalidArgument', `status must be one of ${resolvedStatuses.join(', ')}`,
      { status: String(status) });
  }
  checkText(note, 'note');
  const existing = getSeam(ctx, id);
  if (existing === undefined) {
    throw hexxlaError('NotFound', 'no seam with this id', { id: ulidToString(id) });
  }
  const seam: Seam = { ...existing, resolutionStatus: status, resolutionNote: note };
  checkSeam(seam);
  const value = encodeSeam(seam);
  ctx.records.put(key, value);
  ctx.change({ op: 'resolveSeam', key, value });
  scheduleHook(ctx, seam);
  return seam;
}

// ---------------------------------------------------------------------------------------------
// Reads

/** The seam `id`, or undefined. Throws `InvalidArgument` for a malformed id. */
export function getSeam(ctx: ReadCtx, id: Ulid): Seam | undefined {
  const value = ctx.records.get(seamKey(id));
  return value === undefined ? undefined : decodeSeam(value);
}

/**
 * The seam an index entry names. Seams are never deleted, so an entry without its record is
 * damage: `CorruptDatabase`, never skipped silently.
 */
function indexedSeam(ctx: ReadCtx, id: Ulid, index: string): Seam {
  const seam = getSeam(ctx, id);
  if (seam === undefined) {
    throw hexxlaError('CorruptDatabase', `${index} index entry names a missing seam`, {
      id: ulidToString(id),
    });
  }
  return seam;
}

/** Seams that involve the cell at `c` (as cellA or cellB), oldest first. */
export function seamsOfCell(ctx: ReadCtx, c: Coord): Seam[] {
  const out: Seam[] = [];
  for (const [key] of ctx.records.scan(seamByCellPrefix(c))) {
    out.push(indexedSeam(ctx, decodeSeamByCellKey(key).seamId, 'seam-by-cell'));
  }
  return out;
}

/** Throws `InvalidArgument` unless `radius` is an integer in 0 … findSeamsRadiusMax. */
function checkRadius(radius: number): void {
  if (!Number.isSafeInteger(radius) || radius < 0 || radius > findSeamsRadiusMax) {
    throw hexxlaError('InvalidArgument',
      `radius must be an integer in [0, ${findSeamsRadiusMax}]`, { radius: String(radius) });
  }
}

function checkFindOptions(opts: FindSeamsOptions): void {
  if (typeof opts !== 'object' || opts === null) {
    throw hexxlaError('InvalidArgument', 'findSeams options must be an object');
  }
  if (opts.unresolvedOnly !== undefined && typeof opts.unresolvedOnly !== 'boolean') {
    throw hexxlaError('InvalidArgument', 'unresolvedOnly must be a boolean');
  }
  if (opts.asOfMs !== undefined) checkTimeMs(opts.asOfMs, 'asOfMs');
}

/**
 * Seams touching any cell within `radius` of `center` (deduplicated), oldest first; optionally
 * only unresolved ones, and only those detected at or before `asOfMs`. One seam-by-cell prefix
 * scan per coordinate of the area, so the cost follows the area and the seams found, not the
 * size of the database. Throws `InvalidCoordinate` for a bad centre or an area that leaves the
 * coordinate range, `InvalidArgument` for a bad radius or options.
 */
export function findSeams(ctx: ReadCtx, center: Coord, radius: number,
  opts: FindSeamsOptions = {}): Seam[] {
  checkCoord(center, 'center');
  checkRadius(radius);
  checkFindOptions(opts);
  // Keyed by the id's text form, whose string order is the id's byte (time) order; a seam
  // touching two cells of the area is found twice.
  const ids = new Map<string, Ulid>();
  forEachInSpiral(center, radius, (q, r) => {
    for (const [key] of ctx.records.scan(seamByCellPrefix({ q, r }))) {
      const { seamId } = decodeSeamByCellKey(key);
      ids.set(ulidToString(seamId), seamId);
    }
  });
  const out: Seam[] = [];
  for (const text of [...ids.keys()].sort()) {
    const seam = indexedSeam(ctx, ids.get(text) as Ulid, 'seam-by-cell');
    if (opts.unresolvedOnly === true && seam.resolutionStatus !== 'unresolved') continue;
    if (opts.asOfMs !== undefined && seam.detectedAtMs > opts.asOfMs) continue;
    out.push(seam);
  }
  return out;
}

/** Validates paging options: limit a safe integer ≥ 0, after a well-formed seam id. */
function checkPage(opts: SeamPage): void {
  if (typeof opts !== 'object' || opts === null) {
    throw hexxlaError('InvalidArgument', 'listing options must be an object');
  }
  if (opts.limit !== undefined && (!Number.isSafeInteger(opts.limit) || opts.limit < 0)) {
    throw hexxlaError('InvalidArgument', 'limit must be an integer >= 0', {
      limit: String(opts.limit),
    });
  }
  if (opts.after !== undefined) assertUlid(opts.after, 'after');
}

/** Every seam, oldest first, `limit` at most, after the seam id `after`. */
export function listSeams(ctx: ReadCtx, opts: SeamPage = {}): Seam[] {
  checkPage(opts);
  const out: Seam[] = [];
  const scan = ctx.records.scan(familyPrefix('seam'), {
    ...(opts.limit === undefined ? {} : { limit: opts.limit }),
    ...(opts.after === undefined ? {} : { after: seamKey(opts.after) }),
  });
  for (const [, value] of scan) out.push(decodeSeam(value));
  return out;
}

/**
 * Seams touching a cell whose source was `sourceId` when the seam was marked, oldest first.
 * Throws `InvalidArgument` for a source id that is not 1 … 128 UTF-8 bytes (cells without a
 * source are not indexed).
 */
export function listSeamsBySource(ctx: ReadCtx, sourceId: string, opts: SeamPage = {}): Seam[] {
  const prefix = seamSourcePrefix(sourceId);
  checkPage(opts);
  const out: Seam[] = [];
  const scan = ctx.records.scan(prefix, {
    ...(opts.limit === undefined ? {} : { limit: opts.limit }),
    ...(opts.after === undefined ? {} : { after: seamSourceKey(sourceId, opts.after) }),
  });
  for (const [key] of scan) {
    out.push(indexedSeam(ctx, decodeSeamSourceKey(key).seamId, 'seam-source'));
  }
  return out;
}

/** Seams detected in the ISO week `bucket` (see weekBucket), oldest first. */
export function listSeamsByWeek(ctx: ReadCtx, bucket: number, opts: SeamPage = {}): Seam[] {
  const prefix = seamTimePrefix(bucket);
  checkPage(opts);
  const out: Seam[] = [];
  const scan = ctx.records.scan(prefix, {
    ...(opts.limit === undefined ? {} : { limit: opts.limit }),
    ...(opts.after === undefined ? {} : { after: seamTimeKey(bucket, opts.after) }),
  });
  for (const [key] of scan) {
    out.push(indexedSeam(ctx, decodeSeamTimeKey(key).seamId, 'seam-time'));
  }
  return out;
}
