/**
 * Cells (SPEC §3.1): put with hooks and secondary indexes, get, delete with cascade, listings.
 *
 * A cell lives at `cellKey(coord)` (docs/records.md). Its secondary index entries, each holding
 * one byte (0x01) and versioned like every record under MVCC:
 * - `tag`    one per tag: tag ‖ coord;
 * - `source` provenance.sourceId ‖ coord, only when the source id is non-empty ('' = no source);
 * - `time`   weekBucket(validity.validFromMs) ‖ coord, only when validFromMs is set.
 * The entries are derived from the stored cell alone, so a re-put compares the old cell's set
 * with the new one's: entries the new version no longer has are deleted, new ones written, and
 * unchanged ones left alone (under MVCC rewriting them would only add identical versions).
 *
 * Listings walk an index (or the cell family) in key order: coordinates in packed (Z-order)
 * order. `after` resumes after a coordinate (exclusive), `limit` caps the page.
 */
import { isThenable } from '../assert.js';
import { packedCoordBytes, type Coord } from '../coord/index.js';
import { decodeCell, encodeCell } from '../engine/codec.js';
import {
  cellKey,
  decodeSourceIndexKey,
  decodeTagIndexKey,
  decodeTimeIndexKey,
  embeddingKey,
  familyPrefix,
  sourceIndexKey,
  sourceIndexPrefix,
  tagIndexKey,
  tagIndexPrefix,
  timeIndexKey,
  timeIndexPrefix,
} from '../engine/keys.js';
import { checkCell, checkCoord, type Cell, type Validity } from '../engine/records.js';
import { weekBucket } from '../engine/week-bucket.js';
import { hexxlaError } from '../errors.js';
import type { ScanOptions } from '../mvcc/records.js';
import type { ReadCtx, WriteCtx } from './context.js';
import * as edges from './edges.js';
import * as facets from './facets.js';
import type { CellInput, ListOptions } from './types.js';

const indexEntry = Uint8Array.of(0x01);

// ---------------------------------------------------------------------------------------------
// Reads

/** Reads and decodes the cell at `c`, or undefined. Throws `InvalidCoordinate`. */
export function getCell(ctx: ReadCtx, c: Coord): Cell | undefined {
  const value = ctx.records.get(cellKey(c));
  return value === undefined ? undefined : decodeCell(value);
}

/** Every cell, in key order. */
export function listCells(ctx: ReadCtx, opts?: ListOptions): Cell[] {
  const page = scanOptions(opts, cellKey);
  const out: Cell[] = [];
  for (const [, value] of ctx.records.scan(familyPrefix('cell'), page)) out.push(decodeCell(value));
  return out;
}

/** Cells carrying `tag`, in key order. Throws `InvalidArgument` for a malformed tag. */
export function listCellsByTag(ctx: ReadCtx, tag: string, opts?: ListOptions): Cell[] {
  const prefix = tagIndexPrefix(tag);
  const page = scanOptions(opts, (c) => tagIndexKey(tag, c));
  return cellsOfIndex(ctx, prefix, page, (key) => decodeTagIndexKey(key).coord);
}

/**
 * Cells whose provenance.sourceId is `sourceId`, in key order. The empty source id means "no
 * source" and has no index, so it is rejected with `InvalidArgument` like any malformed id.
 */
export function listCellsBySource(ctx: ReadCtx, sourceId: string, opts?: ListOptions): Cell[] {
  const prefix = sourceIndexPrefix(sourceId);
  const page = scanOptions(opts, (c) => sourceIndexKey(sourceId, c));
  return cellsOfIndex(ctx, prefix, page, (key) => decodeSourceIndexKey(key).coord);
}

/**
 * Cells whose validity.validFromMs lies in week `bucket` (see week-bucket.ts), in key order.
 * Throws `InvalidArgument` for a bucket no valid time has.
 */
export function listCellsByWeek(ctx: ReadCtx, bucket: number, opts?: ListOptions): Cell[] {
  const prefix = timeIndexPrefix(bucket);
  const page = scanOptions(opts, (c) => timeIndexKey(bucket, c));
  return cellsOfIndex(ctx, prefix, page, (key) => decodeTimeIndexKey(key).coord);
}

/**
 * Every tag carried by at least one cell, sorted by JS string order (the index orders tags by
 * byte length first). Costs one seek per distinct tag, not one step per entry: after reading a
 * tag's first entry the scan resumes past the tag's highest possible key.
 */
export function distinctTags(ctx: ReadCtx): string[] {
  const family = familyPrefix('tag');
  const tags: string[] = [];
  let after: Uint8Array | undefined;
  for (;;) {
    let found: string | undefined;
    for (const [key] of ctx.records.scan(family, { limit: 1, ...(after ? { after } : {}) })) {
      found = decodeTagIndexKey(key).tag;
    }
    if (found === undefined) break;
    tags.push(found);
    after = pastEveryCoord(tagIndexPrefix(found));
  }
  return tags.sort();
}

/** `prefix ‖ 0xFF × 16`: at or above every `prefix ‖ packed coord` key. */
function pastEveryCoord(prefix: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + packedCoordBytes).fill(0xff);
  out.set(prefix);
  return out;
}

/**
 * Validates paging options and turns them into scan options; `keyOf` builds the logical key
 * whose successor the scan resumes at (it throws `InvalidCoordinate` for a bad `after`).
 */
function scanOptions(opts: ListOptions | undefined, keyOf: (c: Coord) => Uint8Array): ScanOptions {
  if (opts === undefined) return {};
  if (typeof opts !== 'object' || opts === null) {
    throw hexxlaError('InvalidArgument', 'list options must be an object');
  }
  const { limit, after } = opts;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw hexxlaError('InvalidArgument', 'limit must be an integer >= 0', { limit: String(limit) });
  }
  if (after !== undefined) checkCoord(after, 'after');
  return {
    ...(limit === undefined ? {} : { limit }),
    ...(after === undefined ? {} : { after: keyOf(after) }),
  };
}

/** Follows the index entries under `prefix` to their cells. */
function cellsOfIndex(ctx: ReadCtx, prefix: Uint8Array, page: ScanOptions,
  coordOf: (key: Uint8Array) => Coord): Cell[] {
  const out: Cell[] = [];
  for (const [key] of ctx.records.scan(prefix, page)) {
    const c = coordOf(key);
    const cell = getCell(ctx, c);
    // Entries and cells change in the same commits, so every snapshot sees both or neither.
    if (cell === undefined) {
      throw hexxlaError('CorruptDatabase', 'index entry points at a missing cell', {
        coord: `${c.q},${c.r}`,
      });
    }
    out.push(cell);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writes

/**
 * Puts a cell: builds it with the defaults of CellInput, validates it (checkCell, then the
 * validator hook), and only then writes the record, its index entries and facet 0, records the
 * change and schedules the after-put hook. Returns the cell as stored.
 */
export function putCell(ctx: WriteCtx, input: CellInput): Cell {
  if (typeof input !== 'object' || input === null) {
    throw hexxlaError('InvalidArgument', 'cell input must be an object');
  }
  const key = cellKey(input.coord);
  const stored = ctx.records.get(key);
  const old = stored === undefined ? undefined : decodeCell(stored);
  const cell = buildCell(ctx, input, old);
  const value = encodeCell(cell);
  const rawFacet = facets.encodeRawFacet(ctx, cell);
  // Both records are checked against the value limit before the first write, so a too-large
  // cell leaves nothing behind (facet 0 is a little larger than a cell without tags).
  const limit = ctx.records.maxValueBytes;
  const bytes = Math.max(value.length, rawFacet.length);
  if (bytes > limit) {
    throw hexxlaError('ValueTooLarge', `the cell encodes to ${bytes} bytes, over the database ` +
      `limit of ${limit}`, { bytes, limit });
  }
  checkVerdict(ctx.hooks.validateCell?.(cell));
  ctx.records.put(key, value);
  const before = old === undefined ? new Map<string, Uint8Array>() : indexKeys(old);
  const after = indexKeys(cell);
  for (const [id, k] of before) if (!after.has(id)) ctx.records.delete(k);
  for (const [id, k] of after) if (!before.has(id)) ctx.records.put(k, indexEntry);
  facets.writeRawFacet(ctx, cell, rawFacet);
  ctx.change({ op: 'putCell', key, value });
  const hook = ctx.hooks.afterPutCell;
  if (hook !== undefined) ctx.afterCommit(() => hook(cell));
  return cell;
}

/**
 * Refuses an async validator: the put cannot wait for it, so its rejection would be ignored
 * (every cell accepted) and, unhandled, crash the process. Its promise is marked handled.
 */
function checkVerdict(verdict: unknown): void {
  if (!isThenable(verdict)) return;
  (verdict as PromiseLike<unknown>).then(undefined, () => undefined);
  throw hexxlaError('InvalidArgument', 'the validateCell hook must be synchronous (it returned ' +
    'a promise); the put was rolled back');
}

/**
 * The stored form of `input`: defaults filled in, validated with checkCell, coordinates and
 * arrays copied (so later changes to the caller's objects do not reach the returned cell).
 */
function buildCell(ctx: WriteCtx, input: CellInput, old: Cell | undefined): Cell {
  const provenance = edges.provenanceWithDefaults(
    input.provenance, old?.provenance.createdAtMs, ctx.nowMs);
  const draft: Cell = {
    coord: input.coord,
    rawContent: input.rawContent,
    tags: input.tags ?? [],
    provenance,
    validity: input.validity ?? {},
    ...(input.clusterHint === undefined ? {} : { clusterHint: input.clusterHint }),
    activeFacetId: input.activeFacetId ?? 0,
  };
  checkCell(draft);
  const { validFromMs, validToMs } = draft.validity;
  const validity: Validity = {
    ...(validFromMs === undefined ? {} : { validFromMs }),
    ...(validToMs === undefined ? {} : { validToMs }),
  };
  const hint = draft.clusterHint;
  // Frozen: the validator and after-put hooks see this object, and a hook that changed it would
  // make the returned cell and the index entries disagree with the encoded record.
  return Object.freeze({
    ...draft,
    coord: Object.freeze({ q: draft.coord.q, r: draft.coord.r }),
    tags: Object.freeze([...draft.tags]),
    provenance: Object.freeze(provenance),
    validity: Object.freeze(validity),
    ...(hint === undefined ? {} : { clusterHint: Object.freeze({ q: hint.q, r: hint.r }) }),
  });
}

/**
 * The index entries of `cell`, keyed by a string naming the entry (so two cells' sets compare
 * without comparing bytes): 't:' tag, 's:' source, 'w:' week bucket.
 */
function indexKeys(cell: Cell): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const tag of cell.tags) out.set(`t:${tag}`, tagIndexKey(tag, cell.coord));
  const source = cell.provenance.sourceId;
  if (source !== '') out.set(`s:${source}`, sourceIndexKey(source, cell.coord));
  const from = cell.validity.validFromMs;
  if (from !== undefined) {
    const bucket = weekBucket(from);
    out.set(`w:${bucket}`, timeIndexKey(bucket, cell.coord));
  }
  return out;
}

/**
 * Deletes the cell at `c` with its index entries, facets, out-edges and embedding; seams stay
 * (they are history). Returns false, changing nothing, when there is no cell.
 */
export function deleteCell(ctx: WriteCtx, c: Coord): boolean {
  const key = cellKey(c);
  const stored = ctx.records.get(key);
  if (stored === undefined) return false;
  const cell = decodeCell(stored);
  for (const k of indexKeys(cell).values()) ctx.records.delete(k);
  facets.deleteFacets(ctx, cell.coord);
  edges.deleteOutEdges(ctx, cell.coord);
  ctx.records.delete(embeddingKey(cell.coord));
  ctx.records.delete(key);
  ctx.change({ op: 'deleteCell', key });
  return true;
}
