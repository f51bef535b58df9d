/**
 * Prune benchmark (issue #4, SPEC §6). Not a test: it prints figures, it asserts nothing.
 *
 * Data: an MVCC database on the real disk (under os.tmpdir(), removed at the end) with N cell
 * keys (default 100,000) written in V rounds (default 5), so every key has V versions, ~120-byte
 * values, transactions of 5,000 records. Then pruneCellVersions(head, M) is called until it
 * returns 0 (M default 10,000: the balanced profile's per-pass bound), so (V − 1) × N versions go.
 * Printed: load rate, versions removed per second (wall clock, fsyncs included), calls, the
 * slowest call, versioned rows before/after, and the time of a final pass that finds nothing
 * (one full scan of what is left).
 * Writes go through RecordWriter on the store directly: the cells API may not exist yet, and
 * record values are opaque to pruning.
 * Usage: npm run bench:prune [-- --keys N --versions V --max-delete M --dir DIR]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cellKey } from '../src/engine/keys.js';
import { open } from '../src/index.js';
import type { Database } from '../src/index.js';
import { RecordWriter } from '../src/mvcc/records.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    versions: { type: 'string', default: '5' },
    'max-delete': { type: 'string', default: '10000' },
    dir: { type: 'string' },
  },
});
const keyCount = Number(args.keys);
const versionCount = Number(args.versions);
const maxDelete = Number(args['max-delete']);
const txRecords = 5_000;

function ms(from: bigint): number {
  return Number(process.hrtime.bigint() - from) / 1e6;
}

function rate(n: number, elapsedMs: number): string {
  return Math.round(n / (elapsedMs / 1000)).toLocaleString('en-US');
}

function versionedRows(db: Database): number {
  return db.storage.view((tx) => {
    let n = 0;
    for (const _ of tx.range({ start: Uint8Array.of(0x10), end: Uint8Array.of(0x40) })) n++;
    return n;
  });
}

async function load(db: Database, keys: Uint8Array[]): Promise<void> {
  const value = new Uint8Array(120);
  for (let round = 0; round < versionCount; round++) {
    for (let at = 0; at < keys.length; at += txRecords) {
      await db.storage.update((tx) => {
        const w = new RecordWriter(tx, true);
        for (let i = at; i < Math.min(at + txRecords, keys.length); i++) {
          value[0] = round;
          value[1] = i & 0xff;
          w.put(keys[i]!, value);
        }
      });
    }
  }
}

async function pruneAll(db: Database): Promise<{ removed: number; calls: number;
  slowestMs: number; lastMs: number }> {
  let removed = 0;
  let calls = 0;
  let slowestMs = 0;
  let lastMs = 0;
  for (;;) {
    const t = process.hrtime.bigint();
    const r = await db.pruneCellVersions(db.commitSeq(), maxDelete);
    lastMs = ms(t);
    calls++;
    if (r === 0) return { removed, calls, slowestMs, lastMs };
    slowestMs = Math.max(slowestMs, lastMs);
    removed += r;
  }
}

async function main(): Promise<void> {
  const dir = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-prune-bench-'));
  const file = path.join(dir, 'prune.db');
  const db = await open(file, { mvcc: true });
  try {
    const keys = Array.from({ length: keyCount }, (_, i) =>
      cellKey({ q: (i % 1000) - 500, r: Math.floor(i / 1000) - 500 }));
    let t = process.hrtime.bigint();
    await load(db, keys);
    const loadMs = ms(t);
    const rowsBefore = versionedRows(db);
    console.log(`load: ${keyCount.toLocaleString('en-US')} keys x ${versionCount} versions, ` +
      `${rate(rowsBefore, loadMs)} versions/s, ${rowsBefore.toLocaleString('en-US')} rows`);
    t = process.hrtime.bigint();
    const r = await pruneAll(db);
    const pruneMs = ms(t);
    console.log(`prune: ${r.removed.toLocaleString('en-US')} versions in ${Math.round(pruneMs)} ` +
      `ms = ${rate(r.removed, pruneMs)} versions/s; ${r.calls} calls of <= ` +
      `${maxDelete.toLocaleString('en-US')}, slowest ${r.slowestMs.toFixed(1)} ms`);
    console.log(`final empty pass (full scan of what is left): ${r.lastMs.toFixed(1)} ms`);
    console.log(`versioned rows: ${rowsBefore.toLocaleString('en-US')} -> ` +
      `${versionedRows(db).toLocaleString('en-US')}; commits ${db.commitSeq()}`);
  } finally {
    await db.close();
    if (args.dir === undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
