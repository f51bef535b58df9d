/**
 * Goal: ring and spiral walks (SPEC §2) have the documented sizes, members and a fixed order,
 * and their array, iterator and callback forms agree.
 * Method: the worked example of docs/coordinates.md checked literally; fast-check properties on
 * random centres (including centres near the range edge) and radii up to 40; brute force over
 * a bounding box for spiral completeness; example tests for the error paths.
 * Properties:
 * - ring 0 is [centre]; ring k > 0 has 6k distinct members, all at distance k, starting at
 *   centre + (k, 0); consecutive members (and last → first) are neighbours.
 * - rotational order: rotating member i by +60° about the centre gives member i + k (mod 6k),
 *   the same sense as `directions`; the same call always returns the same order.
 * - spiral(r) is rings 0…r concatenated: 1 + 3r(r + 1) members, no duplicates, and exactly the
 *   coordinates within distance r.
 * - walks that would leave the supported range, bad radii and oversized arrays throw.
 * Imports the coord module's public API (src/coord/index.ts), which src/index.ts is to re-export.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add,
  coord,
  coordComponentMax,
  coordComponentMin,
  coordListLengthMax,
  coordToString,
  directions,
  distance,
  forEachInRing,
  forEachInSpiral,
  ring,
  ringIter,
  ringSize,
  rotate,
  spiral,
  spiralIter,
  spiralSize,
  type Coord,
} from '../../src/coord/index.js';
import { boundedCoordArb, coordArb, expectErrorCode } from './helpers.js';

const origin = coord(0, 0);
const radiusArb = fc.integer({ min: 0, max: 40 });
/** Centres anywhere a ring of radius ≤ 40 still fits, including next to the range edge. */
const centreArb = boundedCoordArb(coordComponentMax - 40).chain((c) =>
  fc.constantFrom(c, coord(coordComponentMin + 40, c.r), coord(c.q, coordComponentMax - 40)),
);

describe('ring worked example', () => {
  it('ring 1 of the origin follows the directions', () => {
    expect(ring(origin, 0)).toEqual([origin]);
    expect(ring(origin, 1).map(coordToString).join(' ')).toBe(
      '(1,0) (1,-1) (0,-1) (-1,0) (-1,1) (0,1)',
    );
    expect(ring(coord(7, -3), 1)).toEqual(directions.map((d) => add(coord(7, -3), d)));
  });

  it('ring 2 of the origin goes round from (2,0)', () => {
    expect(ring(origin, 2).map(coordToString).join(' ')).toBe(
      '(2,0) (2,-1) (2,-2) (1,-2) (0,-2) (-1,-1) (-2,0) (-2,1) (-2,2) (-1,2) (0,2) (1,1)',
    );
  });
});

describe('ring properties', () => {
  it('has 6k distinct members at distance k, starting at centre + (k, 0)', () => {
    fc.assert(
      fc.property(centreArb, radiusArb, (centre, k) => {
        const members = ring(centre, k);
        expect(members).toHaveLength(k === 0 ? 1 : 6 * k);
        expect(ringSize(k)).toBe(members.length);
        expect(members[0]).toEqual({ q: centre.q + k, r: centre.r });
        for (const m of members) expect(distance(m, centre)).toBe(k);
        expect(new Set(members.map(coordToString)).size).toBe(members.length);
      }),
    );
  });

  it('walks round: consecutive members are neighbours', () => {
    fc.assert(
      fc.property(centreArb, fc.integer({ min: 1, max: 40 }), (centre, k) => {
        const members = ring(centre, k);
        for (let i = 0; i < members.length; i++) {
          const next = members[(i + 1) % members.length]!;
          expect(distance(members[i]!, next)).toBe(1);
        }
      }),
    );
  });

  it('goes round in the rotation sense of rotate and is deterministic', () => {
    fc.assert(
      fc.property(boundedCoordArb(2 ** 20), fc.integer({ min: 1, max: 30 }), (centre, k) => {
        const members = ring(centre, k);
        for (let i = 0; i < members.length; i++) {
          const turned = rotate(members[i]!, 1, centre);
          expect(turned).toEqual(members[(i + k) % members.length]);
        }
        expect(ring(centre, k)).toEqual(members);
      }),
    );
  });
});

describe('spiral', () => {
  it('is rings 0…r concatenated, 1 + 3r(r + 1) coordinates without duplicates', () => {
    fc.assert(
      fc.property(centreArb, radiusArb, (centre, radius) => {
        const all = spiral(centre, radius);
        expect(all).toHaveLength(1 + 3 * radius * (radius + 1));
        expect(spiralSize(radius)).toBe(all.length);
        expect(new Set(all.map(coordToString)).size).toBe(all.length);
        const rings: Coord[] = [];
        for (let k = 0; k <= radius; k++) rings.push(...ring(centre, k));
        expect(all).toEqual(rings);
      }),
    );
  });

  it('holds exactly the coordinates within the radius', () => {
    const centre = coord(-5, 9);
    const radius = 7;
    const inside = new Set(spiral(centre, radius).map(coordToString));
    for (let dq = -radius - 2; dq <= radius + 2; dq++) {
      for (let dr = -radius - 2; dr <= radius + 2; dr++) {
        const c = coord(centre.q + dq, centre.r + dr);
        expect(inside.has(coordToString(c))).toBe(distance(c, centre) <= radius);
      }
    }
  });
});

describe('iterator and callback forms', () => {
  it('yield the same sequence as the arrays, with consecutive indexes', () => {
    fc.assert(
      fc.property(centreArb, fc.integer({ min: 0, max: 12 }), (centre, radius) => {
        expect([...ringIter(centre, radius)]).toEqual(ring(centre, radius));
        expect([...spiralIter(centre, radius)]).toEqual(spiral(centre, radius));
        const seen: Coord[] = [];
        const count = forEachInSpiral(centre, radius, (q, r, index) => {
          expect(index).toBe(seen.length);
          seen.push({ q, r });
        });
        expect(count).toBe(spiralSize(radius));
        expect(seen).toEqual(spiral(centre, radius));
        const ringSeen: Coord[] = [];
        forEachInRing(centre, radius, (q, r) => void ringSeen.push({ q, r }));
        expect(ringSeen).toEqual(ring(centre, radius));
      }),
    );
  });

  it('stop after the visit that returns false and report the count', () => {
    fc.assert(
      fc.property(coordArb.filter(fitsRadius(5)), fc.integer({ min: 0, max: 90 }), (c, stopAt) => {
        const spiralCount = forEachInSpiral(c, 5, (_q, _r, index) => index !== stopAt);
        expect(spiralCount).toBe(Math.min(stopAt + 1, spiralSize(5)));
        const ringCount = forEachInRing(c, 5, (_q, _r, index) => index !== stopAt);
        expect(ringCount).toBe(Math.min(stopAt + 1, 30));
      }),
    );
    expect(forEachInRing(origin, 0, () => false)).toBe(1);
    expect(forEachInSpiral(origin, 3, () => false)).toBe(1);
  });

  it('walk huge radii lazily without a length bound', () => {
    const radius = 2 ** 30;
    expect(forEachInRing(origin, radius, () => false)).toBe(1);
    const first = ringIter(origin, radius).next();
    expect(first.value).toEqual({ q: radius, r: 0 });
  });
});

describe('walk errors', () => {
  it('refuses walks that leave the supported range', () => {
    const edge = coord(coordComponentMax, 0);
    expectErrorCode(() => ring(edge, 1), 'InvalidCoordinate');
    expectErrorCode(() => ringIter(coord(0, coordComponentMin), 1), 'InvalidCoordinate');
    expectErrorCode(() => spiral(coord(coordComponentMin + 2, 5), 3), 'InvalidCoordinate');
    expectErrorCode(() => forEachInRing(edge, 1, () => undefined), 'InvalidCoordinate');
    expect(ring(coord(coordComponentMax - 1, coordComponentMin + 1), 1)).toHaveLength(6);
    expectErrorCode(() => ring({ q: 0.5, r: 0 }, 1), 'InvalidCoordinate');
  });

  it('refuses bad radii eagerly, also for the lazy forms', () => {
    for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectErrorCode(() => ring(origin, bad), 'InvalidArgument');
      expectErrorCode(() => spiralIter(origin, bad), 'InvalidArgument');
      expectErrorCode(() => forEachInSpiral(origin, bad, () => undefined), 'InvalidArgument');
      expectErrorCode(() => ringSize(bad), 'InvalidArgument');
    }
  });

  it('refuses arrays longer than coordListLengthMax before allocating', () => {
    const ringRadius = Math.floor(coordListLengthMax / 6) + 1;
    expectErrorCode(() => ring(origin, ringRadius), 'InvalidArgument');
    expectErrorCode(() => spiral(origin, 3000), 'InvalidArgument');
  });
});

/** True for coordinates around which a walk of `radius` stays in range. */
function fitsRadius(radius: number): (c: Coord) => boolean {
  return (c) =>
    c.q - radius >= coordComponentMin &&
    c.q + radius <= coordComponentMax &&
    c.r - radius >= coordComponentMin &&
    c.r + radius <= coordComponentMax;
}
