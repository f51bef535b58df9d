/**
 * Backup lease (SPEC §9): begin → a consistent set of byte ranges, the primary kept stable while
 * writes continue → the operator copies → end; a TTL expires a crashed client's lease.
 *
 * Method: white-box on the Store (the Database wiring is the engine owner's): a v1 store on a real
 * directory where commit k writes key k, so the state at seq S is known exactly. The test copies
 * the reported ranges with plain node:fs reads, in pieces, while a writer keeps committing (past
 * the automatic checkpoint threshold), then opens the copy.
 * Properties:
 *   1. the copy opens at exactly the lease's commit seq, holds exactly the commits ≤ that seq
 *      (none later, none missing) and passes check();
 *   2. while a lease is held no checkpoint runs (automatic ones are skipped, an explicit one is
 *      PreconditionFailed); after the last lease ends the next commit checkpoints again;
 *   3. two leases coexist; ending one keeps the primary stable for the other;
 *   4. the TTL expires a lease (fake timers, no sleeping); renew extends it; an unknown id ends
 *      as false; bad TTLs are InvalidArgument;
 *   5. close() with a lease held does not write the primary; reopening recovers every commit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isHexxlaError } from '../../src/errors.js';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';
import type { BackupLease } from '../../src/storage/lease.js';
import { bytesOf, checkErrors, treeEntries, useTempDirs } from './helpers.js';

const dir = useTempDirs();
afterEach(() => {
  vi.useRealTimers();
});

const walCheckpointBytes = 64 * 1024;
const key = (k: number): Uint8Array => Buffer.from(`commit-${String(k).padStart(6, '0')}`);
const value = (k: number): Uint8Array => bytesOf(k, 300 + (k % 700));

/** Commit k (1-based over the store's life) writes key k; seq = k on a fresh store. */
async function commit(store: Store): Promise<void> {
  await store.update((tx) => {
    const k = Number(store.latestCommitSeq) + 1;
    tx.put(key(k), value(k));
  });
}

/** Copies bytes [0, bytes) of each leased file into `toDir` in 4 KiB pieces, `between` each. */
async function copyLeased(lease: BackupLease, toDir: string,
  between: () => Promise<void>): Promise<string> {
  fs.mkdirSync(toDir, { recursive: true });
  for (const f of lease.files) {
    const src = fs.openSync(f.path, 'r');
    const dst = fs.openSync(path.join(toDir, path.basename(f.path)), 'w');
    const buf = Buffer.alloc(4096);
    for (let at = 0; at < f.bytes; at += buf.length) {
      const n = fs.readSync(src, buf, 0, Math.min(buf.length, f.bytes - at), at);
      fs.writeSync(dst, buf, 0, n, at);
      await between(); // writes continue between pieces
    }
    fs.closeSync(src);
    fs.closeSync(dst);
  }
  return path.join(toDir, path.basename(lease.files[0]!.path));
}

const refused = (e: unknown): boolean => isHexxlaError(e, 'PreconditionFailed');

describe('backup lease', () => {
  it('a copy of the leased ranges taken during writes opens at exactly the lease seq',
    async () => {
      const d = dir('lease');
      const file = path.join(d, 'db.db');
      const store = await openStore(file, { walCheckpointBytes });
      for (let i = 0; i < 150; i++) await commit(store); // crosses checkpoints
      const checkpointsBefore = store.stats().checkpoints;
      expect(checkpointsBefore).toBeGreaterThan(0);
      // Commits in flight while the lease begins: its seq says which of them its set holds.
      const inFlight = Promise.all([commit(store), commit(store), commit(store)]);
      const lease = await store.beginBackupLease({ ttlMs: 60_000 });
      expect(lease.files.map((f) => f.role)).toEqual(['primary', 'wal']);
      const copy = await copyLeased(lease, path.join(d, 'copy'), () => commit(store));
      await inFlight;
      while (store.stats().walBytes <= 2 * walCheckpointBytes) await commit(store);
      expect(store.commitSeq).toBeGreaterThan(lease.commitSeq + 20n);
      // The log is far past the checkpoint threshold ...
      expect(store.stats().checkpoints).toBe(checkpointsBefore); // ... and no checkpoint ran
      await expect(store.checkpoint()).rejects.toSatisfy(refused);

      const opened = await openStore(copy, { create: false });
      expect(opened.commitSeq).toBe(lease.commitSeq);
      const expected = Array.from({ length: Number(lease.commitSeq) }, (_, i) =>
        [Buffer.from(key(i + 1)).toString('hex'), Buffer.from(value(i + 1)).toString('hex')]);
      expect(treeEntries(opened)).toEqual(expected);
      expect(checkErrors(opened)).toEqual([]);
      await opened.close();

      expect(store.endBackupLease(lease.id)).toBe(true);
      expect(store.endBackupLease(lease.id)).toBe(false);
      await commit(store); // the log is past the threshold: this commit checkpoints
      await vi.waitFor(() => expect(store.stats().checkpoints).toBeGreaterThan(checkpointsBefore));
      await store.close();
    });

  it('two leases coexist; the primary stays stable until the last one ends', async () => {
    const d = dir('lease2');
    const file = path.join(d, 'db.db');
    const store = await openStore(file);
    for (let i = 0; i < 5; i++) await commit(store);
    const a = await store.beginBackupLease();
    await commit(store);
    const b = await store.beginBackupLease();
    expect(b.commitSeq).toBe(a.commitSeq + 1n);
    expect(b.files[0]!.bytes).toBe(a.files[0]!.bytes); // the primary did not move
    expect(b.files[1]!.bytes).toBeGreaterThan(a.files[1]!.bytes);
    const primary = fs.readFileSync(file);
    expect(store.endBackupLease(a.id)).toBe(true);
    await expect(store.checkpoint()).rejects.toSatisfy(refused);
    await commit(store);
    expect(fs.readFileSync(file)).toEqual(primary);
    expect(store.backupLeases).toBe(1);
    expect(store.endBackupLease(b.id)).toBe(true);
    await store.checkpoint();
    expect(fs.readFileSync(file)).not.toEqual(primary);
    await store.close();
  });

  it('the TTL expires a forgotten lease; renew extends it; bad TTLs are refused', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const d = dir('lease-ttl');
    const store = await openStore(path.join(d, 'db.db'));
    await commit(store);
    const a = await store.beginBackupLease({ ttlMs: 1000 });
    const b = await store.beginBackupLease({ ttlMs: 1000 });
    vi.advanceTimersByTime(600);
    expect(store.renewBackupLease(b.id, { ttlMs: 1000 }).id).toBe(b.id);
    vi.advanceTimersByTime(600); // a: 1200 ms > 1000 (expired); b: 600 ms since renewal
    expect(store.backupLeases).toBe(1);
    expect(store.endBackupLease(a.id)).toBe(false);
    expect(() => store.renewBackupLease(a.id)).toThrow(expect.objectContaining(
      { code: 'NotFound' }));
    vi.advanceTimersByTime(500);
    expect(store.backupLeases).toBe(0);
    await store.checkpoint(); // nothing held any more
    for (const ttlMs of [0, -1, 1.5, 2 ** 40]) {
      await expect(store.beginBackupLease({ ttlMs })).rejects.toSatisfy(
        (e: unknown) => isHexxlaError(e, 'InvalidArgument'));
    }
    await store.close();
  });

  it('close with a lease held leaves the primary alone; reopen recovers from the log',
    async () => {
      const d = dir('lease-close');
      const file = path.join(d, 'db.db');
      const store = await openStore(file);
      for (let i = 0; i < 3; i++) await commit(store);
      await store.beginBackupLease();
      for (let i = 0; i < 4; i++) await commit(store);
      const primary = fs.readFileSync(file);
      await store.close();
      expect(fs.readFileSync(file)).toEqual(primary);
      const again = await openStore(file, { create: false });
      expect(again.commitSeq).toBe(7n);
      expect(treeEntries(again).length).toBe(7);
      await again.close();
    });
});
