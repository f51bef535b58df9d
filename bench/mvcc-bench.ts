/**
 * MVCC read-cost benchmark (issue 4, SPEC §5). Not a test: it prints figures, it asserts nothing.
 *
 * The same data is built twice, once with MVCC off (format v1) and once on (format v2): N cells
 * (default 100,000) on a spiral around the origin, with ~120-byte contents and 0–2 tags, loaded
 * in transactions of 10,000; then 3 rounds that re-put a random 20% of the cells, so under MVCC
 * about half of the cells carry older versions (and their indexes tombstones or versions). Each
 * database is then closed and reopened (reads are measured on a settled file, not on the
 * writer's in-memory pages), warmed up, and timed in interleaved slices (off, on, off, on, …) so
 * that other load on the machine hits both alike. The page cache (default 256 MiB) holds
 * either file whole, so the figures compare the read paths, not the disk; with the library's
 * default 64 MiB cache the larger MVCC file would also pay cache misses (try --cache-mib 64).
 *   point reads   getCell of a random cell, one db.view per read     reads/s
 *   ring walks    walkRing(radius 2) at a random centre, one view each walks/s
 * and the MVCC cost as (ops/s off) ÷ (ops/s on); the goal is ≤ 2× (the Go original paid ~9× on
 * point reads). Seeded, so runs compare. Files live in a temp directory removed at the end.
 * Usage: npm run bench:mvcc [-- --cells N --reads N --walks N --cache-mib N --dir DIR]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { coord, open, spiralIter, type Coord, type Database } from '../src/index.js';
import { mulberry32 as prng } from '../test/fault/prng.js';

const { values: args } = parseArgs({
  options: {
    cells: { type: 'string', default: '100000' },
    reads: { type: 'string', default: '200000' },
    walks: { type: 'string', default: '20000' },
    'cache-mib': { type: 'string', default: '256' },
    dir: { type: 'string' },
  },
});
const cellCount = Number(args.cells);
const readCount = Number(args.reads);
const walkCount = Number(args.walks);
const cacheBytes = Number(args['cache-mib']) * 2 ** 20;
/** Cells per build transaction: large, since the build is not what is measured. */
const txCells = 10_000;
const rePutRounds = 3;
const rePutShare = 0.2;
const tagPool = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];


/** The first `n` coordinates of the spiral around the origin, and its full radius. */
function layout(n: number): { coords: Coord[]; radius: number } {
  let radius = 0;
  while (3 * radius * (radius + 1) + 1 < n) radius++;
  const coords: Coord[] = [];
  for (const c of spiralIter(coord(0, 0), radius)) {
    if (coords.length === n) break;
    coords.push(c);
  }
  return { coords, radius };
}

function content(rand: () => number, round: number, i: number): string {
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ';
  return `round ${round} cell ${i}: ${filler.slice(0, 60 + Math.floor(rand() * 40))}`;
}

function tags(rand: () => number): string[] {
  const n = Math.floor(rand() * 3);
  const out = new Set<string>();
  while (out.size < n) out.add(tagPool[Math.floor(rand() * tagPool.length)]!);
  return [...out];
}

/** Puts `indexes` of `coords` in transactions of txCells. */
async function putAll(db: Database, coords: Coord[], indexes: number[], round: number,
  rand: () => number): Promise<void> {
  for (let from = 0; from < indexes.length; from += txCells) {
    const chunk = indexes.slice(from, from + txCells);
    await db.update((tx) => {
      for (const i of chunk) {
        tx.putCell({ coord: coords[i]!, rawContent: content(rand, round, i), tags: tags(rand) });
      }
    });
  }
}

async function build(file: string, mvcc: boolean, coords: Coord[]): Promise<number> {
  const rand = prng(42);
  const start = performance.now();
  const db = await open(file, { mvcc, cacheBytes });
  await putAll(db, coords, coords.map((_, i) => i), 0, rand);
  for (let round = 1; round <= rePutRounds; round++) {
    const picked = coords.map((_, i) => i).filter(() => rand() < rePutShare);
    await putAll(db, coords, picked, round, rand);
  }
  await db.close();
  return performance.now() - start;
}

/** Milliseconds to run `op` for i in [from, to). */
function timed(from: number, to: number, op: (i: number) => void): number {
  const start = performance.now();
  for (let i = from; i < to; i++) op(i);
  return performance.now() - start;
}

/** One opened database under test with its workloads. */
interface Subject {
  readonly name: string;
  readonly db: Database;
  readonly file: string;
  readonly buildMs: number;
  read(i: number): void;
  walk(i: number): void;
  readMs: number;
  walkMs: number;
}

const slices = 10;

/**
 * Times `count` ops on every subject in `slices` interleaved slices (off, on, off, on, …), after
 * an untimed warm-up of a tenth: other load on the machine then hits both sides alike.
 */
function race(subjects: Subject[], count: number, kind: 'read' | 'walk'): void {
  for (const s of subjects) timed(0, Math.ceil(count / 10), (i) => s[kind](i));
  const per = Math.ceil(count / slices);
  for (let k = 0; k < slices; k++) {
    for (const s of subjects) {
      const ms = timed(k * per, Math.min(count, (k + 1) * per), (i) => s[kind](i));
      if (kind === 'read') s.readMs += ms;
      else s.walkMs += ms;
    }
  }
}

async function subject(dir: string, mvcc: boolean, coords: Coord[], radius: number):
  Promise<Subject> {
  const file = path.join(dir, mvcc ? 'mvcc-on.db' : 'mvcc-off.db');
  const buildMs = await build(file, mvcc, coords);
  const db = await open(file, { mvcc, cacheBytes });
  // Same seed on both sides: the same cells are read and walked in the same order.
  const rand = prng(7);
  const readAt = Array.from({ length: 65536 }, () => coords[Math.floor(rand() * coords.length)]!);
  // Walk centres at least 2 inside the filled spiral, so every walk sees 19 cells.
  const inner = coords.slice(0, Math.max(1, 3 * (radius - 3) * (radius - 2) + 1));
  const walkAt = Array.from({ length: 4096 }, () => inner[Math.floor(rand() * inner.length)]!);
  return {
    name: mvcc ? 'MVCC on ' : 'MVCC off', db, file, buildMs, readMs: 0, walkMs: 0,
    read(i) {
      if (db.view((tx) => tx.getCell(readAt[i & 65535]!)) === undefined) {
        throw new Error('a point read found nothing');
      }
    },
    walk(i) {
      if (db.view((tx) => tx.walkRing(walkAt[i & 4095]!, 2)).length !== 19) {
        throw new Error('a ring walk did not see 19 cells');
      }
    },
  };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-mvcc-bench-'));
  const { coords, radius } = layout(cellCount);
  console.log(`mvcc-bench: ${fmt(coords.length)} cells (spiral radius ${radius}), ` +
    `${rePutRounds} re-put rounds of ${rePutShare * 100}%, ${fmt(readCount)} point reads, ` +
    `${fmt(walkCount)} radius-2 walks, cache ${args['cache-mib']} MiB; dir ${dir}`);
  const subjects: Subject[] = [];
  try {
    subjects.push(await subject(dir, false, coords, radius));
    subjects.push(await subject(dir, true, coords, radius));
    race(subjects, readCount, 'read');
    race(subjects, walkCount, 'walk');
    for (const s of subjects) {
      const rows = s.db.mvcc ? `, ${fmt(s.db.statsMVCC().versionedRows)} versioned rows` : '';
      console.log(`${s.name}: build ${(s.buildMs / 1000).toFixed(1)} s, file ` +
        `${(fs.statSync(s.file).size / 2 ** 20).toFixed(1)} MiB${rows}; point reads ` +
        `${fmt(readCount / (s.readMs / 1000))}/s; ring walks (r=2) ` +
        `${fmt(walkCount / (s.walkMs / 1000))}/s`);
    }
    const [off, on] = subjects as [Subject, Subject];
    const cost = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    console.log(`MVCC cost (on time ÷ off time, goal ≤ 2.00×): point reads ` +
      `${cost(on.readMs, off.readMs)}, ring walks ${cost(on.walkMs, off.walkMs)}`);
  } finally {
    for (const s of subjects) await s.db.close();
    if (args.dir === undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
