/**
 * Goal: the seeded PRNG behind every fault decision replays exactly.
 * Method: draw sequences from equal and different seeds; check ranges of the helpers.
 * Properties: same seed → identical sequence; different seeds → different sequences; int(n) is
 * in [0, n) and hits every value for small n; bad bounds throw; seedFromEnv parses or rejects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Prng, mulberry32, seedFromEnv } from './prng.js';

describe('Prng', () => {
  afterEach(() => {
    delete process.env['HEXXLA_TEST_SEED'];
  });

  it('replays the same sequence for the same seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const seqA = Array.from({ length: 50 }, () => a.next());
    const seqB = Array.from({ length: 50 }, () => b.next());
    expect(seqA).toEqual(seqB);
    expect(new Prng(7).bytes(32)).toEqual(new Prng(7).bytes(32));
  });

  it('differs between seeds', () => {
    const a = mulberry32(1);
    const b = mulberry32(2);
    expect(Array.from({ length: 8 }, a)).not.toEqual(Array.from({ length: 8 }, b));
  });

  it('keeps int() in range and covers small ranges', () => {
    const rng = new Prng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const v = rng.int(5);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(5);
      seen.add(v);
    }
    expect(seen.size).toBe(5);
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.int(1.5)).toThrow(RangeError);
  });

  it('reads a seed from the environment', () => {
    expect(seedFromEnv(9, 'HEXXLA_TEST_SEED')).toBe(9);
    process.env['HEXXLA_TEST_SEED'] = '1234';
    expect(seedFromEnv(9, 'HEXXLA_TEST_SEED')).toBe(1234);
    process.env['HEXXLA_TEST_SEED'] = 'abc';
    expect(() => seedFromEnv(9, 'HEXXLA_TEST_SEED')).toThrow(/not an integer/);
  });
});
