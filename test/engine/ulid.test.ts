/**
 * Goal: ULIDs (src/engine/ulid.ts) have the documented layout (u48 big-endian ms, then 80 random
 * bits), are strictly increasing per generator, and have an exact Crockford base32 text form.
 * Method: generators fed by deterministic random sources (fixed bytes, all ones, a counter) so
 * each id's expected bytes are known; fast-check sequences of times (repeats and backward steps
 * included) for monotonicity; a BigInt reference (the 128-bit number written in base 32) for the
 * text form; hand-picked malformed strings and inputs for the errors.
 * Properties:
 * - bytes 0…5 hold the time big-endian, bytes 6…15 the random source's first 10 bytes;
 * - every id is strictly greater (byte order) than the previous one of its generator, its time is
 *   ≥ the requested time, and within one millisecond the random part grows by exactly 1;
 * - an overflowing random part moves the time on by 1 ms instead of failing;
 * - ulidToString = the reference, round-trips through ulidFromString (either case), and string
 *   order = byte order;
 * - bad times, ids, random sources and strings throw InvalidArgument.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  newUlid,
  UlidGenerator,
  ulidFromString,
  ulidTimeMs,
  ulidTimeMsMax,
  ulidToString,
  type RandomSource,
} from '../../src/engine/ulid.js';
import { compareBytes, expectErrorCode, hex, ulidArb } from './helpers.js';

const fixed = (byte: number): RandomSource => (n) => new Uint8Array(n).fill(byte);
const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The 128-bit value of `id` written as 26 base-32 digits (the reference text form). */
function referenceString(id: Uint8Array): string {
  let value = 0n;
  for (const byte of id) value = (value << 8n) | BigInt(byte);
  let text = '';
  for (let i = 0; i < 26; i++) {
    text = (crockford[Number(value & 31n)] ?? '?') + text;
    value >>= 5n;
  }
  return text;
}

const randomPart = (id: Uint8Array): bigint => BigInt('0x' + hex(id.subarray(6)));

describe('ULID layout and generation', () => {
  it('puts the time big-endian in bytes 0…5 and the random bytes after it', () => {
    const random = fc.uint8Array({ minLength: 10, maxLength: 10 });
    const time = fc.oneof(fc.integer({ min: 0, max: ulidTimeMsMax }), fc.constantFrom(0,
      ulidTimeMsMax, 1_700_000_000_000));
    fc.assert(fc.property(time, random, (t, bytes) => {
      const id = new UlidGenerator(() => bytes).next(t);
      expect(id.length).toBe(16);
      expect(hex(id.subarray(0, 6))).toBe(t.toString(16).padStart(12, '0'));
      expect(hex(id.subarray(6))).toBe(hex(bytes));
      expect(ulidTimeMs(id)).toBe(t);
    }));
  });

  it('is strictly increasing per generator, also when the clock repeats or steps back', () => {
    const times = fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 });
    fc.assert(fc.property(times, fc.integer({ min: 0, max: 255 }), (ts, fill) => {
      const generator = new UlidGenerator(fixed(fill));
      let previous: Uint8Array | undefined;
      for (const t of ts) {
        const id = generator.next(t);
        expect(ulidTimeMs(id)).toBeGreaterThanOrEqual(t);
        if (previous !== undefined) {
          expect(compareBytes(id, previous)).toBeGreaterThan(0);
          const sameMs = ulidTimeMs(id) === ulidTimeMs(previous);
          if (sameMs) expect(randomPart(id)).toBe(randomPart(previous) + 1n);
        }
        previous = id;
      }
    }));
  });

  it('moves on by 1 ms when the random part overflows', () => {
    const generator = new UlidGenerator(fixed(0xff));
    const first = generator.next(1000);
    const second = generator.next(1000);
    const third = generator.next(999);
    expect(ulidTimeMs(first)).toBe(1000);
    expect(ulidTimeMs(second)).toBe(1001);
    expect(ulidTimeMs(third)).toBe(1002);
    expect(hex(second.subarray(6))).toBe('ff'.repeat(10));
    expect(compareBytes(second, first)).toBeGreaterThan(0);
    const atEnd = new UlidGenerator(fixed(0xff));
    atEnd.next(ulidTimeMsMax);
    expectErrorCode(() => atEnd.next(ulidTimeMsMax), 'InvalidArgument');
  });

  it('returns fresh arrays and uses node:crypto by default', () => {
    const generator = new UlidGenerator(fixed(7));
    const a = generator.next(5);
    a.fill(0xff); // must not disturb the generator's memory of the last id
    expect(hex(generator.next(5))).toBe('000000000005' + '07'.repeat(9) + '08');
    const x = newUlid();
    const y = newUlid();
    expect(compareBytes(y, x)).toBeGreaterThan(0);
    expect(Math.abs(ulidTimeMs(x) - Date.now())).toBeLessThan(60_000);
    // The shared generator stays monotonic even when asked for an earlier time.
    expect(compareBytes(newUlid(1, fixed(3)), y)).toBeGreaterThan(0);
  });

  it('rejects bad times, ids and random sources with InvalidArgument', () => {
    const generator = new UlidGenerator(fixed(0));
    for (const t of [-1, ulidTimeMsMax + 1, 1.5, Number.NaN]) {
      expectErrorCode(() => generator.next(t), 'InvalidArgument');
      expectErrorCode(() => newUlid(t), 'InvalidArgument');
    }
    expectErrorCode(() => new UlidGenerator(() => new Uint8Array(9)).next(1), 'InvalidArgument');
    for (const id of [new Uint8Array(15), new Uint8Array(17), 'x' as unknown as Uint8Array]) {
      expectErrorCode(() => ulidToString(id), 'InvalidArgument');
      expectErrorCode(() => ulidTimeMs(id), 'InvalidArgument');
    }
  });
});

describe('ULID text form', () => {
  it('matches the base-32 reference and round-trips in either case', () => {
    const edges = fc.constantFrom(new Uint8Array(16), new Uint8Array(16).fill(0xff));
    fc.assert(fc.property(fc.oneof(ulidArb, edges), (id) => {
      const text = ulidToString(id);
      expect(text).toBe(referenceString(id));
      expect(text).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
      expect(hex(ulidFromString(text))).toBe(hex(id));
      expect(hex(ulidFromString(text.toLowerCase()))).toBe(hex(id));
    }));
    expect(ulidToString(new Uint8Array(16).fill(0xff))).toBe('7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(ulidToString(new Uint8Array(16))).toBe('0'.repeat(26));
  });

  it('orders strings as it orders bytes', () => {
    fc.assert(fc.property(ulidArb, ulidArb, (a, b) => {
      const byText = ulidToString(a) < ulidToString(b) ? -1 : ulidToString(a) > ulidToString(b)
        ? 1 : 0;
      expect(byText).toBe(Math.sign(compareBytes(a, b)));
    }));
  });

  it('rejects malformed strings with InvalidArgument', () => {
    const valid = '01HF7YAT007VNWZH0E9WX03A1Y';
    expect(ulidToString(ulidFromString(valid))).toBe(valid);
    const bad = [
      '', valid.slice(1), valid + '0', '8' + valid.slice(1), 'Z' + valid.slice(1),
      valid.slice(0, 10) + 'I' + valid.slice(11), valid.slice(0, 10) + 'L' + valid.slice(11),
      valid.slice(0, 10) + 'O' + valid.slice(11), valid.slice(0, 10) + 'U' + valid.slice(11),
      valid.slice(0, 25) + '-', valid.slice(0, 25) + 'é', 42 as unknown as string,
    ];
    for (const text of bad) expectErrorCode(() => ulidFromString(text), 'InvalidArgument');
  });
});
