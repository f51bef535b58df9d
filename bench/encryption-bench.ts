/**
 * Encryption benchmark: what sealing and page versions (docs/format.md "Page versions") cost a
 * commit and a read, next to the same work on a plain database.
 *
 * Method: for a plain and an encrypted (raw key) database on a real temp directory, load
 * `records` cell-like records (~150-byte JSON values, hashed 13-byte keys) in transactions of
 * 1,000 and checkpoint; then
 * - 200 single-record durable commits, one at a time: WAL bytes per commit (exact, from the
 *   store's counters) and commits/s;
 * - 16 concurrent writers × 300 single-record commits: commits/s and CPU µs per commit
 *   (process.cpuUsage: less sensitive to the shared disk than wall time);
 * - reopen with a 4 MiB cache (most reads miss: encrypted reads open a seal and look the page's
 *   version up) and 50,000 random point reads/s.
 * Run: npx tsx bench/encryption-bench.ts [records]   (default 50,000)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from '../src/index.js';
import type { Database } from '../src/index.js';

const records = Number(process.argv[2] ?? 50_000);
const enc = new TextEncoder();
const key = (i: number): Uint8Array =>
  enc.encode(`cell:${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}`);
const value = (i: number): Uint8Array =>
  enc.encode(JSON.stringify({ i, tags: ['place', 'note'], text: 'x'.repeat(100) }));

interface Figures {
  walBytes: number;
  sequential: number;
  concurrent: number;
  cpuMicros: number;
  reads: number;
}

async function load(db: Database): Promise<void> {
  for (let b = 0; b < records; b += 1000) {
    await db.update((tx) => {
      for (let i = b; i < Math.min(records, b + 1000); i++) tx.put(key(i), value(i));
    });
  }
  await db.checkpoint();
}

async function writes(db: Database): Promise<Omit<Figures, 'reads'>> {
  const w0 = db.storage.stats().walBytes;
  let t = performance.now();
  for (let i = 0; i < 200; i++) {
    await db.update((tx) => tx.put(key((i * 7919) % records), value(i)));
  }
  const sequential = 200 / ((performance.now() - t) / 1000);
  const walBytes = (db.storage.stats().walBytes - w0) / 200;
  t = performance.now();
  const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: 16 }, async (_, w) => {
    for (let i = 0; i < 300; i++) {
      await db.update((tx) => tx.put(key((w * 3001 + i) % records), value(i)));
    }
  }));
  const cpu = process.cpuUsage(c0);
  const concurrent = 4800 / ((performance.now() - t) / 1000);
  return { walBytes, sequential, concurrent, cpuMicros: (cpu.user + cpu.system) / 4800 };
}

function reads(db: Database): number {
  const t = performance.now();
  let found = 0;
  for (let i = 0; i < 50_000; i++) {
    db.view((tx) => {
      if (tx.get(key((i * 7919) % records)) !== undefined) found++;
    });
  }
  if (found !== 50_000) throw new Error(`found ${found} of 50,000`);
  return 50_000 / ((performance.now() - t) / 1000);
}

async function run(label: string, creds: object): Promise<Figures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-encbench-'));
  const file = path.join(dir, 'db');
  try {
    // A large checkpoint threshold keeps the write phases' WAL byte counts exact.
    const db = await open(file, { ...creds, create: true, walCheckpointBytes: 1 << 30 });
    await load(db);
    const w = await writes(db);
    await db.close();
    const again = await open(file, { ...creds, cacheBytes: 4 << 20 });
    const r = reads(again);
    await again.close();
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    console.log(`${label.padEnd(10)} WAL ${fmt(w.walBytes)} B/commit | sequential ` +
      `${fmt(w.sequential)}/s | 16 writers ${fmt(w.concurrent)}/s, ${fmt(w.cpuMicros)} µs CPU ` +
      `per commit | reads (4 MiB cache) ${fmt(r)}/s`);
    return { ...w, reads: r };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`encryption bench: ${records.toLocaleString('en-US')} records, page size 4096`);
await run('plain', {});
await run('encrypted', { encryptionKey: new Uint8Array(32).fill(7) });
