/**
 * Ring walks and loadContext (SPEC §3.2 walk-ring, §10.3 loadContext).
 *
 * Both visit the coordinates around a centre in spiral order (ring 0, ring 1, …; within a ring
 * the fixed order of src/coord/ring.ts) and read each one's cell with a point read. The cost is
 * therefore one tree seek per coordinate of the area, 1 + 3r(r + 1) for radius r (plus one seek
 * per selected facet of each cell found): it grows with the ring area and only with the depth of
 * the tree (logarithmically) with the database size, never with a scan of it.
 * Facets are read by point reads too, one per bit of the mask, rather than by a prefix scan of
 * the cell's facets: under MVCC such a scan would also step over every old facet version.
 */
import { forEachInSpiral, spiralSize, type Coord } from '../coord/index.js';
import { decodeCell } from '../engine/codec.js';
import { cellKey } from '../engine/keys.js';
import {
  checkCoord, checkTimeMs, facetIdMax, type Cell, type Facet, type FacetId,
} from '../engine/records.js';
import { hexxlaError } from '../errors.js';
import type { ReadCtx } from './context.js';
import { getFacet } from './facets.js';
import type { RingCell, WalkOptions } from './types.js';

/**
 * Largest radius of walkRing and loadContext. A walk reads 1 + 3r(r + 1) coordinates (about
 * 3 million at 1000), so this bounds one call to seconds of work; context budgets use radii in
 * the tens. Same bound as findSeams.
 */
export const walkRadiusMax = 1000;

/** Largest facet mask: bits 0…5 set. */
export const facetMaskMax = (1 << (facetIdMax + 1)) - 1;

/** Throws `InvalidArgument` unless `radius` is an integer 0…walkRadiusMax. */
function checkRadius(radius: unknown, what: string): void {
  if (!Number.isSafeInteger(radius) || (radius as number) < 0 ||
    (radius as number) > walkRadiusMax) {
    throw hexxlaError('InvalidArgument', `${what} must be an integer 0…${walkRadiusMax}`, {
      [what]: String(radius),
    });
  }
}

/** True when `cell` is valid at `t`: validFrom ≤ t ≤ validTo, an absent end always passes. */
function validAt(cell: Cell, t: number): boolean {
  const { validFromMs, validToMs } = cell.validity;
  return (validFromMs === undefined || validFromMs <= t) &&
    (validToMs === undefined || t <= validToMs);
}

/**
 * Visits the cells within `radius` of `center` in spiral order with their ring number until
 * `visit` returns false. Arguments are validated by the callers; the walk itself throws
 * `InvalidCoordinate` when the area leaves the coordinate range (src/coord never clips).
 */
function forEachCell(ctx: ReadCtx, center: Coord, radius: number,
  visit: (cell: Cell, ring: number) => boolean): void {
  let ring = 0;
  // Index of the first coordinate of ring + 1: spiralSize(ring).
  let nextRingAt = 1;
  forEachInSpiral(center, radius, (q, r, index) => {
    while (index >= nextRingAt) nextRingAt = spiralSize(++ring);
    const value = ctx.records.get(cellKey({ q, r }));
    return value === undefined ? true : visit(decodeCell(value), ring);
  });
}

/** Validates walkRing's options; returns the mask and the validity time. */
function walkOptions(opts: WalkOptions | undefined): { mask: number; at: number | undefined } {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
    throw hexxlaError('InvalidArgument', 'walk options must be an object');
  }
  const mask = opts?.facetMask ?? 0;
  if (!Number.isInteger(mask) || mask < 0 || mask > facetMaskMax) {
    throw hexxlaError('InvalidArgument', `facetMask must be an integer 0…${facetMaskMax}`, {
      facetMask: String(mask),
    });
  }
  const at = opts?.validAtMs;
  if (at !== undefined) checkTimeMs(at, 'validAtMs');
  return { mask, at };
}

/**
 * The cells within `radius` of `center`, ring by ring in ring order, each with its ring number
 * and the facets `opts.facetMask` selects (bit i = facet i, by id; absent facets are skipped),
 * optionally only those valid at `opts.validAtMs`. Throws `InvalidCoordinate` (center, or an
 * area leaving the coordinate range) and `InvalidArgument` (radius not 0…walkRadiusMax, mask not
 * 0…63, validAtMs not an integer time).
 */
export function walkRing(ctx: ReadCtx, center: Coord, radius: number,
  opts?: WalkOptions): RingCell[] {
  checkCoord(center, 'center');
  checkRadius(radius, 'radius');
  const { mask, at } = walkOptions(opts);
  const out: RingCell[] = [];
  forEachCell(ctx, center, radius, (cell, ring) => {
    if (at !== undefined && !validAt(cell, at)) return true;
    const facets: Facet[] = [];
    for (let id = 0; id <= facetIdMax; id++) {
      if ((mask & (1 << id)) === 0) continue;
      const facet = getFacet(ctx, cell.coord, id as FacetId);
      if (facet !== undefined) facets.push(facet);
    }
    out.push({ ring, cell, facets });
    return true;
  });
  return out;
}

/**
 * At most `maxCells` cells within `maxRadius` of `center`, ring by ring outward in ring order
 * (the walkRing order, so the same snapshot always gives the same list); the walk stops reading
 * as soon as it has `maxCells`. Throws `InvalidCoordinate` as walkRing, `InvalidArgument` for a
 * maxRadius not 0…walkRadiusMax or a maxCells that is not a non-negative integer.
 */
export function loadContext(ctx: ReadCtx, center: Coord, maxRadius: number,
  maxCells: number): Cell[] {
  checkCoord(center, 'center');
  checkRadius(maxRadius, 'maxRadius');
  if (!Number.isSafeInteger(maxCells) || maxCells < 0) {
    throw hexxlaError('InvalidArgument', 'maxCells must be a non-negative integer', {
      maxCells: String(maxCells),
    });
  }
  const out: Cell[] = [];
  if (maxCells === 0) {
    // Nothing to read, but the area is still validated (a stop at the first coordinate).
    forEachInSpiral(center, maxRadius, () => false);
    return out;
  }
  forEachCell(ctx, center, maxRadius, (cell) => {
    out.push(cell);
    return out.length < maxCells;
  });
  return out;
}
