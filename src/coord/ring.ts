/**
 * Ring and spiral walks around a centre (SPEC §2): the hot path of retrieval, which walks
 * outward ring by ring within a budget.
 *
 * Order (fixed; docs/coordinates.md has a worked example):
 * - Ring 0 is `[centre]`. Ring k > 0 has 6k coordinates, all at distance k.
 * - Ring k starts at the east corner `centre + k·(+1, 0)` and goes round counter-clockwise
 *   (the rotation sense of `rotate` and `directions`): side `i` (0…5) starts at the corner
 *   `centre + k·directions[i]` and takes k steps in `directions[(i + 2) % 6]`, so element
 *   `i·k + j` is `centre + k·directions[i] + j·directions[(i + 2) % 6]`.
 *   Ring 1 is therefore `centre + directions[0…5]`, the same order as `neighbours`.
 * - A spiral is ring 0, ring 1, …, ring `radius`, concatenated.
 *
 * Three forms of each walk: an array (`ring`, `spiral`), a lazy iterator (`ringIter`,
 * `spiralIter`) and a callback over raw components (`forEachInRing`, `forEachInSpiral`) that
 * allocates nothing and can stop early. All validate up front: the centre must be valid, the
 * radius a non-negative safe integer (else `InvalidArgument`), and the whole outermost ring must
 * lie in the supported range (else `InvalidCoordinate`; walks never clip or wrap).
 *
 * Speed (`npx tsx bench/coord-bench.ts`, Node 20.20, median round, radius 16): `forEachInRing`
 * ≈ 2–3 ns per coordinate (nothing allocated), `ring` ≈ 8 ns per coordinate (one object each).
 */
import { hexxlaError } from '../errors.js';
import {
  assertCoord,
  assertIntegerArgument,
  coordComponentMax,
  coordComponentMin,
  coordUnchecked,
  type Coord,
} from './hex.js';

/**
 * Largest number of coordinates the array forms (`ring`, `spiral`) return. 2^24 plain objects
 * take roughly 0.5–1 GiB of heap, already more than a retrieval budget can use; larger walks
 * must use the iterator or callback forms, which hold one coordinate at a time.
 */
export const coordListLengthMax = 1 << 24;

/** Per side of a ring, the step direction `directions[(side + 2) % 6]`, split into q and r. */
const sideStepQ = [0, -1, -1, 0, 1, 1] as const;
const sideStepR = [-1, 0, 1, 1, 0, -1] as const;

/**
 * Visitor of a callback walk: receives the components and the 0-based position in the walk.
 * Returning `false` stops the walk; any other return value continues it.
 */
export type CoordVisitor = (q: number, r: number, index: number) => boolean | void;

/** Number of coordinates in ring `radius`: 1 for 0, else 6·radius. */
export function ringSize(radius: number): number {
  assertIntegerArgument(radius, 'radius', 0);
  return radius === 0 ? 1 : 6 * radius;
}

/** Number of coordinates in a spiral of `radius`: 1 + 3·radius·(radius + 1). */
export function spiralSize(radius: number): number {
  assertIntegerArgument(radius, 'radius', 0);
  return 1 + 3 * radius * (radius + 1);
}

/** Validates a walk of `radius` around `centre` (see the module comment for the errors). */
function assertWalk(centre: Coord, radius: number, operation: string): void {
  assertCoord(centre, operation);
  assertIntegerArgument(radius, 'radius', 0);
  // Ring k spans exactly q ∈ [cq − k, cq + k] and r ∈ [cr − k, cr + k] (its corners reach them).
  const inRange =
    centre.q - radius >= coordComponentMin &&
    centre.q + radius <= coordComponentMax &&
    centre.r - radius >= coordComponentMin &&
    centre.r + radius <= coordComponentMax;
  if (!inRange) {
    throw hexxlaError('InvalidCoordinate', `${operation}: the walk leaves the supported range`, {
      operation,
      q: centre.q,
      r: centre.r,
      radius,
    });
  }
}

/** Throws `InvalidArgument` when an array form would return more than `coordListLengthMax`. */
function assertListLength(length: number, operation: string): void {
  if (length > coordListLengthMax) {
    throw hexxlaError(
      'InvalidArgument',
      `${operation}: ${length} coordinates exceed coordListLengthMax; use the iterator form`,
      { operation, length, coordListLengthMax },
    );
  }
}

/** Appends ring `radius` around `(cq, cr)` to `out`. Arguments are already validated. */
function pushRing(out: Coord[], cq: number, cr: number, radius: number): void {
  visitRing(cq | 0, cr | 0, radius, 0, (q, r) => {
    out.push(coordUnchecked(q, r));
  });
}

/**
 * The coordinates at distance `radius` from `centre`, in ring order (module comment): `[centre]`
 * for 0, else 6·radius coordinates starting at `centre + (radius, 0)`. A new array.
 * Throws `InvalidCoordinate`/`InvalidArgument` as described in the module comment, and
 * `InvalidArgument` when the ring is longer than `coordListLengthMax`.
 */
export function ring(centre: Coord, radius: number): Coord[] {
  assertWalk(centre, radius, 'ring');
  assertListLength(ringSize(radius), 'ring');
  const out: Coord[] = [];
  pushRing(out, centre.q, centre.r, radius);
  return out;
}

/**
 * Rings 0 … `radius` around `centre`, concatenated: 1 + 3·radius·(radius + 1) coordinates, no
 * duplicates, sorted by distance from the centre. A new array. Throws as `ring`.
 */
export function spiral(centre: Coord, radius: number): Coord[] {
  assertWalk(centre, radius, 'spiral');
  assertListLength(spiralSize(radius), 'spiral');
  const out: Coord[] = [];
  for (let k = 0; k <= radius; k++) pushRing(out, centre.q, centre.r, k);
  return out;
}

/**
 * Calls `visit(q, r, index)` for each coordinate of ring `radius` around `centre`, in ring order,
 * without allocating. Stops after the visit that returns `false`. Returns the number of
 * coordinates visited (including the one that stopped the walk). Throws as `ring`, except that
 * no length bound applies.
 */
export function forEachInRing(centre: Coord, radius: number, visit: CoordVisitor): number {
  assertWalk(centre, radius, 'forEachInRing');
  return Math.abs(visitRing(centre.q | 0, centre.r | 0, radius, 0, visit));
}

/**
 * Visits ring `radius` around `(cq, cr)` with indexes starting at `indexStart`. Returns the index
 * after the last visit (always ≥ 1), negated when the visitor stopped the walk, so the caller can
 * tell a stop from a completed ring without allocating a second return value.
 */
function visitRing(
  cq: number,
  cr: number,
  radius: number,
  indexStart: number,
  visit: CoordVisitor,
): number {
  let index = indexStart;
  if (radius === 0) return visit(cq, cr, index) === false ? -(index + 1) : index + 1;
  let q = cq + radius;
  let r = cr;
  for (let side = 0; side < 6; side++) {
    const dq = sideStepQ[side] ?? 0;
    const dr = sideStepR[side] ?? 0;
    for (let step = 0; step < radius; step++) {
      if (visit(q, r, index++) === false) return -index;
      q += dq;
      r += dr;
    }
  }
  return index;
}

/**
 * Calls `visit(q, r, index)` for each coordinate of the spiral of `radius` around `centre`
 * (ring 0, ring 1, …), without allocating; `index` counts from 0 across rings. Stops after the
 * visit that returns `false`. Returns the number of coordinates visited. Throws as `ring`, except
 * that no length bound applies.
 */
export function forEachInSpiral(centre: Coord, radius: number, visit: CoordVisitor): number {
  assertWalk(centre, radius, 'forEachInSpiral');
  let index = 0;
  for (let k = 0; k <= radius; k++) {
    const next = visitRing(centre.q | 0, centre.r | 0, k, index, visit);
    if (next < 0) return -next;
    index = next;
  }
  return index;
}

/**
 * A lazy iterator over ring `radius` around `centre`, in ring order; each step yields a fresh
 * coordinate. Arguments are validated when this is called, not at the first `next()`. Throws as
 * `forEachInRing`.
 */
export function ringIter(centre: Coord, radius: number): IterableIterator<Coord> {
  assertWalk(centre, radius, 'ringIter');
  return ringGenerator(centre.q, centre.r, radius);
}

/**
 * A lazy iterator over the spiral of `radius` around `centre` (ring 0, ring 1, …). Validated when
 * called. Throws as `forEachInSpiral`.
 */
export function spiralIter(centre: Coord, radius: number): IterableIterator<Coord> {
  assertWalk(centre, radius, 'spiralIter');
  return spiralGenerator(centre.q, centre.r, radius);
}

function* ringGenerator(cq: number, cr: number, radius: number): Generator<Coord, void, void> {
  if (radius === 0) {
    yield coordUnchecked(cq, cr);
    return;
  }
  let q = cq + radius;
  let r = cr;
  for (let side = 0; side < 6; side++) {
    const dq = sideStepQ[side] ?? 0;
    const dr = sideStepR[side] ?? 0;
    for (let step = 0; step < radius; step++) {
      yield { q, r };
      q += dq;
      r += dr;
    }
  }
}

function* spiralGenerator(cq: number, cr: number, radius: number): Generator<Coord, void, void> {
  for (let k = 0; k <= radius; k++) yield* ringGenerator(cq, cr, k);
}
