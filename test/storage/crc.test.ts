/**
 * CRC-32 arithmetic (src/storage/crc.ts): every sum it builds from parts equals node:zlib's crc32
 * over the whole bytes, so the page and frame checksums on disk are unchanged.
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  crc32Combine, crc32Short, crc32ZeroExtend, frameChecksum, pageChecksum,
} from '../../src/storage/crc.js';
import { mulberry32 } from '../fault/prng.js';

function randomBytes(n: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

describe('crc32 arithmetic', () => {
  it('combines, zero-extends and sums short runs exactly as zlib', () => {
    const buf = randomBytes(9000, 1);
    for (const [cut, end] of [[0, 0], [0, 1], [1, 2], [28, 32], [100, 4096], [3000, 9000],
      [0, 9000], [4095, 4096]] as const) {
      const whole = crc32(buf.subarray(0, end));
      const a = crc32(buf.subarray(0, cut));
      const b = crc32(buf.subarray(cut, end));
      expect(crc32Combine(a, b, end - cut)).toBe(whole);
      expect(crc32Short(buf, cut, end, a)).toBe(whole);
    }
    for (const n of [0, 1, 7, 1500, 4096, 5000, 70000]) {
      const withZeros = new Uint8Array(100 + n);
      withZeros.set(buf.subarray(0, 100));
      expect(crc32ZeroExtend(crc32(buf.subarray(0, 100)), n)).toBe(crc32(withZeros));
    }
  });

  it('sums short runs of every length and alignment as zlib (slice-by-4 and byte tail)', () => {
    const buf = randomBytes(200, 3);
    for (let from = 0; from < 8; from++) {
      for (let n = 0; n <= 80; n++) {
        const seed = crc32(buf.subarray(100, 100 + from));
        expect(crc32Short(buf, from, from + n, seed))
          .toBe(crc32(buf.subarray(from, from + n), seed));
      }
    }
  });

  it('gives page and frame checksums equal to whole-buffer sums', () => {
    const usable = 4096;
    for (const used of [16, 17, 2700, 4096]) {
      const out = new Uint8Array(64 + 32 + usable);
      const at = 64;
      const base = at + 32;
      out.set(randomBytes(32, used), at);
      out.set(randomBytes(used, used + 1), base);
      const page = pageChecksum(out, base, base + used, usable);
      expect(page).toBe(crc32(out.subarray(base + 4, base + usable)));
      new DataView(out.buffer).setUint32(base, page, true);
      const whole = crc32(out.subarray(base, base + used), crc32(out.subarray(at, at + 28)));
      expect(frameChecksum(out, at, used)).toBe(whole);
      // Not the remembered page (consumed, or another range): summed natively, same result.
      expect(frameChecksum(out, at, used)).toBe(whole);
      expect(frameChecksum(out, at, used - 1))
        .toBe(crc32(out.subarray(base, base + used - 1), crc32(out.subarray(at, at + 28))));
    }
  });
});
