/**
 * Micro-benchmark of the value codec (src/storage/compress.ts) against Node's zlib.
 * Run with `npx tsx bench/compress-bench.ts`; the figures quoted in src/storage/compress.ts come
 * from this script.
 *
 * Inputs are JSON documents shaped like HexxlaDB cells (coordinates, kind, short text, tags,
 * confidence, timestamps), drawn once from a fixed seed so runs are comparable: ~150-byte single
 * cells, ~1 KiB cells with longer text, and ~8 KiB arrays of cells. For each size it prints µs per
 * operation for compress and decompress with the codec and with zlib.deflateRawSync /
 * inflateRawSync (default level), and the compression ratio (stored / raw bytes; lower is better)
 * of both, plus the ratio of zlib restricted to fixed Huffman codes (Z_FIXED), the format the JS
 * encoder writes. Timings are the best of several rounds, each after a warm-up, because the host
 * may be shared; they still vary by ±30 % from run to run.
 */
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { compressValue, decompressValue } from '../src/storage/compress.js';

const words = (
  'the of and to in is that for it as was with be by on not he this are or his from at which ' +
  'but have an they you were her she there been one all we their has would when if so no out ' +
  'cell grid hex ring fact claim source note edge time travel contradiction snapshot version ' +
  'alpha beta gamma delta user agent memory context embedding vector window page tree leaf'
).split(' ');
const kinds = ['fact', 'note', 'claim', 'observation', 'summary'];

/** Deterministic xorshift32 in [0, 1) so every run benchmarks the same inputs. */
function makeRandom(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/** A cell-like record whose text has about `textWords` words. */
function cell(rnd: () => number, textWords: number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const text = Array.from({ length: textWords }, () => pick(words)).join(' ');
  return {
    q: Math.floor(rnd() * 2000) - 1000,
    r: Math.floor(rnd() * 2000) - 1000,
    kind: pick(kinds),
    text,
    tags: [pick(words), pick(words)],
    confidence: Math.round(rnd() * 1000) / 1000,
    validFrom: 1_700_000_000_000 + Math.floor(rnd() * 1e10),
  };
}

const encoder = new TextEncoder();
const sampleCount = 512;

/** `sampleCount` encoded values built by `make`. */
function samples(seed: number, make: (rnd: () => number) => unknown): Uint8Array[] {
  const rnd = makeRandom(seed);
  return Array.from({ length: sampleCount }, () => encoder.encode(JSON.stringify(make(rnd))));
}

const trials = 5;

/**
 * Runs `body` once per sample, `rounds` times, in `trials` timed trials after a warm-up; returns
 * the best trial's µs per operation.
 */
function timeIt<T>(inputs: readonly T[], rounds: number, body: (x: T) => number): number {
  let sink = 0;
  for (const x of inputs) sink += body(x); // warm-up: lets V8 optimise before timing
  let best = Number.POSITIVE_INFINITY;
  for (let t = 0; t < trials; t++) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) for (const x of inputs) sink += body(x);
    const nanos = Number(process.hrtime.bigint() - start);
    best = Math.min(best, nanos / 1000 / (rounds * inputs.length));
  }
  if (sink === -1) console.log('unreachable');
  return best;
}

interface Stored {
  readonly data: Uint8Array;
  readonly rawLength: number;
}

/** Prints timings and ratios of the codec and zlib for one size class. */
function runCase(name: string, values: readonly Uint8Array[], rounds: number): void {
  const rawBytes = values.reduce((s, v) => s + v.length, 0);
  const ours: Stored[] = values.map((v) => ({
    data: compressValue(v) ?? v,
    rawLength: v.length,
  }));
  const theirs: Stored[] = values.map((v) => ({ data: deflateRawSync(v), rawLength: v.length }));
  const fixed: Stored[] = values.map((v) => ({
    data: deflateRawSync(v, { strategy: constants.Z_FIXED }),
    rawLength: v.length,
  }));
  const compressed = ours.filter((s) => s.data.length < s.rawLength);
  const oursC = timeIt(values, rounds, (v) => compressValue(v)?.length ?? 0);
  const oursD = timeIt(compressed, rounds, (s) => decompressValue(s.data, s.rawLength).length);
  const zlibC = timeIt(values, rounds, (v) => deflateRawSync(v).length);
  const zlibD = timeIt(theirs, rounds, (s) => inflateRawSync(s.data).length);
  const ratio = (xs: readonly Stored[]): string =>
    (xs.reduce((s, x) => s + x.data.length, 0) / rawBytes).toFixed(3);
  const us = (x: number): string => x.toFixed(2).padStart(7);
  console.log(
    `${name.padEnd(14)} ${String(Math.round(rawBytes / values.length)).padStart(6)} B  ` +
      `codec ${us(oursC)} / ${us(oursD)} µs  ratio ${ratio(ours)}   ` +
      `zlib ${us(zlibC)} / ${us(zlibD)} µs  ratio ${ratio(theirs)} (Z_FIXED ${ratio(fixed)})  ` +
      `(${compressed.length}/${values.length} compressed)`,
  );
}

console.log('size class      avg raw  codec compress / decompress      zlib compress / decompress');
runCase('cell ~150 B', samples(1, (rnd) => cell(rnd, 8)), 100);
runCase('cell ~1 KiB', samples(2, (rnd) => cell(rnd, 160)), 15);
runCase(
  'cells ~8 KiB',
  samples(3, (rnd) => Array.from({ length: 44 }, () => cell(rnd, 8))),
  2,
);
