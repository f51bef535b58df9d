/**
 * Operations benchmark (issue #6): compaction MB/s, hot backup MB/s and verify time for a
 * 100k-cell database.
 *
 * Method: build an MVCC (v2) database of 100,000 encoded cells on a real temp directory
 * (20 commits of 5,000 cells, written through the engine's RecordWriter at the store level,
 * since Database's cell API is being implemented in parallel), delete a quarter in one more
 * commit, checkpoint; then time compactDatabase, backupTo and verifyBackup once each. MB/s is
 * source primary bytes read per second of wall time (the destination is smaller). The figures
 * include fsyncs. Run: npx tsx bench/ops-bench.ts [cells] [--encrypted]
 * With --encrypted the database uses a raw key: the copy opens and re-seals every page (for the
 * destination's new file id), and verify opens a sealed copy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeCell } from '../src/engine/codec.js';
import { cellKey, timelineKey } from '../src/engine/keys.js';
import { RecordWriter } from '../src/mvcc/records.js';
import { backupTo } from '../src/ops/backup.js';
import { compactDatabase } from '../src/ops/compact.js';
import { verifyBackup } from '../src/ops/verify.js';
import { openStore } from '../src/storage/open-store.js';
import type { Store } from '../src/storage/store.js';

const args = process.argv.slice(2);
const encrypted = args.includes('--encrypted');
const cells = Number(args.find((a) => !a.startsWith('--')) ?? 100_000);
const creds = encrypted ? { encryptionKey: new Uint8Array(32).fill(7) } : {};
const perCommit = 5000;

function cellBytes(i: number): Uint8Array {
  return encodeCell({
    coord: { q: i % 1000, r: Math.floor(i / 1000) }, tags: [], activeFacetId: 0,
    rawContent: `cell ${i}: ${'memory of something said earlier, '.repeat(1 + (i % 4))}`,
    provenance: { sourceId: '', confidence: 0.9, createdAtMs: 1, updatedAtMs: 1 },
    validity: {},
  });
}

async function build(store: Store): Promise<void> {
  for (let start = 0; start < cells; start += perCommit) {
    await store.update((tx) => {
      const w = new RecordWriter(tx, true);
      for (let i = start; i < Math.min(cells, start + perCommit); i++) {
        w.put(cellKey({ q: i % 1000, r: Math.floor(i / 1000) }), cellBytes(i));
      }
      tx.put(timelineKey(Date.now(), w.writeSeq), Uint8Array.of(1));
    });
  }
  await store.update((tx) => {
    const w = new RecordWriter(tx, true);
    for (let i = 0; i < cells; i += 4) w.delete(cellKey({ q: i % 1000, r: Math.floor(i / 1000) }));
    tx.put(timelineKey(Date.now(), w.writeSeq), Uint8Array.of(1));
  });
  await store.checkpoint();
}

const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-ops-bench-'));
  try {
    const store = await openStore(path.join(dir, 'bench.db'), { mvcc: true, ...creds });
    console.log(encrypted ? 'encrypted (AES-256-GCM, raw key)' : 'plain');
    let t = performance.now();
    await build(store);
    const sourceBytes = store.stats().pageCount * store.pageSize;
    console.log(`build: ${cells} cells, ${mb(sourceBytes)} MiB primary, ` +
      `${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const c = await compactDatabase({ storage: store }, path.join(dir, 'compact.db'));
    let s = (performance.now() - t) / 1000;
    console.log(`compaction: ${mb(c.sourceBytes)} MiB -> ${mb(c.bytes)} MiB, ${c.entries} ` +
      `entries in ${s.toFixed(2)} s = ${(c.sourceBytes / 1048576 / s).toFixed(1)} MB/s`);
    t = performance.now();
    const b = await backupTo({ storage: store }, path.join(dir, 'backup'));
    s = (performance.now() - t) / 1000;
    console.log(`backup: ${mb(b.copy.sourceBytes)} MiB in ${s.toFixed(2)} s = ` +
      `${(b.copy.sourceBytes / 1048576 / s).toFixed(1)} MB/s`);
    t = performance.now();
    const v = await verifyBackup(path.join(dir, 'backup'), creds);
    console.log(`verify: ${v.ok ? 'ok' : `FAILED ${v.errors.join('; ')}`}, ` +
      `${v.health?.cellCount ?? 0} cells in ${((performance.now() - t) / 1000).toFixed(2)} s`);
    await store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
