/**
 * Record model benchmark (issue 3). Not a test: it prints figures, it asserts nothing.
 *
 * Shows that a ring walk costs what its area costs, not what the database holds: the same
 * radius-3 walk (37 coordinates, one point read each) on a database of 1,000 cells and on one of
 * 200,000 cells. Cells fill a spiral around the origin (every coordinate a cell, ~60-byte raw
 * content, one tag), loaded with db.update batches of 1,000 putCell. Per database size:
 *   putCell/s     during the load (batches of 1,000, durable commits)
 *   getCell/s     random coordinates of the filled area, 1,000 reads per view
 *   walks/s       radius-3 walkRing at random centres whose whole area is filled, one view each
 *   walks/s mask  the same with facetMask 0b11 (facets 0 and 1 present: 3 reads per cell)
 *   context/s     loadContext(centre, 5, 20): stops after 20 cells
 *   by radius     µs per walk and per coordinate at radius 1, 3 and 6 (7, 37, 127 coordinates)
 * Reads are measured after a reopen, in rounds that alternate between the databases (median of
 * the rounds), so that load from other processes affects both sizes alike.
 * Usage: npm run bench:model [-- --mvcc --dir DIR --sizes 1000,200000]
 * The database lives in a fresh directory under os.tmpdir() (or --dir), removed at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { coord, spiralIter, type Coord } from '../src/coord/index.js';
import { open, type Database } from '../src/index.js';
import { mulberry32 as prng } from '../test/fault/prng.js';

const { values: args } = parseArgs({
  options: {
    mvcc: { type: 'boolean', default: false },
    dir: { type: 'string' },
    sizes: { type: 'string', default: '1000,200000' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const walkRadius = 3;
const batchSize = 1000;
const rounds = 5;
/** Radii of the area series: cost per walk should follow the area, 1 + 3r(r + 1). */
const areaRadii = [1, 6];
const areaOf = (r: number): number => 1 + 3 * r * (r + 1);


/** Smallest spiral radius holding `n` coordinates: 1 + 3r(r + 1) ≥ n. */
function radiusFor(n: number): number {
  let r = 0;
  while (1 + 3 * r * (r + 1) < n) r++;
  return r;
}

/** A random coordinate within `radius` of the origin (rejection sampling on the rhombus). */
function randomWithin(radius: number, rand: () => number): Coord {
  for (;;) {
    const q = Math.floor(rand() * (2 * radius + 1)) - radius;
    const r = Math.floor(rand() * (2 * radius + 1)) - radius;
    if (Math.abs(q) + Math.abs(r) + Math.abs(q + r) <= 2 * radius) return coord(q, r);
  }
}

/** Runs `round` until `minMs` have passed; returns operations per second. */
function rate(opsPerRound: number, minMs: number, round: () => void): number {
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    round();
    ops += opsPerRound;
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Loads `n` cells on the spiral around the origin; returns putCell/s. */
async function load(db: Database, n: number): Promise<number> {
  const coords = [...spiralIter(coord(0, 0), radiusFor(n))].slice(0, n);
  const start = performance.now();
  for (let i = 0; i < coords.length; i += batchSize) {
    await db.update((tx) => {
      for (const c of coords.slice(i, i + batchSize)) {
        tx.putCell({ coord: c, rawContent: `memory at ${c.q},${c.r}: ${'x'.repeat(40)}`,
          tags: ['bench'] });
      }
    });
  }
  return (n * 1000) / (performance.now() - start);
}

/** One loaded database and the samples measured on it. */
interface Subject {
  n: number;
  db: Database;
  /** Coordinates inside the filled area, at least walkRadius from its edge. */
  inner: number;
  /** Centres whose radius-3 area also has facet 1 on every cell. */
  faceted: Coord[];
  puts: number;
  samples: Record<'gets' | 'walks' | 'walksMasked' | 'contexts', number[]>;
  /** Walks/s by radius (areaRadii), for the cost per coordinate. */
  byRadius: number[][];
}

async function prepare(dir: string, n: number): Promise<Subject> {
  const file = path.join(dir, `model-${n}.db`);
  let db = await open(file, { mvcc: args.mvcc });
  const puts = await load(db, n);
  const inner = radiusFor(n) - 1 - walkRadius; // the last ring may be partial
  const rand = prng(n);
  const faceted = Array.from({ length: 200 }, () => randomWithin(inner, rand));
  await db.update((tx) => {
    for (const c of faceted) {
      for (const at of spiralIter(c, walkRadius)) {
        tx.putFacet(at, { id: 1, derivedContent: `summary of ${at.q},${at.r}` });
      }
    }
  });
  // Measure what a long-running database reads: durable pages, not the loader's leaf form.
  await db.close();
  db = await open(file, { mvcc: args.mvcc });
  return { n, db, inner, faceted, puts,
    samples: { gets: [], walks: [], walksMasked: [], contexts: [] },
    byRadius: areaRadii.map(() => []) };
}

/** One round of every read measurement on `s` (short, so rounds interleave the databases). */
function measureRound(s: Subject, rand: () => number): void {
  const { db, inner, faceted } = s;
  s.samples.gets.push(rate(1000, 300, () => db.view((tx) => {
    for (let i = 0; i < 1000; i++) tx.getCell(randomWithin(inner + walkRadius, rand));
  })));
  s.samples.walks.push(rate(1, 600, () =>
    db.view((tx) => tx.walkRing(randomWithin(inner, rand), walkRadius))));
  let k = 0;
  s.samples.walksMasked.push(rate(1, 600, () => db.view((tx) =>
    tx.walkRing(faceted[k++ % faceted.length] ?? coord(0, 0), walkRadius, { facetMask: 0b11 }))));
  s.samples.contexts.push(rate(1, 300, () =>
    db.view((tx) => tx.loadContext(randomWithin(inner, rand), 5, 20))));
  areaRadii.forEach((radius, i) => {
    s.byRadius[i]?.push(rate(1, 300, () =>
      db.view((tx) => tx.walkRing(randomWithin(inner + walkRadius - radius, rand), radius))));
  });
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(10);

async function main(): Promise<void> {
  const ownDir = args.dir === undefined;
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-model-bench-'));
  process.stdout.write(`model bench: node ${process.version}, mvcc ${args.mvcc}, ` +
    `radius-${walkRadius} walks (${1 + 3 * walkRadius * (walkRadius + 1)} coordinates), ` +
    `median of ${rounds} interleaved rounds\n`);
  const subjects: Subject[] = [];
  try {
    for (const n of sizes) subjects.push(await prepare(dir, n));
    // Rounds alternate between the databases so that load from other processes (which moves
    // figures by 2x on a shared machine) hits both sizes alike.
    const rand = prng(42);
    for (let round = 0; round < rounds; round++) {
      for (const s of subjects) measureRound(s, rand);
    }
    report(subjects);
  } finally {
    for (const s of subjects) await s.db.close();
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(subjects: readonly Subject[]): void {
  process.stdout.write('     cells   putCell/s   getCell/s     walks/s   mask 0b11  ' +
    'loadCtx/s\n');
  for (const s of subjects) {
    const m = s.samples;
    process.stdout.write(`${fmt(s.n)}  ${fmt(s.puts)}  ${fmt(median(m.gets))}  ` +
      `${fmt(median(m.walks))}   ${fmt(median(m.walksMasked))} ${fmt(median(m.contexts))}\n`);
  }
  process.stdout.write('walk cost by radius (µs per walk, µs per coordinate):\n');
  for (const s of subjects) {
    const cols = [...areaRadii.map((r, i) => [r, median(s.byRadius[i] ?? [])] as const),
      [walkRadius, median(s.samples.walks)] as const].sort((x, y) => x[0] - y[0]);
    const text = cols.map(([r, perS]) => `r=${r}: ${(1e6 / perS).toFixed(0)}, ` +
      `${(1e6 / perS / areaOf(r)).toFixed(2)}`).join('   ');
    process.stdout.write(`${fmt(s.n)}  ${text}\n`);
  }
  const first = subjects[0];
  const last = subjects[subjects.length - 1];
  if (first !== undefined && last !== undefined && last !== first) {
    const ratio = median(last.samples.walks) / median(first.samples.walks);
    process.stdout.write(`walk rate at ${last.n} cells / at ${first.n} cells: ` +
      `${ratio.toFixed(2)} (database ${last.n / first.n}x larger; the same 37 point reads, ` +
      'a tree one or two levels deeper, more pages to cache)\n');
  }
}

await main();
