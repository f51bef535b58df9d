/**
 * Goal: `PackedCoord` (SPEC §2) is an exact, fixed-width, big-endian 16-byte key with the layout
 * documented in src/coord/packed-coord.ts and docs/coordinates.md, and nearby coordinates get
 * nearby keys.
 * Method: a slow, obviously-correct BigInt reference (zigzag, then bit-by-bit interleave) is
 * compared with the fast 32-bit implementation under fast-check over the whole range (edge values
 * drawn often) and over the full cross product of edge values; arbitrary 16-byte arrays check the
 * inverse direction; a seeded generator (no flakiness) measures Morton common-prefix lengths of
 * neighbour pairs against random pairs.
 * Properties:
 * - unpack(pack(c, region)) = (c, region) and pack(unpack(bytes)) = bytes for all inputs;
 * - the bytes, read as a big-endian 128-bit number, equal region·2^64 + morton(zigzag q, zigzag r)
 *   with q on the even bits and r on the odd bits;
 * - byte order of keys equals the numeric order of their 128-bit values;
 * - out-of-range or non-integer components, bad regions and wrong lengths throw
 *   InvalidCoordinate;
 * - neighbours' Morton codes share a long common prefix far more often than random pairs do.
 * Imports the coord module's public API (src/coord/index.ts), which src/index.ts is to re-export.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  comparePackedCoords,
  coord,
  packCoord,
  packCoordInto,
  packedCoordFromHex,
  packedCoordToHex,
  regionMax,
  unpackCoord,
  unpackCoordAt,
  type Coord,
} from '../../src/coord/index.js';
import { badComponents, coordArb, edgeComponents, expectErrorCode } from './helpers.js';

const regionArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0n) },
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: regionMax }) },
  { weight: 1, arbitrary: fc.constantFrom(1n, 2n ** 32n, regionMax) },
);

/** Reference zigzag in BigInt: 0→0, −1→1, 1→2, … */
function zigzagReference(v: number): bigint {
  return v >= 0 ? 2n * BigInt(v) : -2n * BigInt(v) - 1n;
}

/** Reference 128-bit key value: region in the high 64 bits, Morton code in the low 64 bits. */
function keyReference(c: Coord, region: bigint): bigint {
  const zq = zigzagReference(c.q);
  const zr = zigzagReference(c.r);
  let morton = 0n;
  for (let bit = 0n; bit < 32n; bit++) {
    morton |= ((zq >> bit) & 1n) << (2n * bit);
    morton |= ((zr >> bit) & 1n) << (2n * bit + 1n);
  }
  return (region << 64n) | morton;
}

/** The bytes read as one big-endian unsigned integer. */
function bigEndianValue(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

describe('round trip', () => {
  it('unpack(pack(c, region)) is exact over the whole range', () => {
    fc.assert(
      fc.property(coordArb, regionArb, (c, region) => {
        const packed = packCoord(c, region);
        expect(packed).toHaveLength(16);
        expect(unpackCoord(packed)).toEqual({ coord: c, region });
      }),
      { numRuns: 5000 },
    );
  });

  it('is exact for every combination of edge components and regions', () => {
    for (const q of edgeComponents) {
      for (const r of edgeComponents) {
        for (const region of [0n, 1n, regionMax]) {
          const c = coord(q, r);
          const packed = packCoord(c, region);
          expect(unpackCoord(packed)).toEqual({ coord: c, region });
          expect(bigEndianValue(packed)).toBe(keyReference(c, region));
        }
      }
    }
  });

  it('pack(unpack(bytes)) gives back any 16 bytes', () => {
    const bytesArb = fc.uint8Array({ minLength: 16, maxLength: 16 });
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        const { coord: c, region } = unpackCoord(bytes);
        expect(packCoord(c, region)).toEqual(bytes);
      }),
      { numRuns: 5000 },
    );
  });

  it('packs into and reads from the middle of a larger buffer', () => {
    fc.assert(
      fc.property(coordArb, regionArb, fc.integer({ min: 0, max: 48 }), (c, region, offset) => {
        const buffer = new Uint8Array(64).fill(0xa5);
        expect(packCoordInto(c, buffer, offset, region)).toBe(offset + 16);
        expect(buffer.subarray(offset, offset + 16)).toEqual(packCoord(c, region));
        expect(buffer.subarray(0, offset).every((b) => b === 0xa5)).toBe(true);
        expect(buffer.subarray(offset + 16).every((b) => b === 0xa5)).toBe(true);
        expect(unpackCoordAt(buffer, offset)).toEqual({ coord: c, region });
      }),
    );
  });
});

describe('byte layout and order', () => {
  it('matches the BigInt reference: region high, Morton (q even, r odd bits) low', () => {
    fc.assert(
      fc.property(coordArb, regionArb, (c, region) => {
        expect(bigEndianValue(packCoord(c, region))).toBe(keyReference(c, region));
      }),
      { numRuns: 5000 },
    );
  });

  it('matches the worked examples of docs/coordinates.md', () => {
    expect(packedCoordToHex(packCoord(coord(3, -2)))).toBe('0000000000000000000000000000001e');
    expect(packedCoordToHex(packCoord(coord(1, 0)))).toBe('00000000000000000000000000000004');
    expect(packedCoordToHex(packCoord(coord(0, -1)))).toBe('00000000000000000000000000000002');
    const extreme = packCoord(coord(-(2 ** 31), 2 ** 31 - 1), 5n);
    expect(packedCoordToHex(extreme)).toBe('0000000000000005fffffffffffffffd');
  });

  it('byte order equals the numeric order of the 128-bit values', () => {
    fc.assert(
      fc.property(coordArb, regionArb, coordArb, regionArb, (a, ra, b, rb) => {
        const va = keyReference(a, ra);
        const vb = keyReference(b, rb);
        const expected = va < vb ? -1 : va > vb ? 1 : 0;
        expect(comparePackedCoords(packCoord(a, ra), packCoord(b, rb))).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it('hex form round-trips and rejects anything but 32 hex digits', () => {
    fc.assert(
      fc.property(coordArb, regionArb, (c, region) => {
        const packed = packCoord(c, region);
        expect(packedCoordFromHex(packedCoordToHex(packed))).toEqual(packed);
        expect(packedCoordFromHex(packedCoordToHex(packed).toUpperCase())).toEqual(packed);
      }),
    );
    const zeros = (n: number): string => '0'.repeat(n);
    for (const bad of ['', '00', 'g'.repeat(32), zeros(31), zeros(33), ` ${zeros(31)}`]) {
      expectErrorCode(() => packedCoordFromHex(bad), 'InvalidCoordinate');
    }
  });
});

describe('invalid input', () => {
  it('refuses out-of-range and non-integer components', () => {
    for (const bad of badComponents) {
      expectErrorCode(() => packCoord({ q: bad, r: 0 }), 'InvalidCoordinate');
      expectErrorCode(() => packCoord({ q: 0, r: bad }), 'InvalidCoordinate');
      const target = new Uint8Array(16);
      expectErrorCode(() => packCoordInto({ q: bad, r: 1 }, target), 'InvalidCoordinate');
    }
  });

  it('refuses regions outside 0 … 2^64 − 1 and non-bigint regions', () => {
    const c = coord(1, 2);
    for (const bad of [-1n, regionMax + 1n, 2n ** 100n]) {
      expectErrorCode(() => packCoord(c, bad), 'InvalidCoordinate');
    }
    expectErrorCode(() => packCoord(c, 5 as unknown as bigint), 'InvalidCoordinate');
    expectErrorCode(() => packCoord(c, 0 as unknown as bigint), 'InvalidCoordinate');
  });

  it('refuses packed keys that are not exactly 16 bytes', () => {
    for (const length of [0, 1, 15, 17, 32]) {
      expectErrorCode(() => unpackCoord(new Uint8Array(length)), 'InvalidCoordinate');
      expectErrorCode(() => packedCoordToHex(new Uint8Array(length)), 'InvalidCoordinate');
      const [wrong, sixteen] = [new Uint8Array(length), new Uint8Array(16)];
      expectErrorCode(() => comparePackedCoords(wrong, sixteen), 'InvalidCoordinate');
      expectErrorCode(() => comparePackedCoords(sixteen, wrong), 'InvalidCoordinate');
    }
    expectErrorCode(() => unpackCoord([0, 0] as unknown as Uint8Array), 'InvalidCoordinate');
    expectErrorCode(() => unpackCoordAt(new Uint8Array(20), 5), 'InvalidCoordinate');
    expectErrorCode(() => unpackCoordAt(new Uint8Array(20), -1), 'InvalidCoordinate');
  });

  it('refuses a target buffer without room for 16 bytes', () => {
    const c = coord(1, 2);
    expectErrorCode(() => packCoordInto(c, new Uint8Array(15)), 'InvalidArgument');
    expectErrorCode(() => packCoordInto(c, new Uint8Array(20), 5), 'InvalidArgument');
    expectErrorCode(() => packCoordInto(c, new Uint8Array(20), 0.5), 'InvalidArgument');
  });
});

/** Seeded mulberry32: the same seed always yields the same draws, so the statistics are fixed. */
function seededUint32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Length (0…64) of the common prefix of the two 64-bit Morton codes (key bytes 8…15). */
function mortonCommonPrefixBits(a: Coord, b: Coord): number {
  const x = packCoord(a);
  const y = packCoord(b);
  const view = (bytes: Uint8Array, at: number): number =>
    new DataView(bytes.buffer, bytes.byteOffset).getUint32(at);
  const high = view(x, 8) ^ view(y, 8);
  if (high !== 0) return Math.clz32(high);
  return 32 + Math.clz32(view(x, 12) ^ view(y, 12));
}

type PrefixStats = { mean: number; median: number; atLeast32: number };

/** Prefix statistics of `count` pairs drawn by `pair`. */
function prefixStats(count: number, pair: () => [Coord, Coord]): PrefixStats {
  const lengths: number[] = [];
  for (let i = 0; i < count; i++) lengths.push(mortonCommonPrefixBits(...pair()));
  lengths.sort((x, y) => x - y);
  const mean = lengths.reduce((sum, x) => sum + x, 0) / count;
  const atLeast32 = lengths.filter((x) => x >= 32).length / count;
  return { mean, median: lengths[count >> 1] ?? 0, atLeast32 };
}

describe('locality', () => {
  const sampleCount = 4000;
  // Components in ±(2^31 − 2), so every neighbour stays in range.
  const drawCoord = (next: () => number, span: number): Coord => {
    const half = Math.floor(span / 2);
    return coord((next() % span) - half, (next() % span) - half);
  };
  const neighbourOf = (c: Coord, next: () => number): Coord => {
    const steps = [[1, 0], [1, -1], [0, -1], [-1, 0], [-1, 1], [0, 1]] as const;
    const [dq, dr] = steps[next() % 6]!;
    return coord(c.q + dq, c.r + dr);
  };

  it('neighbours share far longer Morton prefixes than random pairs (whole range)', () => {
    const next = seededUint32(20240611);
    const span = 2 ** 32 - 4;
    const near = prefixStats(sampleCount, () => {
      const c = drawCoord(next, span);
      return [c, neighbourOf(c, next)];
    });
    const far = prefixStats(sampleCount, () => [drawCoord(next, span), drawCoord(next, span)]);
    // Expected: neighbours ≈ 60 bits (a ±1 step flips a short carry chain), random ≈ 1 bit.
    expect(near.median).toBeGreaterThanOrEqual(48);
    expect(near.atLeast32).toBeGreaterThanOrEqual(0.99);
    expect(far.median).toBeLessThanOrEqual(4);
    expect(far.atLeast32).toBeLessThanOrEqual(0.001);
    expect(near.mean - far.mean).toBeGreaterThanOrEqual(40);
  });

  it('neighbours share longer prefixes than random pairs near the origin', () => {
    const next = seededUint32(7);
    const span = 2 ** 17;
    const near = prefixStats(sampleCount, () => {
      const c = drawCoord(next, span);
      return [c, neighbourOf(c, next)];
    });
    const far = prefixStats(sampleCount, () => [drawCoord(next, span), drawCoord(next, span)]);
    // Within ±2^16 every key shares the 30 zero high bits; neighbours still gain ≈ 25 more.
    expect(near.median).toBeGreaterThanOrEqual(56);
    expect(far.median).toBeLessThanOrEqual(36);
    expect(near.mean - far.mean).toBeGreaterThanOrEqual(16);
  });
});
