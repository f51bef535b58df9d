/**
 * The log counters in stats(): walBytesWritten (bytes of frames written since open, across
 * checkpoints) and walSyncMicros (wall time of the log's fsyncs). The benchmark divides them to
 * show where durable-commit time goes, so they must count exactly what they say.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isHexxlaError, open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import { FaultyFileSystem } from '../fault/faulty-fs.js';
import { HookedFs } from '../fault/hooked-fs.js';

const enc = new TextEncoder();

/** The counters that count since open; they must never go back. */
function sinceOpen(db: Database): number[] {
  const s = db.stats();
  return [s.commits, s.walBytesWritten, s.walSyncs, s.walSyncMicros, s.checkpoints];
}

describe('stats: log counters', () => {
  it('count the bytes written to the log, also across a checkpoint', async () => {
    // Random values: DEFLATE cannot shrink them, so the frames hold at least their bytes.
    const fs = new HookedFs();
    const db = await open('/m/db', { fs });
    const s0 = db.stats();
    await db.update((tx) => tx.put(enc.encode('a'), randomBytes(3000)));
    await db.update((tx) => tx.put(enc.encode('b'), randomBytes(200)));
    const s1 = db.stats();
    // No checkpoint yet: the log grew by exactly the bytes written.
    expect(s1.walBytesWritten - s0.walBytesWritten).toBe(s1.walBytes - s0.walBytes);
    expect(s1.walBytesWritten - s0.walBytesWritten).toBeGreaterThan(3200);
    await db.checkpoint();
    const s2 = db.stats();
    expect(s2.walBytes).toBeLessThan(s1.walBytes); // the log restarted...
    expect(s2.walBytesWritten).toBe(s1.walBytesWritten); // ...the counter did not
    await db.update((tx) => tx.put(enc.encode('c'), enc.encode('x')));
    const s3 = db.stats();
    expect(s3.walBytesWritten - s2.walBytesWritten).toBe(s3.walBytes - s2.walBytes);
    await db.close();
  });

  it('add up the wall time of the log fsyncs', async () => {
    const fs = new HookedFs();
    const db = await open('/m/db', { fs });
    const s0 = db.stats();
    fs.beforeSync = (path) => {
      if (path.endsWith('-wal')) return new Promise((resolve) => setTimeout(resolve, 10));
    };
    for (let i = 0; i < 3; i++) await db.update((tx) => tx.put(enc.encode(`k${i}`), enc.encode('v')));
    const s1 = db.stats();
    const syncs = s1.walSyncs - s0.walSyncs;
    expect(syncs).toBe(3);
    // Node may fire a 10 ms timer up to ~1 ms early; a slow machine only adds time.
    expect(s1.walSyncMicros - s0.walSyncMicros).toBeGreaterThanOrEqual(syncs * 9_000);
    await db.close();
  });

  it('do not count a batch whose write failed part-way (ENOSPC)', async () => {
    const fs = new FaultyFileSystem({ seed: 5 });
    fs.mkdirp('/d');
    const db = await open('/d/db', { fs });
    await db.update((tx) => tx.put(enc.encode('a'), enc.encode('1')));
    const s0 = db.stats();
    fs.setDiskLimitBytes(fs.diskUsageBytes() + 100, { onExceed: 'write-prefix' });
    const failed = await db.update((tx) => tx.put(enc.encode('b'), randomBytes(5000)))
      .then(() => null, (err: unknown) => err);
    expect(isHexxlaError(failed) && failed.code).toBe('DiskFull');
    const s1 = db.stats();
    expect([s1.walBytesWritten, s1.walSyncs, s1.commits])
      .toEqual([s0.walBytesWritten, s0.walSyncs, s0.commits]);
    fs.setDiskLimitBytes(null);
    await db.update((tx) => tx.put(enc.encode('c'), enc.encode('3')));
    const s2 = db.stats();
    // The log was truncated back to its last durable byte: it grew by what was counted.
    expect(s2.walBytesWritten - s1.walBytesWritten).toBe(s2.walBytes - s1.walBytes);
    expect(s2.walSyncs).toBe(s1.walSyncs + 1);
    await db.close();
  });

  it('carry over a live compaction swap and an online key rotation', async () => {
    const fs = new HookedFs();
    fs.mkdirp('/d');
    const db = await open('/d/db', { fs, encryptionKey: new Uint8Array(32).fill(1) });
    for (let i = 0; i < 5; i++) await db.update((tx) => tx.put(enc.encode(`k${i}`), enc.encode('v')));
    const before = sinceOpen(db);
    await db.compact('/d/swap.tmp', { swap: true });
    const afterSwap = sinceOpen(db);
    afterSwap.forEach((n, i) => expect(n, `counter ${i} after the swap`).toBeGreaterThanOrEqual(
      before[i]!));
    await db.rotateEncryption({ encryptionKey: new Uint8Array(32).fill(2) });
    const afterRotation = sinceOpen(db);
    afterRotation.forEach((n, i) => expect(n, `counter ${i} after the rotation`)
      .toBeGreaterThanOrEqual(afterSwap[i]!));
    await db.update((tx) => tx.put(enc.encode('after'), enc.encode('v')));
    expect(db.stats().commits).toBe(afterRotation[0]! + 1);
    await db.close();
  });
});
