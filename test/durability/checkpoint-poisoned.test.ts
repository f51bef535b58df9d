/**
 * Goal: checkpoint() on a poisoned database rejects with DatabasePoisoned and writes nothing to
 * the primary (a checkpoint's first part runs before the gate; it must check first). Poisoned by
 * a log fsync failure, and by a failed log reset (plain and encrypted; the reset may have
 * truncated the log the durable page map still points into).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import type { OpenOptions, StorageFile } from '../../src/storage/file.js';
import { keyA } from '../crypto/helpers.js';
import { armThrow } from '../fault/failpoints.js';
import { disarmFailpoints } from '../../src/failpoints.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';

/** Counts writes and syncs of the primary; can fail the next directory fsync. */
class CountingFs extends MemoryFileSystem {
  primaryWrites = 0;
  primarySyncs = 0;
  failDirSync = false;
  override open(filePath: string, options?: OpenOptions): StorageFile {
    const f = super.open(filePath, options);
    if (!filePath.endsWith('.db')) return f;
    const self = this;
    return {
      get path() { return f.path; },
      read: (b: Uint8Array, p: number) => f.read(b, p),
      write: (b: Uint8Array, p: number) => { self.primaryWrites++; f.write(b, p); },
      sync: async () => { self.primarySyncs++; await f.sync(); },
      truncate: (n: number) => f.truncate(n),
      size: () => f.size(),
      close: () => f.close(),
    };
  }
  override async syncDirectory(dir: string): Promise<void> {
    if (this.failDirSync) {
      this.failDirSync = false;
      throw Object.assign(new Error('EIO dir fsync'), { code: 'EIO' });
    }
    return super.syncDirectory(dir);
  }
}

const enc = new TextEncoder();

async function load(db: Database, from: number, to: number): Promise<void> {
  await db.update((tx) => {
    for (let i = from; i < to; i++) tx.put(enc.encode(`k${i}`), enc.encode(`v${i} `.repeat(20)));
  });
}

afterEach(() => disarmFailpoints());

/** checkpoint() on the poisoned `db` rejects with DatabasePoisoned and writes no primary page. */
async function expectRefusedWithoutWrites(db: Database, fs: CountingFs): Promise<void> {
  const writes = fs.primaryWrites;
  const err = await db.checkpoint().then(() => null, (e: unknown) => e);
  expect({ code: (err as { code?: string }).code, message: (err as Error).message,
    writes: fs.primaryWrites - writes })
    .toEqual({ code: 'DatabasePoisoned', message: expect.any(String), writes: 0 });
}

describe('checkpoint() on a poisoned database', () => {
  it('after a log fsync failure: rejects, nothing reaches the primary', async () => {
    const fs = new CountingFs();
    fs.mkdirp('/d');
    const db = await open('/d/p.db', { fs, walCheckpointBytes: 1 << 20 });
    await load(db, 0, 500);
    armThrow('wal-before-sync', { once: true });
    await expect(load(db, 500, 600)).rejects.toMatchObject({ code: 'DatabasePoisoned' });
    expect(db.storage.poisoned).not.toBeNull();
    const writes = fs.primaryWrites;
    const syncs = fs.primarySyncs;
    await expect(db.checkpoint()).rejects.toMatchObject({ code: 'DatabasePoisoned' });
    // A poisoned database "refuses writes until reopened": nothing should reach the primary.
    expect({ writes: fs.primaryWrites - writes, syncs: fs.primarySyncs - syncs })
      .toEqual({ writes: 0, syncs: 0 });
    await db.close();
  });

  it('encrypted, after a failed log reset: rejects, nothing reaches the primary', async () => {
    const fs = new CountingFs();
    fs.mkdirp('/d');
    const db = await open('/d/e.db', { fs, walCheckpointBytes: 1 << 20, encryptionKey: keyA,
      cacheBytes: 64 * 4096 });
    await load(db, 0, 3000);
    fs.failDirSync = true; // resetWal: wal.reset succeeded, the directory fsync fails: poison
    await expect(db.checkpoint()).rejects.toMatchObject({ code: 'DatabasePoisoned' });
    await expectRefusedWithoutWrites(db, fs);
    await db.close();
  });
});

describe('checkpoint() on a poisoned database, log truncated by the reset', () => {
  it('plain: rejects with DatabasePoisoned, not CorruptDatabase from stale log refs', async () => {
    const fs = new CountingFs();
    fs.mkdirp('/d');
    const db = await open('/d/t.db', { fs, walCheckpointBytes: 64 * 1024, cacheBytes: 64 * 4096 });
    fs.failDirSync = true; // the automatic checkpoint after this commit: reset, dir fsync fails
    await load(db, 0, 4000);
    for (let i = 0; i < 100 && db.storage.poisoned === null; i++) {
      await new Promise((r) => setImmediate(r));
    }
    expect(db.storage.poisoned?.code).toBe('DatabasePoisoned');
    await expectRefusedWithoutWrites(db, fs);
    await db.close();
  });
});
