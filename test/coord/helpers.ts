/**
 * Shared helpers of the coordinate tests: fast-check arbitraries over the supported range and an
 * assertion on the typed error code. Not a test file itself (vitest runs only `*.test.ts`).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isHexxlaError, type ErrorCode } from '../../src/errors.js';
import { coord, coordComponentMax, coordComponentMin, type Coord } from '../../src/coord/index.js';

/** Components a test should always try: the extremes, their neighbours, and around zero. */
export const edgeComponents = [
  coordComponentMin,
  coordComponentMin + 1,
  -1,
  0,
  1,
  coordComponentMax - 1,
  coordComponentMax,
] as const;

/** Any component in the supported range, with the edge values drawn often. */
export const componentArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: coordComponentMin, max: coordComponentMax }) },
  { weight: 1, arbitrary: fc.constantFrom(...edgeComponents) },
);

/** Any valid coordinate. */
export const coordArb: fc.Arbitrary<Coord> = fc
  .tuple(componentArb, componentArb)
  .map(([q, r]) => coord(q, r));

/** A coordinate whose components lie in `[-limit, limit]`. */
export function boundedCoordArb(limit: number): fc.Arbitrary<Coord> {
  const component = fc.integer({ min: -limit, max: limit });
  return fc.tuple(component, component).map(([q, r]) => coord(q, r));
}

/** Numbers that are not valid components: non-integers, non-finite, just out of range. */
export const badComponents = [
  coordComponentMax + 1,
  coordComponentMin - 1,
  2 ** 53,
  -(2 ** 40),
  0.5,
  -1.25,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
] as const;

/** Asserts that `run` throws a HexxlaError whose `code` is `code`. */
export function expectErrorCode(run: () => unknown, code: ErrorCode): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a throw with code ${code}`).toBeDefined();
  expect(isHexxlaError(caught), `expected a HexxlaError, got ${String(caught)}`).toBe(true);
  expect((caught as { code?: unknown }).code).toBe(code);
}
