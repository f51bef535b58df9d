/**
 * Goal: the value codec (src/storage/compress.ts) writes standard raw DEFLATE that zlib reads,
 * reads any raw DEFLATE zlib writes, round-trips every value exactly, and turns every damaged
 * stream into CorruptDatabase — never garbage, never another error, never a hang.
 * Method: inputs are synthesised from (kind, length, seed) triples drawn by fast-check — random
 * bytes, JSON-like records, word text, short repeated patterns with mutations, long byte runs and
 * mixtures — with lengths 0…70,000 and most of them 60–600 (the size of cells), plus fast-check's
 * own byte arrays and JSON values; zlib (level 0–9, default / filtered / Huffman-only / RLE /
 * fixed strategies, memLevel 1 for many small blocks) is the reference encoder and decoder.
 * Multi-block streams, dynamic blocks after JS-decodable ones, and invalid codes are built by
 * hand with a small bit writer. Damage is bit flips, truncation, appended bytes and wrong raw
 * lengths, applied to both our and zlib's streams.
 * Properties:
 * - decompressValue(compressValue(x), |x|) = x whenever compressValue(x) is not null;
 * - compressValue(x) is null exactly when |x| < 64 or the stream would not be smaller, and
 *   otherwise strictly smaller than x; random bytes are never compressed;
 * - zlib.inflateRawSync(compressValue(x)) = x (interoperability);
 * - decompressValue(zlib.deflateRawSync(x, opts), |x|) = x for every level and strategy;
 * - results stay valid after later calls (shared slab and hash-table generations never leak);
 * - every strict prefix, every appended byte and every wrong raw length throws CorruptDatabase;
 * - a back-reference before the start, invalid literal/length or distance codes and bad stored
 *   block lengths throw CorruptDatabase;
 * - after any number of bit flips the call either throws CorruptDatabase or returns |x| bytes
 *   equal to what zlib itself decodes from the same damaged stream.
 */
import { constants, deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHexxlaError } from '../../src/errors.js';
import {
  compressBytesMin,
  compressValue,
  decompressValue,
  decompressValueAt,
  jsDecodeBytesMax,
  jsEncodeBytesMax,
} from '../../src/storage/compress.js';

// ---------------------------------------------------------------------------------------------
// Input synthesis.

const kinds = ['random', 'json', 'text', 'pattern', 'runs', 'mixed'] as const;
type Kind = (typeof kinds)[number];

/** Deterministic xorshift32 generator of integers in [0, n). */
function prng(seed: number): (n: number) => number {
  let state = seed | 0 || 0x2545f491;
  return (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}

const vocabulary = (
  'the of and to in is that for it cell grid hex ring fact claim source note edge time travel ' +
  'contradiction snapshot version alpha beta gamma delta user agent memory context embedding ' +
  'vector window page tree leaf Ünïcödé 数据库 🙂'
).split(' ');
const jsonKeys = ['id', 'q', 'r', 'kind', 'text', 'tags', 'confidence', 'validFrom', 'source'];

/** Text of at least `length` bytes: JSON-like records for 'json', else words. */
function textLike(kind: Kind, rnd: (n: number) => number, length: number): string {
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    let piece: string;
    if (kind === 'json') {
      const key = jsonKeys[rnd(jsonKeys.length)]!;
      const value = rnd(3) === 0 ? String(rnd(1_000_000) - 500_000) : vocabulary[rnd(30)]!;
      piece = `{"${key}":${JSON.stringify(value)},"n":${rnd(100) / 10}},`;
    } else {
      piece = `${vocabulary[rnd(vocabulary.length)]!} `;
    }
    parts.push(piece);
    size += piece.length;
  }
  return parts.join('');
}

/** A short random pattern repeated, with about one byte in 40 mutated. */
function fillPattern(out: Uint8Array, rnd: (n: number) => number): void {
  const pattern = Array.from({ length: 1 + rnd(16) }, () => rnd(256));
  for (let i = 0; i < out.length; i++) {
    out[i] = rnd(40) === 0 ? rnd(256) : pattern[i % pattern.length]!;
  }
}

/** Long runs of one byte (exercises length-258 matches and distance-1 overlapping copies). */
function fillRuns(out: Uint8Array, rnd: (n: number) => number): void {
  let i = 0;
  while (i < out.length) {
    const run = 1 + rnd(rnd(4) === 0 ? 2000 : 40);
    out.fill(rnd(256), i, Math.min(out.length, i + run));
    i += run;
  }
}

/** Bytes of exactly `length` synthesised from `kind` and `seed`. */
function synth(kind: Kind, length: number, seed: number): Uint8Array {
  const rnd = prng(seed);
  const out = new Uint8Array(length);
  if (kind === 'random') {
    for (let i = 0; i < length; i++) out[i] = rnd(256);
  } else if (kind === 'pattern') {
    fillPattern(out, rnd);
  } else if (kind === 'runs') {
    fillRuns(out, rnd);
  } else if (kind === 'mixed') {
    let at = 0;
    while (at < length) {
      const part = Math.min(length - at, 1 + rnd(300));
      const sub = kinds[rnd(5)]!;
      out.set(synth(sub, part, rnd(0x7fffffff) + 1), at);
      at += part;
    }
  } else {
    out.set(new TextEncoder().encode(textLike(kind, rnd, length)).subarray(0, length));
  }
  return out;
}

const lengthArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 60, max: 600 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 4096 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 70_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 63, 64, 65, 258, 1023, 1024, 1025, 65_535) },
);
const synthArb = fc
  .tuple(fc.constantFrom(...kinds), lengthArb, fc.integer({ min: 1, max: 0x7fffffff }))
  .map(([kind, length, seed]) => synth(kind, length, seed));
const valueArb = fc.oneof(
  { weight: 4, arbitrary: synthArb },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 700 }) },
  {
    weight: 1,
    arbitrary: fc.json({ maxDepth: 3 }).map((s) => new TextEncoder().encode(s)),
  },
);

// ---------------------------------------------------------------------------------------------
// Helpers.

const zlibOptionSets: readonly (ZlibOptions & { name: string })[] = [
  { name: 'default' },
  { name: 'level 0 (stored)', level: 0 },
  { name: 'level 1', level: 1 },
  { name: 'level 9', level: 9 },
  { name: 'Z_FIXED', strategy: constants.Z_FIXED },
  { name: 'Z_FIXED level 1', strategy: constants.Z_FIXED, level: 1 },
  { name: 'Z_FIXED memLevel 1', strategy: constants.Z_FIXED, memLevel: 1 },
  { name: 'Z_HUFFMAN_ONLY', strategy: constants.Z_HUFFMAN_ONLY },
  { name: 'Z_RLE', strategy: constants.Z_RLE },
  { name: 'Z_FILTERED', strategy: constants.Z_FILTERED },
  { name: 'memLevel 1', memLevel: 1 },
];

/** Runs `fn`; returns its value, or 'corrupt' when it threw CorruptDatabase (else rethrows). */
function decodeOrCorrupt(fn: () => Uint8Array): Uint8Array | 'corrupt' {
  try {
    return fn();
  } catch (err) {
    if (isHexxlaError(err, 'CorruptDatabase') && err.code === 'CorruptDatabase') return 'corrupt';
    throw err;
  }
}

/** Asserts that `fn` throws CorruptDatabase. */
function expectCorrupt(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'expected CorruptDatabase').toBeDefined();
  expect((thrown as { code?: unknown }).code).toBe('CorruptDatabase');
  expect(isHexxlaError(thrown, 'CorruptDatabase')).toBe(true);
}

/** Compares byte contents (Buffer and Uint8Array alike). */
function expectBytes(actual: Uint8Array, expected: Uint8Array, label = ''): void {
  expect(actual.length, label).toBe(expected.length);
  const same = Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(
    Buffer.from(expected.buffer, expected.byteOffset, expected.length),
  );
  expect(same, label).toBe(true);
}

/** zlib's decoding of `stored`, or 'error' when zlib rejects it. */
function zlibDecode(stored: Uint8Array): Uint8Array | 'error' {
  try {
    return inflateRawSync(stored);
  } catch {
    return 'error';
  }
}

/** Least-significant-bit-first writer for hand-made DEFLATE streams. */
class BitWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private count = 0;

  /** Writes the low `n` bits of `value`, least significant first. */
  bits(value: number, n: number): this {
    for (let i = 0; i < n; i++) this.bit((value >>> i) & 1);
    return this;
  }

  /** Writes a Huffman code of `n` bits, most significant first. */
  code(value: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bit((value >>> i) & 1);
    return this;
  }

  /** Pads to a byte boundary with zero bits and appends whole bytes. */
  align(...whole: number[]): this {
    if (this.count > 0) this.bits(0, 8 - this.count);
    this.bytes.push(...whole);
    return this;
  }

  finish(): Uint8Array {
    this.align();
    return Uint8Array.from(this.bytes);
  }

  private bit(b: number): void {
    this.acc |= b << this.count;
    if (++this.count === 8) {
      this.bytes.push(this.acc);
      this.acc = 0;
      this.count = 0;
    }
  }
}

/** Fixed-Huffman code of literal/length symbol `s` as [code, bits]. */
function fixedCode(s: number): [number, number] {
  if (s < 144) return [0x30 + s, 8];
  if (s < 256) return [0x190 + s - 144, 9];
  if (s < 280) return [s - 256, 7];
  return [0xc0 + s - 280, 8];
}

/** A stored block (BFINAL = `final`) holding `data`, byte-aligned on both sides. */
function storedBlock(data: Uint8Array, final: boolean): Uint8Array {
  const len = data.length;
  const head = [final ? 1 : 0, len & 255, len >>> 8, ~len & 255, (~len >>> 8) & 255];
  return Uint8Array.from([...head, ...data]);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

// ---------------------------------------------------------------------------------------------
// Round trips and interoperability.

describe('compressValue / decompressValue round trip', () => {
  it('restores every value exactly, and zlib reads every stream it writes', () => {
    fc.assert(
      fc.property(valueArb, (x) => {
        const c = compressValue(x);
        if (x.length < compressBytesMin) {
          expect(c).toBeNull();
          return;
        }
        if (c === null) {
          // Larger values go to zlib, so null there means zlib could not make them smaller.
          if (x.length > jsEncodeBytesMax) {
            expect(deflateRawSync(x).length).toBeGreaterThanOrEqual(x.length);
          }
          return;
        }
        expect(c.length).toBeLessThan(x.length);
        expectBytes(decompressValue(c, x.length), x);
        expectBytes(inflateRawSync(c), x);
      }),
      { numRuns: 600 },
    );
  });

  it('compresses structured cell-sized values (the JS encoder path)', () => {
    for (const kind of ['json', 'text', 'pattern', 'runs'] as const) {
      for (let length = 60; length <= 600; length += 7) {
        const x = synth(kind, length, length * 31 + 7);
        const c = compressValue(x);
        if (length < compressBytesMin) expect(c).toBeNull();
        if (length >= 128) expect(c, `${kind} ${length}`).not.toBeNull();
        if (c === null) continue;
        expectBytes(decompressValue(c, length), x);
        expectBytes(inflateRawSync(c), x);
      }
    }
  });

  it('returns null below 64 bytes, even for highly compressible values', () => {
    expect(compressBytesMin).toBe(64);
    for (let n = 0; n < compressBytesMin; n++) expect(compressValue(new Uint8Array(n))).toBeNull();
    expect(compressValue(new Uint8Array(64))).not.toBeNull();
  });

  it('returns null for incompressible (random) data on both encoder paths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 64, max: 20_000 }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (length, seed) => {
          expect(compressValue(synth('random', length, seed))).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
    expect(compressValue(synth('random', jsEncodeBytesMax, 5))).toBeNull();
    expect(compressValue(synth('random', jsEncodeBytesMax + 1, 5))).toBeNull();
  });

  it('keeps earlier results intact across later calls (slab and hash generations)', () => {
    const values = Array.from({ length: 3000 }, (_, i) =>
      synth(kinds[i % kinds.length]!, 64 + ((i * 37) % 1500), i + 1),
    );
    const packed = values.map((v) => compressValue(v));
    const unpacked = packed.map((c, i) =>
      c === null ? null : decompressValue(c, values[i]!.length),
    );
    for (let i = 0; i < values.length; i++) {
      const c = packed[i];
      if (c === null || c === undefined) continue;
      expectBytes(inflateRawSync(c), values[i]!);
      expectBytes(unpacked[i]!, values[i]!);
    }
  });

  it('writes the same stream for a value whatever came before (hash table wraps and resets)', () => {
    const probe = synth('json', 300, 77);
    const first = Uint8Array.from(compressValue(probe)!);
    // ~1.3 MiB through the JS encoder: the 16-bit hash generations wrap about 20 times.
    for (let i = 0; i < 2000; i++) {
      compressValue(synth(kinds[i % kinds.length]!, 64 + ((i * 53) % 960), i + 9));
      if (i % 97 === 0) expectBytes(compressValue(probe)!, first);
    }
    expectBytes(compressValue(probe)!, first);
  });

  it('round-trips a value larger than one zlib output chunk (1 MiB)', () => {
    const x = synth('mixed', 1_300_000, 77);
    const c = compressValue(x);
    expect(c).not.toBeNull();
    expectBytes(decompressValue(c!, x.length), x);
    expectCorrupt(() => decompressValue(c!, x.length - 1));
    expectCorrupt(() => decompressValue(c!, x.length + 1));
  });

  it('does not alias its input', () => {
    const x = synth('json', 300, 9);
    const copy = x.slice();
    const c = compressValue(x)!;
    const out = decompressValue(c, x.length);
    out.fill(0);
    expectBytes(x, copy);
    expectBytes(decompressValue(c, x.length), copy);
  });
});

describe('decompressValue reads what zlib writes', () => {
  for (const { name, ...options } of zlibOptionSets) {
    it(`zlib ${name}`, () => {
      fc.assert(
        fc.property(valueArb, (x) => {
          const z = deflateRawSync(x, options);
          expectBytes(decompressValue(z, x.length), x);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('covers both decoder paths and the zlib fallback at their thresholds', () => {
    for (const length of [0, 1, 64, jsDecodeBytesMax - 1, jsDecodeBytesMax, jsDecodeBytesMax + 1]) {
      const x = synth('text', length, length + 3);
      for (const { name, ...options } of zlibOptionSets) {
        expectBytes(decompressValue(deflateRawSync(x, options), length), x, `${name} ${length}`);
      }
    }
  });

  it('decodes multi-block streams: stored, fixed, sync-flushed and dynamic blocks mixed', () => {
    const a = synth('json', 150, 1);
    const b = synth('text', 200, 2);
    const fixedA = deflateRawSync(a, {
      strategy: constants.Z_FIXED,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    const dynamicB = deflateRawSync(b);
    expect((dynamicB[0]! >>> 1) & 3, 'zlib chose a dynamic block').toBe(2);
    expect((fixedA[0]! >>> 1) & 3, 'zlib chose a fixed block').toBe(1);
    const cases: [Uint8Array, Uint8Array][] = [
      [concat(storedBlock(a, false), compressValue(b)!), concat(a, b)],
      [concat(storedBlock(a, false), storedBlock(new Uint8Array(0), false), storedBlock(b, true)),
        concat(a, b)],
      [concat(fixedA, deflateRawSync(b, { strategy: constants.Z_FIXED })), concat(a, b)],
      // A dynamic block after JS-decodable ones: the JS decoder hands the whole stream to zlib.
      [concat(storedBlock(a, false), fixedA, dynamicB), concat(a, a, b)],
    ];
    for (const [stream, expected] of cases) {
      expectBytes(decompressValue(stream, expected.length), expected);
      expectBytes(inflateRawSync(stream), expected);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed input.

describe('malformed streams throw CorruptDatabase', () => {
  const x = synth('json', 500, 11);
  const streams: [string, Uint8Array][] = [
    ['ours', compressValue(x)!],
    ['zlib default (dynamic)', deflateRawSync(x)],
    ['zlib Z_FIXED memLevel 1', deflateRawSync(x, { strategy: constants.Z_FIXED, memLevel: 1 })],
    ['zlib stored', deflateRawSync(x, { level: 0 })],
  ];

  for (const [name, stream] of streams) {
    it(`${name}: every strict prefix, an appended byte, a wrong raw length`, () => {
      expectBytes(decompressValue(stream, x.length), x);
      for (let cut = 0; cut < stream.length; cut++) {
        expectCorrupt(() => decompressValue(stream.subarray(0, cut), x.length));
      }
      expectCorrupt(() => decompressValue(concat(stream, Uint8Array.of(0)), x.length));
      for (const wrong of [0, x.length - 1, x.length + 1, x.length * 2]) {
        expectCorrupt(() => decompressValue(stream, wrong));
      }
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        expectCorrupt(() => decompressValue(stream, bad));
      }
    });
  }

  it('rejects an empty input and an impossible expansion ratio', () => {
    expectCorrupt(() => decompressValue(new Uint8Array(0), 0));
    expectCorrupt(() => decompressValue(Uint8Array.of(3, 0), 1033 * 2));
    expectCorrupt(() => decompressValue(Uint8Array.of(3, 0), 2 ** 40)); // never allocated
    expectBytes(decompressValue(Uint8Array.of(3, 0), 0), new Uint8Array(0));
  });

  it('rejects a back-reference before the start of the output', () => {
    // Fixed block: length 3 (symbol 257), distance 1 (code 0) at output position 0.
    const [len, lenBits] = fixedCode(257);
    const s = new BitWriter().bits(1, 1).bits(1, 2).code(len, lenBits).code(0, 5).code(0, 7);
    expectCorrupt(() => decompressValue(s.finish(), 3));
    // One literal, then distance 2: still one byte too far back.
    const [lit, litBits] = fixedCode(65);
    const t = new BitWriter().bits(1, 1).bits(1, 2).code(lit, litBits);
    t.code(len, lenBits).code(1, 5).code(0, 7);
    expectCorrupt(() => decompressValue(t.finish(), 4));
  });

  it('rejects invalid literal/length (286, 287) and distance (30, 31) codes', () => {
    // Each stream would end exactly at the right length if the invalid code were read as an
    // end-of-block code or as distance 0, so only the code check can reject it.
    for (const sym of [286, 287]) {
      const [code, bits] = fixedCode(sym);
      const s = new BitWriter().bits(1, 1).bits(1, 2).code(code, bits);
      expectCorrupt(() => decompressValue(s.finish(), 0));
    }
    const [lit, litBits] = fixedCode(65);
    const [len, lenBits] = fixedCode(257);
    for (const dist of [30, 31]) {
      const s = new BitWriter().bits(1, 1).bits(1, 2).code(lit, litBits).code(len, lenBits);
      s.code(dist, 5).code(0, 7);
      expectCorrupt(() => decompressValue(s.finish(), 4));
    }
  });

  it('rejects a stored block whose NLEN is not ~LEN, or whose bytes are missing', () => {
    const data = synth('text', 100, 3);
    const good = storedBlock(data, true);
    expectBytes(decompressValue(good, 100), data);
    const badNlen = good.slice();
    badNlen[3] = badNlen[3]! ^ 1;
    expectCorrupt(() => decompressValue(badNlen, 100));
    expectCorrupt(() => decompressValue(good.subarray(0, good.length - 1), 99));
  });

  it('rejects the reserved block type 3 and a stream without a final block', () => {
    expectCorrupt(() => decompressValue(new BitWriter().bits(1, 1).bits(3, 2).finish(), 10));
    const open = concat(storedBlock(synth('text', 80, 4), false));
    expectCorrupt(() => decompressValue(open, 80));
  });
});

describe('damaged streams never yield garbage, another error or a hang', () => {
  const encoders: readonly ((x: Uint8Array) => Uint8Array | null)[] = [
    (x) => compressValue(x),
    (x) => deflateRawSync(x, { strategy: constants.Z_FIXED }),
    (x) => deflateRawSync(x, { strategy: constants.Z_FIXED, memLevel: 1 }),
    (x) => deflateRawSync(x, { level: 0 }),
    (x) => deflateRawSync(x),
  ];
  const damageArb = fc.record({
    encoder: fc.integer({ min: 0, max: encoders.length - 1 }),
    flips: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), {
      minLength: 1,
      maxLength: 4,
    }),
    cut: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 })),
    lengthDelta: fc.oneof(
      { weight: 5, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }) },
    ),
  });

  it('throws CorruptDatabase or returns exactly what zlib decodes (many random bit flips)', () => {
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.tuple(fc.constantFrom(...kinds), fc.integer({ min: 64, max: 1500 }), fc.nat()),
        damageArb,
        ([kind, length, seed], damage) => {
          const x = synth(kind, length, seed + 1);
          const clean = encoders[damage.encoder]!(x);
          if (clean === null || clean.length === 0) return;
          const bad = clean.slice(0, Math.max(1, clean.length - damage.cut));
          for (const f of damage.flips) {
            const bit = Math.floor(f * bad.length * 8);
            bad[bit >>> 3] = bad[bit >>> 3]! ^ (1 << (bit & 7));
          }
          const rawLength = Math.max(0, x.length + damage.lengthDelta);
          const ours = decodeOrCorrupt(() => decompressValue(bad, rawLength));
          if (ours === 'corrupt') return;
          decoded++;
          expect(ours.length).toBe(rawLength);
          const theirs = zlibDecode(bad);
          expect(theirs).not.toBe('error');
          expectBytes(ours, theirs as Uint8Array);
        },
      ),
      { numRuns: 5000 },
    );
    // Flipped literal bits often leave a valid stream: the differential branch must be reached.
    expect(decoded).toBeGreaterThan(100);
  });

  it('survives arbitrary bytes as a stream', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 2000 }), (bytes, rawLength) => {
        const ours = decodeOrCorrupt(() => decompressValue(bytes, rawLength));
        if (ours === 'corrupt') return;
        expect(ours.length).toBe(rawLength);
        expectBytes(ours, zlibDecode(bytes) as Uint8Array);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// decompressValueAt (a stream inside a larger buffer) and the fixed-code decoder's edges.

describe('decompressValueAt decodes a range of a buffer exactly like decompressValue', () => {
  const x = synth('json', 300, 21);
  const streams: [string, Uint8Array][] = [
    ['ours', compressValue(x)!],
    ['zlib Z_FIXED', deflateRawSync(x, { strategy: constants.Z_FIXED })],
    ['zlib default (dynamic)', deflateRawSync(x)],
    ['zlib stored', deflateRawSync(x, { level: 0 })],
  ];

  for (const [name, stream] of streams) {
    it(`${name}: between other bytes; shorter, longer and clamped ranges`, () => {
      const before = synth('random', 37, 5);
      const after = synth('random', 29, 6);
      const buf = concat(before, stream, after);
      const at = before.length;
      expectBytes(decompressValueAt(buf, at, stream.length, x.length), x);
      // The bytes around the range are never read as part of the stream.
      for (let cut = 0; cut < stream.length; cut++) {
        expectCorrupt(() => decompressValueAt(buf, at, cut, x.length));
      }
      expectCorrupt(() => decompressValueAt(buf, at, stream.length + 1, x.length));
      expectCorrupt(() => decompressValueAt(buf, at + 1, stream.length, x.length));
      for (const wrong of [0, x.length - 1, x.length + 1]) {
        expectCorrupt(() => decompressValueAt(buf, at, stream.length, wrong));
      }
      // A range past the end is clamped as subarray clamps it.
      const tail = concat(before, stream);
      expectBytes(decompressValueAt(tail, at, stream.length + 50, x.length), x);
      expectCorrupt(() => decompressValueAt(tail, tail.length + 3, 10, x.length));
    });
  }
});

describe('fixed-code decoder edges', () => {
  /** A final fixed block of `symbols` (literal/length symbols with their extra bits). */
  function fixedStream(parts: (number | [number, number, number, number])[]): Uint8Array {
    const w = new BitWriter().bits(1, 1).bits(1, 2);
    for (const part of parts) {
      if (typeof part === 'number') {
        const [code, bits] = fixedCode(part);
        w.code(code, bits);
        continue;
      }
      // [length symbol, its extra bits value, distance code, distance extra bits value]
      const [sym, lenExtra, dcode, distExtra] = part;
      const [code, bits] = fixedCode(sym);
      w.code(code, bits).bits(lenExtra, lengthExtraBits(sym)).code(dcode, 5);
      w.bits(distExtra, distExtraBits(dcode));
    }
    const [end, endBits] = fixedCode(256);
    return w.code(end, endBits).finish();
  }
  function lengthExtraBits(sym: number): number {
    return sym < 265 || sym === 285 ? 0 : Math.floor((sym - 261) / 4);
  }
  function distExtraBits(dcode: number): number {
    return dcode < 4 ? 0 : Math.floor(dcode / 2) - 1;
  }

  it('decodes 8- and 9-bit literals and every length code with zlib', () => {
    const literals = Array.from({ length: 256 }, (_, i) => i);
    const s = fixedStream(literals);
    expectBytes(decompressValue(s, 256), inflateRawSync(s));
    // Lengths 3…258 (symbols 257…285 with their extra bits), each at distance 1…256.
    for (let sym = 257; sym <= 285; sym++) {
      for (let extra = 0; extra < 1 << lengthExtraBits(sym); extra++) {
        const parts: (number | [number, number, number, number])[] = [...literals.slice(0, 200)];
        parts.push([sym, extra, 15, 100]); // distance 193 + 100 = 293 > 200: before the start
        const bad = fixedStream(parts);
        expectCorrupt(() => decompressValue(bad, 1000));
        parts[200] = [sym, extra, 14, 3]; // distance 129 + 3 = 132
        const good = fixedStream(parts);
        const expected = inflateRawSync(good);
        expectBytes(decompressValue(good, expected.length), expected, `${sym} ${extra}`);
      }
    }
  });

  it('rejects literals beyond the raw length, alone or before a match', () => {
    const five = fixedStream([65, 66, 200, 201, 67]);
    expectBytes(decompressValue(five, 5), Uint8Array.of(65, 66, 200, 201, 67));
    for (const rawLength of [0, 1, 3, 4, 6]) {
      expectCorrupt(() => decompressValue(five, rawLength));
    }
    // Literals overrun the raw length, then a match would write further.
    const then = fixedStream([65, 66, 67, 68, [257, 0, 0, 0]]);
    expectBytes(decompressValue(then, 7), Uint8Array.of(65, 66, 67, 68, 68, 68, 68));
    expectCorrupt(() => decompressValue(then, 3));
    expectCorrupt(() => decompressValue(then, 6));
  });

  it('rejects distances with many extra bits that reach before the start', () => {
    for (let dcode = 20; dcode < 30; dcode++) {
      const s = fixedStream([...Array.from({ length: 300 }, (_, i) => i & 255),
        [258, 0, dcode, (1 << distExtraBits(dcode)) - 1]]);
      expectCorrupt(() => decompressValue(s, 304));
    }
  });

  it('rejects a stream cut inside a length, a distance or its extra bits', () => {
    const s = fixedStream([65, 66, 67, 68, 69, 70, 71, 72, [270, 1, 5, 1]]);
    const expected = inflateRawSync(s);
    expectBytes(decompressValue(s, expected.length), expected);
    for (let cut = 0; cut < s.length; cut++) {
      expectCorrupt(() => decompressValue(s.subarray(0, cut), expected.length));
    }
  });
});
