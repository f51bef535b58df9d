/**
 * Storage benchmark (issue: foundation). Not a test: it prints figures, it asserts nothing.
 *
 * Data: 100,000 records with ~150-byte cell-like JSON values under 16-byte Morton keys
 * (src/coord packCoord) of coordinates clustered around 200 centres, the shape cells have. Records
 * arrive in runs of 50 near one centre (a session writes its memories close together), in random
 * order within a run; W1b loads the same records in fully random order as the worst case.
 * Workloads (after a warm-up: the same bulk load into a scratch database, printed as "W1 cold",
 * so that W1–W6 measure the engine with its code compiled, as in a running service; the cold
 * figure is what the first seconds of a fresh process get):
 *   W1 bulk load in transactions of 1,000          records/s, file size
 *   W1b the same in random order (fresh database)  records/s
 *   W2 2,000 single-record durable commits         commits/s, p50/p99 latency
 *   W3 16 concurrent writers, 4,000 commits        commits/s, fsyncs used
 *   W4 200,000 random point reads (one view each)  reads/s
 *   W5 1,000 range scans of 100 keys               scans/s
 *   W6 overwrite every record (transactions of 1,000), file size before/after
 * Usage: npm run bench [-- --records N --dir DIR --page-size N --syncs-in-flight N]
 *   (--syncs-in-flight: the walSyncsInFlight option, default 1)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packCoord } from '../src/coord/index.js';
import { open } from '../src/index.js';
import type { Database } from '../src/index.js';
import { mulberry32 as prng } from '../test/fault/prng.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    dir: { type: 'string' },
    'page-size': { type: 'string', default: '4096' },
    'syncs-in-flight': { type: 'string', default: '1' },
  },
});
const recordCount = Number(args.records);
const pageSize = Number(args['page-size']);
const walSyncsInFlight = Number(args['syncs-in-flight']);


function makeKeys(n: number, rand: () => number): Uint8Array[] {
  const centres = Array.from({ length: 200 }, () => ({
    q: Math.floor((rand() - 0.5) * 20000), r: Math.floor((rand() - 0.5) * 20000) }));
  const seen = new Set<string>();
  const keys: Uint8Array[] = [];
  let c = centres[0]!;
  while (keys.length < n) {
    if (keys.length % 50 === 0) c = centres[Math.floor(rand() * centres.length)]!;
    const q = c.q + Math.floor((rand() - 0.5) * 60);
    const r = c.r + Math.floor((rand() - 0.5) * 60);
    const id = `${q},${r}`;
    if (seen.has(id)) continue;
    seen.add(id);
    keys.push(packCoord({ q, r }));
  }
  return keys;
}

const enc = new TextEncoder();
function makeValue(i: number, rand: () => number, version = 1): Uint8Array {
  const words = ['prefers', 'dark', 'mode', 'meeting', 'moved', 'to', 'tuesday', 'invoice',
    'paid', 'supplier', 'late', 'again', 'user', 'asked', 'about', 'pricing'];
  const text = Array.from({ length: 8 }, () => words[Math.floor(rand() * words.length)]).join(' ');
  return enc.encode(JSON.stringify({ id: i, v: version, raw: text, tags: ['chat', 'fact'],
    src: `agent-${i % 17}`, conf: Math.round(rand() * 100) / 100, at: 1732400000000 + i }));
}

function fileBytes(dbPath: string): number {
  let total = 0;
  for (const p of [dbPath, `${dbPath}-wal`]) if (fs.existsSync(p)) total += fs.statSync(p).size;
  return total;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

const rows: Array<[string, string, string]> = [];
function report(name: string, figure: string, target: string): void {
  rows.push([name, figure, target]);
  console.log(`${name.padEnd(34)} ${figure.padEnd(44)} ${target}`);
}
/** A second line under the last figure: where its time went (not a figure with a target). */
function detail(text: string): void {
  console.log(`${''.padEnd(35)}${text}`);
}
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;

/**
 * Process CPU time (user + system, all threads) per record since `c0`, in µs: on a shared
 * machine it moves less than wall time, which also waits for fsyncs and for other processes.
 */
function cpuPer(c0: NodeJS.CpuUsage, records: number): string {
  const c = process.cpuUsage(c0);
  return `cpu ${((c.user + c.system) / records).toFixed(1)} us/rec`;
}

type Stats = ReturnType<Database['stats']>;

/**
 * Where a durable-commit workload's wall time went: log bytes written, the log's fsyncs (count,
 * mean and, with one batch in flight, their share of the wall time `s`). With one batch in
 * flight (the default) and writers that await their commits, wall time = fsync time + the time
 * between fsyncs (building the next commits, checkpoints), so the share shows how far a workload
 * is from the disk's bound. Overlapping fsyncs (--syncs-in-flight > 1) each count in full, so
 * no share is printed then.
 */
function logLine(before: Stats, after: Stats, s: number): string {
  const syncs = after.walSyncs - before.walSyncs;
  const us = after.walSyncMicros - before.walSyncMicros;
  const mean = syncs > 0 ? us / syncs : 0;
  const share = walSyncsInFlight === 1 ? ` (${((us / 1e6 / s) * 100).toFixed(0)} % of wall)` : '';
  return `log ${mib(after.walBytesWritten - before.walBytesWritten)}, ${fmt(syncs)} fsyncs ` +
    `of ${fmt(mean)} us mean${share}`;
}

async function load(db: Database, keys: Uint8Array[], vals: Uint8Array[],
): Promise<{ s: number; cpu: string; log: string }> {
  const before = db.stats();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let b = 0; b < keys.length; b += 1000) {
    await db.update((tx) => {
      for (let i = b; i < Math.min(b + 1000, keys.length); i++) tx.put(keys[i]!, vals[i]!);
    });
  }
  const s = (performance.now() - t0) / 1000;
  return { s, cpu: cpuPer(c0, keys.length), log: logLine(before, db.stats(), s) };
}

async function w1(db: Database, keys: Uint8Array[], vals: Uint8Array[]): Promise<void> {
  const { s, cpu, log } = await load(db, keys, vals);
  report('W1 bulk load (tx of 1,000)', `${fmt(keys.length / s)} records/s, ` +
    `file ${mib(fileBytes(db.path))}, ${cpu}`, '>= 150,000 records/s');
  detail(log);
}

/** The warm-up: W1 on a scratch database, first work of the process (see the file comment). */
async function w1Cold(dir: string, keys: Uint8Array[], vals: Uint8Array[]): Promise<void> {
  const db = await open(path.join(dir, 'warmup.db'), { pageSize, walSyncsInFlight });
  const { s, cpu } = await load(db, keys, vals);
  report('W1 cold (warm-up, fresh process)', `${fmt(keys.length / s)} records/s, ${cpu}`,
    '(JIT warm-up, no target)');
  await db.close();
  for (const p of [db.path, `${db.path}-wal`]) fs.rmSync(p, { force: true });
}

async function w1b(dir: string, keys: Uint8Array[], vals: Uint8Array[]): Promise<void> {
  const order = keys.map((_, i) => i);
  const rand = prng(7);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const db = await open(path.join(dir, 'random.db'), { pageSize });
  const { s, cpu, log } = await load(db, order.map((i) => keys[i]!), order.map((i) => vals[i]!));
  report('W1b bulk load, random order', `${fmt(keys.length / s)} records/s, ` +
    `file ${mib(fileBytes(db.path))}, ${cpu}`, '(worst case, no target)');
  detail(log);
  await db.close();
}

async function w2(db: Database, rand: () => number): Promise<void> {
  const extra = makeKeys(2000, prng(99));
  const lat: number[] = [];
  const before = db.stats();
  const t0 = performance.now();
  for (let i = 0; i < extra.length; i++) {
    const s = performance.now();
    await db.update((tx) => tx.put(extra[i]!, makeValue(1e6 + i, rand)));
    lat.push(performance.now() - s);
  }
  const s = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  report('W2 sequential durable commits', `${fmt(extra.length / s)} commits/s, p50 ` +
    `${(pct(lat, 0.5) * 1000).toFixed(0)} us, p99 ${(pct(lat, 0.99) * 1000).toFixed(0)} us`,
    '>= 5,000 commits/s');
  detail(logLine(before, db.stats(), s));
}

async function w3(db: Database, keys: Uint8Array[], rand: () => number): Promise<void> {
  const before = db.stats();
  const perWriter = 250;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, async (_, w) => {
    for (let i = 0; i < perWriter; i++) {
      const k = keys[Math.floor(rand() * keys.length)]!;
      await db.update((tx) => tx.put(k, makeValue(w * perWriter + i, rand, 2)));
    }
  }));
  const s = (performance.now() - t0) / 1000;
  const after = db.stats();
  const syncs = after.walSyncs - before.walSyncs;
  report('W3 16 writers, 4,000 commits', `${fmt(4000 / s)} commits/s, ` +
    `${syncs} fsyncs`, '>= 25,000 commits/s');
  const between = (s * 1e6 - (after.walSyncMicros - before.walSyncMicros)) / Math.max(1, syncs);
  detail(logLine(before, after, s) +
    (walSyncsInFlight === 1 ? `; ${fmt(between)} us between fsyncs` : ''));
}

function w4(db: Database, keys: Uint8Array[], rand: () => number): void {
  const n = 200_000;
  const picks = Array.from({ length: n }, () => keys[Math.floor(rand() * keys.length)]!);
  let found = 0;
  const t0 = performance.now();
  for (const k of picks) if (db.view((tx) => tx.get(k)) !== undefined) found++;
  const s = (performance.now() - t0) / 1000;
  if (found !== n) throw new Error(`W4 found ${found} of ${n}`);
  report('W4 random point reads', `${fmt(n / s)} reads/s`, '>= 300,000 reads/s');
}

function w5(db: Database, keys: Uint8Array[], rand: () => number): void {
  const t0 = performance.now();
  let total = 0;
  for (let i = 0; i < 1000; i++) {
    const start = keys[Math.floor(rand() * keys.length)]!;
    db.view((tx) => {
      for (const _ of tx.range({ start, limit: 100 })) total++;
    });
  }
  const s = (performance.now() - t0) / 1000;
  report('W5 range scans of 100 keys', `${fmt(1000 / s)} scans/s (${fmt(total)} entries)`,
    '>= 5,000 scans/s');
}

async function w6(db: Database, keys: Uint8Array[], rand: () => number): Promise<void> {
  await db.checkpoint();
  const before = fileBytes(db.path);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let b = 0; b < keys.length; b += 1000) {
    await db.update((tx) => {
      for (let i = b; i < Math.min(b + 1000, keys.length); i++) {
        tx.put(keys[i]!, makeValue(i, rand, 3));
      }
    });
  }
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuPer(c0, keys.length);
  await db.checkpoint();
  report('W6 overwrite all (tx of 1,000)', `${fmt(keys.length / s)} records/s, file ` +
    `${mib(before)} -> ${mib(fileBytes(db.path))}, ${cpu}`, 'file stays flat');
}

/** The disk's own floor: 4 KiB overwrite + fdatasync, one at a time, in a preallocated file. */
async function diskFloor(dir: string): Promise<void> {
  const p = path.join(dir, 'floor.bin');
  const fd = fs.openSync(p, 'w+');
  fs.writeSync(fd, Buffer.alloc(8 << 20));
  fs.fsyncSync(fd);
  const page = Buffer.alloc(4096 + 128, 7);
  const n = 500;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    fs.writeSync(fd, page, 0, page.length, (i % 1000) * page.length);
    await new Promise<void>((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res())));
  }
  const s = (performance.now() - t0) / 1000;
  fs.closeSync(fd);
  fs.rmSync(p);
  report('disk floor: 4 KiB write+fdatasync', `${fmt(n / s)} /s (${(s / n * 1e6).toFixed(0)} us ` +
    'each, async as the engine does it)', 'bounds W2');
}

async function main(): Promise<void> {
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  const dbPath = path.join(dir, 'bench.db');
  for (const p of [dbPath, `${dbPath}-wal`]) fs.rmSync(p, { force: true });
  const rand = prng(42);
  const keys = makeKeys(recordCount, rand);
  const vals = keys.map((_, i) => makeValue(i, rand));
  const avg = vals.reduce((a, v) => a + v.length, 0) / vals.length;
  console.log(`HexxlaDB storage benchmark: ${fmt(recordCount)} records, ${avg.toFixed(0)}-byte ` +
    `values, 16-byte keys, page ${pageSize}, node ${process.version}, ${os.cpus().length} cpus, ` +
    `walSyncsInFlight ${walSyncsInFlight}`);
  await diskFloor(dir);
  await w1Cold(dir, keys, vals);
  const db = await open(dbPath, { pageSize, walSyncsInFlight });
  await w1(db, keys, vals);
  await w1b(dir, keys, vals);
  await w2(db, rand);
  await w3(db, keys, rand);
  w4(db, keys, rand);
  w5(db, keys, rand);
  await w6(db, keys, rand);
  const st = db.stats();
  console.log(`stats: commits ${st.commits}, fsyncs ${st.walSyncs}, max batch ` +
    `${st.syncBatchMax}, checkpoints ${st.checkpoints}, cache hits ${st.cacheHits}, ` +
    `misses ${st.cacheMisses}`);
  await db.close();
  if (args.dir === undefined) fs.rmSync(dir, { recursive: true, force: true });
}

await main();
