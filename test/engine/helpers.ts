/**
 * Shared helpers of the engine key and codec tests: fast-check arbitraries for the parts of keys
 * and records, byte comparison, and error-code assertions. Not a test file itself.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isHexxlaError, type ErrorCode } from '../../src/errors.js';
import { recordTimeMsMax, recordTimeMsMin } from '../../src/engine/records.js';

export { coordArb, expectErrorCode } from '../coord/helpers.js';

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/** Lexicographic unsigned byte order (the order of the B+ tree). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** True when `prefix` is a prefix (strict or not) of `key`. */
export function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > key.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/** Lower-case hex of bytes. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * Well-formed strings of `minBytes … maxBytes` UTF-8 bytes, mixing ASCII, any code point and
 * strings that are prefixes of each other ('a', 'ab', 'abc') so prefix collisions get tried.
 */
export function keyStringArb(maxBytes: number, minBytes = 1): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }) },
      { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
      {
        weight: 2,
        arbitrary: fc.constantFrom('a', 'ab', 'abc', 'b', '\u{10348}', 'é', '€', '\uFEFF'),
      },
      { weight: 1, arbitrary: fc.constant('x'.repeat(maxBytes)) },
    )
    .filter((s) => {
      const n = utf8(s).length;
      return n >= minBytes && n <= maxBytes;
    });
}

/** Any text (possibly empty), well-formed, any code point. */
export const textArb = fc.string({ unit: 'binary', maxLength: 60 });

/** A 16-byte ULID-shaped array. */
export const ulidArb = fc.uint8Array({ minLength: 16, maxLength: 16 });

/** Record times: the whole range, with its edges and present-day values drawn often. */
export const timeArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: recordTimeMsMin, max: recordTimeMsMax }) },
  { weight: 2, arbitrary: fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(recordTimeMsMin, recordTimeMsMax, 0, -1, 1) },
);

/** Commit seqs 0 … 2^64 − 1 with the edges drawn often. */
export const seqArb = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 1000n }) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n) },
);

/**
 * Runs `run` and returns the error code it threw (`'none'` when it returned); fails the test for
 * a throw that is not a HexxlaError.
 */
export function thrownCode(run: () => unknown): ErrorCode | 'none' {
  try {
    run();
    return 'none';
  } catch (error) {
    expect(isHexxlaError(error), `not a HexxlaError: ${String(error)}`).toBe(true);
    return (error as { code: ErrorCode }).code;
  }
}
