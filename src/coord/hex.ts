/**
 * Axial hexagonal coordinates (SPEC §2): the value type, validation, cube form, distance,
 * directions, neighbours, arithmetic and rotation. Ring and spiral walks live in `ring.ts`.
 *
 * Conventions (docs/coordinates.md has pictures and worked examples):
 * - A coordinate is axial `(q, r)`; the implicit cube component is `s = -q - r`.
 * - Both components are 32-bit signed integers, `coordComponentMin … coordComponentMax`. This is
 *   the range `packCoord` can encode; every operation that would leave it throws
 *   `InvalidCoordinate` instead of wrapping.
 * - Rotation sense: one positive step turns 60° so that `directions[i]` becomes `directions[i+1]`.
 *   In the pointy-top screen layout (x = √3·(q + r/2), y = 1.5·r, y growing downward) that is
 *   counter-clockwise: east, north-east, north-west, west, south-west, south-east.
 *
 * Returned coordinates are fresh plain objects owned by the caller; their `readonly` fields are a
 * type-level promise, they are not frozen (freezing costs time on the ring-walk hot path). No
 * function returns `-0` as a component.
 */
import { hexxlaError } from '../errors.js';

/** An axial hex coordinate. Components are integers in `coordComponentMin … coordComponentMax`. */
export type Coord = { readonly q: number; readonly r: number };

/** Cube form of a coordinate: `q + r + s === 0`. */
export type CubeCoord = { readonly q: number; readonly r: number; readonly s: number };

/** Smallest supported component: −2^31, the low end of a 32-bit signed integer. */
export const coordComponentMin = -0x8000_0000;
/** Largest supported component: 2^31 − 1, so each component zigzags into 32 bits. */
export const coordComponentMax = 0x7fff_ffff;

/**
 * The six unit directions in their fixed order; index `i` is `rotate(directions[0], i)`:
 * 0 `(+1, 0)` east, 1 `(+1, −1)` north-east, 2 `(0, −1)` north-west, 3 `(−1, 0)` west,
 * 4 `(−1, +1)` south-west, 5 `(0, +1)` south-east (pointy-top layout, y growing downward).
 * The array and its elements are frozen.
 */
export const directions: readonly Coord[] = Object.freeze([
  Object.freeze({ q: 1, r: 0 }),
  Object.freeze({ q: 1, r: -1 }),
  Object.freeze({ q: 0, r: -1 }),
  Object.freeze({ q: -1, r: 0 }),
  Object.freeze({ q: -1, r: 1 }),
  Object.freeze({ q: 0, r: 1 }),
]);

/** The q components of `directions`, for allocation-free walks. */
export const directionQ: readonly number[] = Object.freeze([1, 1, 0, -1, -1, 0]);
/** The r components of `directions`, for allocation-free walks. */
export const directionR: readonly number[] = Object.freeze([0, -1, -1, 0, 1, 1]);

/** True when `value` is a number that is an integer within the 32-bit signed range. */
export function isCoordComponent(value: unknown): value is number {
  // `x | 0` truncates to int32, so equality holds exactly for int32 integers (and -0).
  return typeof value === 'number' && (value | 0) === value;
}

/**
 * @internal Builds a coordinate from components already known to be int32 integers (the fast
 * path of this module's own walks): `| 0` turns `-0` into `0` and is exact for int32 input.
 * Not re-exported from `coord/index.ts`.
 */
export function coordUnchecked(q: number, r: number): Coord {
  return { q: q | 0, r: r | 0 };
}

/**
 * Returns the coordinate `(q, r)`.
 * Throws `InvalidCoordinate` when a component is not an integer or lies outside
 * `coordComponentMin … coordComponentMax` (NaN, ±Infinity, 1.5, 2^31 …); it never wraps.
 */
export function coord(q: number, r: number): Coord {
  if (!isCoordComponent(q) || !isCoordComponent(r)) throw invalidComponents(q, r, 'coord');
  return coordUnchecked(q, r);
}

/**
 * Throws `InvalidCoordinate` unless `c` has two valid components (see `coord`). Functions taking a
 * `Coord` call this because a structural type cannot stop `{ q: 0.5, r: 0 }` at run time.
 */
export function assertCoord(c: Coord, operation = 'coord'): void {
  // Not an object (null, undefined from a missing field): the same typed error, not a TypeError.
  const obj: Partial<Coord> = typeof c === 'object' && c !== null ? c : {};
  if (!isCoordComponent(obj.q) || !isCoordComponent(obj.r)) {
    throw invalidComponents(obj.q, obj.r, operation);
  }
}

/**
 * Validates the result of an arithmetic step computed in doubles (exact below 2^53) and returns
 * it as a coordinate. Throws `InvalidCoordinate` when it left the supported range.
 */
function checkedResult(q: number, r: number, operation: string): Coord {
  if (!isCoordComponent(q) || !isCoordComponent(r)) throw invalidComponents(q, r, operation);
  return coordUnchecked(q, r);
}

/**
 * @internal The `InvalidCoordinate` error for bad components; the values go into the context as
 * strings because NaN and ±Infinity are not JSON.
 */
export function invalidComponents(q: unknown, r: unknown, operation: string): Error {
  return hexxlaError(
    'InvalidCoordinate',
    `${operation}: components must be integers in [${coordComponentMin}, ${coordComponentMax}]`,
    { operation, q: String(q), r: String(r) },
  );
}

/** @internal Throws `InvalidArgument` unless `value` is a safe integer (≥ `min` when given). */
export function assertIntegerArgument(value: number, name: string, min?: number): void {
  if (!Number.isSafeInteger(value) || (min !== undefined && value < min)) {
    const bound = min === undefined ? '' : ` >= ${min}`;
    throw hexxlaError('InvalidArgument', `${name} must be a safe integer${bound}`, {
      [name]: String(value),
    });
  }
}

/** Cube form `{ q, r, s }` of `c`, with `s = −q − r` (never `-0`). Throws `InvalidCoordinate`. */
export function toCube(c: Coord): CubeCoord {
  assertCoord(c, 'toCube');
  return { q: c.q, r: c.r, s: 0 - c.q - c.r };
}

/**
 * Axial coordinate of a cube coordinate. Throws `InvalidCoordinate` when `q + r + s !== 0` or
 * when `q` or `r` is out of range (`s` may reach ±2^32, it is implied).
 */
export function fromCube(cube: CubeCoord): Coord {
  assertCoord(cube, 'fromCube');
  if (cube.q + cube.r + cube.s !== 0) {
    throw hexxlaError('InvalidCoordinate', 'fromCube: q + r + s must be 0', {
      q: String(cube.q),
      r: String(cube.r),
      s: String(cube.s),
    });
  }
  return coordUnchecked(cube.q, cube.r);
}

/**
 * Hex distance: the number of neighbour steps from `a` to `b`,
 * `(|dq| + |dr| + |dq + dr|) / 2`. Exact over the whole range (the sum stays below 2^35).
 * Throws `InvalidCoordinate` on an invalid input.
 */
export function distance(a: Coord, b: Coord): number {
  assertCoord(a, 'distance');
  assertCoord(b, 'distance');
  const dq = a.q - b.q;
  const dr = a.r - b.r;
  return (Math.abs(dq) + Math.abs(dr) + Math.abs(dq + dr)) / 2;
}

/** True when both components are equal. Does not validate (a cheap comparison). */
export function coordEquals(a: Coord, b: Coord): boolean {
  return a.q === b.q && a.r === b.r;
}

/** `"(q,r)"`, for example `"(3,-1)"`. Does not validate. */
export function coordToString(c: Coord): string {
  return `(${c.q},${c.r})`;
}

/** `a + b`. Throws `InvalidCoordinate` on invalid input or when the sum leaves the range. */
export function add(a: Coord, b: Coord): Coord {
  assertCoord(a, 'add');
  assertCoord(b, 'add');
  return checkedResult(a.q + b.q, a.r + b.r, 'add');
}

/** `a − b`. Throws `InvalidCoordinate` on invalid input or when the result leaves the range. */
export function subtract(a: Coord, b: Coord): Coord {
  assertCoord(a, 'subtract');
  assertCoord(b, 'subtract');
  return checkedResult(a.q - b.q, a.r - b.r, 'subtract');
}

/**
 * `c × factor` (component-wise; the distance from the origin scales by `|factor|`).
 * Throws `InvalidArgument` when `factor` is not a safe integer and `InvalidCoordinate` when the
 * result leaves the range.
 */
export function scale(c: Coord, factor: number): Coord {
  assertCoord(c, 'scale');
  assertIntegerArgument(factor, 'factor');
  return checkedResult(c.q * factor, c.r * factor, 'scale');
}

/**
 * The neighbour of `c` in direction `direction` (0…5, see `directions`).
 * Throws `InvalidArgument` for a bad direction, `InvalidCoordinate` when the neighbour is out of
 * range.
 */
export function neighbour(c: Coord, direction: number): Coord {
  assertCoord(c, 'neighbour');
  const dq = directionQ[direction];
  const dr = directionR[direction];
  if (dq === undefined || dr === undefined || !Number.isInteger(direction)) {
    throw hexxlaError('InvalidArgument', 'direction must be an integer in 0..5', {
      direction: String(direction),
    });
  }
  return checkedResult(c.q + dq, c.r + dr, 'neighbour');
}

/**
 * The six neighbours of `c` in `directions` order (the same order as `ring(c, 1)`). A new array.
 * Throws `InvalidCoordinate` when `c` is invalid or any neighbour is out of range.
 */
export function neighbours(c: Coord): Coord[] {
  assertCoord(c, 'neighbours');
  const out: Coord[] = [];
  for (let i = 0; i < 6; i++) {
    out.push(checkedResult(c.q + (directionQ[i] ?? 0), c.r + (directionR[i] ?? 0), 'neighbours'));
  }
  return out;
}

/**
 * Rotates `c` by `steps` × 60° around `centre` (default the origin). Positive steps turn
 * `directions[i]` into `directions[i + 1]` (counter-clockwise on screen); any integer is accepted
 * and taken modulo 6. Intermediate values are exact doubles, only the result is range-checked.
 * Throws `InvalidArgument` for non-integer steps and `InvalidCoordinate` for an invalid input or
 * an out-of-range result (for example rotating `(−2^31, 0)` by 3 steps).
 */
export function rotate(c: Coord, steps: number, centre?: Coord): Coord {
  assertCoord(c, 'rotate');
  assertIntegerArgument(steps, 'steps');
  const cq = centre?.q ?? 0;
  const cr = centre?.r ?? 0;
  if (centre !== undefined) assertCoord(centre, 'rotate');
  const q = c.q - cq;
  const r = c.r - cr;
  const s = 0 - q - r;
  // One step maps cube (q, r, s) to (−s, −q, −r); n steps follow the cycle below.
  switch (((steps % 6) + 6) % 6) {
    case 0:
      return checkedResult(cq + q, cr + r, 'rotate');
    case 1:
      return checkedResult(cq - s, cr - q, 'rotate');
    case 2:
      return checkedResult(cq + r, cr + s, 'rotate');
    case 3:
      return checkedResult(cq - q, cr - r, 'rotate');
    case 4:
      return checkedResult(cq + s, cr + q, 'rotate');
    default:
      return checkedResult(cq - r, cr - s, 'rotate');
  }
}
