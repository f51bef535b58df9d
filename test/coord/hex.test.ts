/**
 * Goal: the axial coordinate helpers of SPEC §2 behave as documented in docs/coordinates.md.
 * Method: example tests for the fixed orders and the error paths, fast-check properties over
 * the whole supported range (−2^31 … 2^31 − 1, edge values drawn often) for the algebra.
 * Properties:
 * - `coord` accepts exactly the int32 integers; anything else throws InvalidCoordinate (no wrap),
 *   and so do arithmetic results that leave the range.
 * - cube form sums to zero and round-trips; distance is symmetric, zero only on equal
 *   coordinates, obeys the triangle inequality, matches the cube max-norm, and is 1 to every
 *   neighbour.
 * - directions are in the documented order and `directions[i + 1] = rotate(directions[i], 1)`.
 * - rotate: 6 steps are the identity, ±1 steps cancel, distance to the centre is preserved.
 * Imports the coord module's public API (src/coord/index.ts), which src/index.ts is to re-export.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add,
  coord,
  coordComponentMax,
  coordComponentMin,
  coordEquals,
  coordToString,
  directions,
  distance,
  fromCube,
  neighbour,
  neighbours,
  rotate,
  scale,
  subtract,
  toCube,
} from '../../src/coord/index.js';
import {
  badComponents,
  boundedCoordArb,
  coordArb,
  edgeComponents,
  expectErrorCode,
} from './helpers.js';

const origin = coord(0, 0);

describe('coord validation', () => {
  it('accepts every edge component and normalises -0', () => {
    for (const q of edgeComponents) {
      for (const r of edgeComponents) expect(coord(q, r)).toEqual({ q, r });
    }
    expect(Object.is(coord(-0, 0).q, 0)).toBe(true);
  });

  it('rejects non-integer and out-of-range components with InvalidCoordinate', () => {
    for (const bad of badComponents) {
      expectErrorCode(() => coord(bad, 0), 'InvalidCoordinate');
      expectErrorCode(() => coord(0, bad), 'InvalidCoordinate');
      expectErrorCode(() => distance({ q: bad, r: 0 }, origin), 'InvalidCoordinate');
      expectErrorCode(() => toCube({ q: 0, r: bad }), 'InvalidCoordinate');
    }
    expectErrorCode(() => coord('1' as unknown as number, 0), 'InvalidCoordinate');
    expectErrorCode(() => coord(1n as unknown as number, 0), 'InvalidCoordinate');
  });

  it('formats as "(q,r)" and compares by value', () => {
    expect(coordToString(coord(3, -1))).toBe('(3,-1)');
    expect(coordEquals(coord(3, -1), { q: 3, r: -1 })).toBe(true);
    expect(coordEquals(coord(3, -1), coord(-1, 3))).toBe(false);
  });
});

describe('cube form and distance', () => {
  it('cube components sum to zero and round-trip', () => {
    fc.assert(
      fc.property(coordArb, (c) => {
        const cube = toCube(c);
        expect(cube.q + cube.r + cube.s).toBe(0);
        expect(fromCube(cube)).toEqual(c);
      }),
    );
    expect(Object.is(toCube(origin).s, 0)).toBe(true);
    expectErrorCode(() => fromCube({ q: 1, r: 1, s: 1 }), 'InvalidCoordinate');
  });

  it('is exact at the extremes of the range', () => {
    const low = coord(coordComponentMin, coordComponentMin);
    const high = coord(coordComponentMax, coordComponentMax);
    expect(distance(low, high)).toBe(2 * (2 ** 32 - 1));
    expect(distance(coord(coordComponentMin, coordComponentMax), origin)).toBe(2 ** 31);
  });

  it('is symmetric, zero only on equal coordinates and equals the cube max-norm', () => {
    fc.assert(
      fc.property(coordArb, coordArb, (a, b) => {
        const d = distance(a, b);
        expect(Number.isSafeInteger(d)).toBe(true);
        expect(distance(b, a)).toBe(d);
        expect(d === 0).toBe(coordEquals(a, b));
        const ca = toCube(a);
        const cb = toCube(b);
        const deltas = [ca.q - cb.q, ca.r - cb.r, ca.s - cb.s].map(Math.abs);
        expect(d).toBe(Math.max(...deltas));
      }),
    );
  });

  it('obeys the triangle inequality', () => {
    fc.assert(
      fc.property(coordArb, coordArb, coordArb, (a, b, c) => {
        expect(distance(a, c)).toBeLessThanOrEqual(distance(a, b) + distance(b, c));
      }),
    );
  });

  it('is 1 from a coordinate to each of its neighbours', () => {
    fc.assert(
      fc.property(boundedCoordArb(coordComponentMax - 1), (c) => {
        const around = neighbours(c);
        expect(around).toHaveLength(6);
        for (const n of around) expect(distance(c, n)).toBe(1);
        expect(new Set(around.map(coordToString)).size).toBe(6);
      }),
    );
  });
});

describe('directions and neighbours', () => {
  it('lists the six directions in the documented order', () => {
    expect(directions).toEqual([
      { q: 1, r: 0 },
      { q: 1, r: -1 },
      { q: 0, r: -1 },
      { q: -1, r: 0 },
      { q: -1, r: 1 },
      { q: 0, r: 1 },
    ]);
    expect(Object.isFrozen(directions)).toBe(true);
  });

  it('orders directions by one rotation step each', () => {
    for (let i = 0; i < 6; i++) {
      expect(rotate(directions[i]!, 1)).toEqual(directions[(i + 1) % 6]);
    }
  });

  it('gives neighbours in direction order', () => {
    const c = coord(10, -4);
    expect(neighbours(c)).toEqual(directions.map((d) => add(c, d)));
    for (let i = 0; i < 6; i++) expect(neighbour(c, i)).toEqual(add(c, directions[i]!));
    expectErrorCode(() => neighbour(c, 6), 'InvalidArgument');
    expectErrorCode(() => neighbour(c, 0.5), 'InvalidArgument');
  });

  it('refuses neighbours outside the range', () => {
    expectErrorCode(() => neighbours(coord(coordComponentMax, 0)), 'InvalidCoordinate');
    expectErrorCode(() => neighbour(coord(0, coordComponentMin), 2), 'InvalidCoordinate');
    expect(neighbour(coord(0, coordComponentMin), 5)).toEqual({ q: 0, r: coordComponentMin + 1 });
  });
});

describe('arithmetic', () => {
  it('add and subtract are inverse', () => {
    const half = boundedCoordArb(2 ** 30 - 1);
    fc.assert(
      fc.property(half, half, (a, b) => {
        expect(subtract(add(a, b), b)).toEqual(a);
        expect(add(subtract(a, b), b)).toEqual(a);
      }),
    );
  });

  it('throws instead of wrapping when a result leaves the range', () => {
    const max = coord(coordComponentMax, 0);
    expectErrorCode(() => add(max, coord(1, 0)), 'InvalidCoordinate');
    expectErrorCode(() => subtract(coord(0, coordComponentMin), coord(0, 1)), 'InvalidCoordinate');
    expectErrorCode(() => scale(coord(coordComponentMin, 0), -1), 'InvalidCoordinate');
    expectErrorCode(() => scale(coord(2 ** 16, 1), 2 ** 16), 'InvalidCoordinate');
  });

  it('scale multiplies the distance from the origin', () => {
    const small = boundedCoordArb(2 ** 15);
    fc.assert(
      fc.property(small, fc.integer({ min: -(2 ** 15), max: 2 ** 15 }), (c, factor) => {
        expect(distance(origin, scale(c, factor))).toBe(Math.abs(factor) * distance(origin, c));
      }),
    );
    expect(Object.is(scale(coord(0, 3), -1).q, 0)).toBe(true);
    expectErrorCode(() => scale(origin, 1.5), 'InvalidArgument');
  });
});

describe('rotate', () => {
  // |q|, |r| ≤ 2^30 − 1 keeps |s| < 2^31, so every rotation of these stays in range.
  const rotatable = boundedCoordArb(2 ** 30 - 1);
  const steps = fc.integer({ min: -20, max: 20 });

  it('six steps are the identity, and +k then −k cancels', () => {
    fc.assert(
      fc.property(rotatable, steps, (c, k) => {
        let turned = c;
        for (let i = 0; i < 6; i++) turned = rotate(turned, 1);
        expect(turned).toEqual(c);
        expect(rotate(c, 6 * k)).toEqual(c);
        expect(rotate(rotate(c, k), -k)).toEqual(c);
      }),
    );
  });

  it('preserves the distance to the centre', () => {
    const near = boundedCoordArb(2 ** 28);
    fc.assert(
      fc.property(near, near, steps, (c, centre, k) => {
        const turned = rotate(c, k, centre);
        expect(distance(turned, centre)).toBe(distance(c, centre));
        expect(distance(rotate(c, k), origin)).toBe(distance(c, origin));
        expect(rotate(turned, -k, centre)).toEqual(c);
      }),
    );
  });

  it('matches the worked examples and refuses out-of-range results', () => {
    expect(rotate(coord(2, -1), 1)).toEqual({ q: 1, r: -2 });
    expect(rotate(coord(2, -1), -1, coord(1, 1))).toEqual({ q: 3, r: 0 });
    expectErrorCode(() => rotate(coord(coordComponentMin, 0), 3), 'InvalidCoordinate');
    expectErrorCode(() => rotate(origin, 0.5), 'InvalidArgument');
    expectErrorCode(() => rotate(origin, 1, { q: 0.5, r: 0 }), 'InvalidCoordinate');
  });
});
