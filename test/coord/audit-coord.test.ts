/**
 * Goal: defect found by the library audit (SPEC §2, §13): every coordinate helper that
 * validates its input throws InvalidCoordinate for a missing coordinate (null, undefined, a
 * number), not a TypeError from reading `.q` of it.
 * Method: the public coordinate helpers.
 */
import { describe, expect, it } from 'vitest';
import {
  add, assertCoord, distance, isHexxlaError, neighbours, packCoord, ring, rotate, scale, spiral,
  toCube, type Coord,
} from '../../src/index.js';

describe('coordinate helpers on a missing coordinate', () => {
  it('throw InvalidCoordinate', () => {
    const ok: Coord = { q: 0, r: 0 };
    const calls: Array<(c: Coord) => unknown> = [
      (c) => assertCoord(c), (c) => distance(c, ok), (c) => add(ok, c), (c) => neighbours(c),
      (c) => packCoord(c), (c) => ring(c, 1), (c) => spiral(c, 1), (c) => rotate(c, 1),
      (c) => scale(c, 2), (c) => toCube(c),
    ];
    for (const bad of [null, undefined, 5, 'x']) {
      for (const call of calls) {
        let err: unknown;
        try {
          call(bad as unknown as Coord);
        } catch (e) {
          err = e;
        }
        expect(isHexxlaError(err, 'InvalidCoordinate'), `${call} on ${String(bad)}`).toBe(true);
      }
    }
  });
});
