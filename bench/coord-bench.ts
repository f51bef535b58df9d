/**
 * Micro-benchmark of the coordinate hot paths: packCoord, packCoordInto, unpackCoord and ring
 * walks. Run with `npx tsx bench/coord-bench.ts`; the figures quoted in
 * src/coord/packed-coord.ts come from this script. Inputs are drawn once from a fixed seed over
 * the whole int32 range, so runs are comparable; each case runs a warm-up round first and
 * reports its best, median and mean round.
 */
import {
  coord,
  forEachInRing,
  packCoord,
  packCoordInto,
  ring,
  unpackCoord,
  type Coord,
  type PackedCoord,
} from '../src/coord/index.js';

const sampleCount = 1 << 16;
const rounds = 60;

/** Deterministic int32 draws (xorshift32) so every run benchmarks the same inputs. */
function sampleCoords(): Coord[] {
  let state = 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state | 0;
  };
  return Array.from({ length: sampleCount }, () => coord(next(), next()));
}

/**
 * Runs `body` (`sampleCount` operations) `rounds` times after a warm-up and prints millions of
 * ops per second for the best, the median and the mean round. The mean includes the garbage
 * collection that allocating forms cause; the best round shows the cost without interference
 * from other processes on a shared machine.
 */
function measure(name: string, body: () => number): void {
  let sink = body(); // warm-up: lets V8 optimise before timing
  const roundNanos: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    sink += body();
    roundNanos.push(Number(process.hrtime.bigint() - start));
  }
  roundNanos.sort((a, b) => a - b);
  const rate = (nanos: number): string => ((sampleCount / nanos) * 1e3).toFixed(1).padStart(6);
  const perOp = (nanos: number): string => (nanos / sampleCount).toFixed(1).padStart(5);
  const best = roundNanos[0] ?? 1;
  const median = roundNanos[rounds >> 1] ?? 1;
  const mean = roundNanos.reduce((sum, x) => sum + x, 0) / rounds;
  const columns = [
    name.padEnd(28),
    `best ${rate(best)} M/s (${perOp(best)} ns)`,
    `median ${rate(median)} (${perOp(median)})`,
    `mean ${rate(mean)} (${perOp(mean)})`,
  ];
  process.stdout.write(`${columns.join('  ')}  checksum ${sink}\n`);
}

const coords = sampleCoords();
const packed: PackedCoord[] = coords.map((c) => packCoord(c));
const buffer = new Uint8Array(16 * sampleCount);

measure('packCoord (allocating)', () => {
  let sum = 0;
  for (const c of coords) sum += packCoord(c)[15] ?? 0;
  return sum;
});
measure('packCoordInto (reused buf)', () => {
  let offset = 0;
  for (const c of coords) offset = packCoordInto(c, buffer, offset);
  return buffer[offset - 1] ?? 0;
});
measure('unpackCoord', () => {
  let sum = 0;
  for (const p of packed) sum += unpackCoord(p).coord.q & 1;
  return sum;
});
// Ring walks: one op = one coordinate visited (ring of radius 16 has 96 coordinates).
const ringCentres = coords.slice(0, sampleCount / 96);
measure('ring(c, 16) array, per coord', () => {
  let sum = 0;
  for (const c of ringCentres) sum += ring(c, 16).length;
  return sum;
});
measure('forEachInRing, per coord', () => {
  let sum = 0;
  const visit = (q: number): void => {
    sum += q & 1;
  };
  for (const c of ringCentres) forEachInRing(c, 16, visit);
  return sum;
});
