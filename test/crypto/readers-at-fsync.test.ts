/**
 * Goal: no read of an encrypted database reports false corruption while commits are in flight
 * or a checkpoint is half done (page versions: each primary page is opened with the version the
 * durable map names; the checkpoint rewrites primary pages before the header names their state).
 *
 * Method: a file system that, at every file fsync (log batches, the checkpoint's primary fsyncs
 * before and after the header write, the log reset), first runs a full structural check with
 * value verification and a full scan of the database. These run exactly at the points where the
 * primary holds newer pages than its header, or the log holds commits not yet durable. Writers
 * are grouped and the cache is at its minimum, so reads go to the files. Plain and MVCC formats.
 *
 * Property: every check is clean and every scan succeeds; at least one checkpoint happens.
 */
import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import type { Database } from '../../src/index.js';
import type { FileSystem, OpenOptions, StorageFile } from '../../src/storage/file.js';
import { CommitDriver, readState } from '../durability/commit-workload.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';
import { keyA } from './helpers.js';

/** A StorageFile whose sync runs `beforeSync` first. */
class HookedFile implements StorageFile {
  constructor(private readonly f: StorageFile, private readonly beforeSync: (path: string) => void) {}
  get path(): string {
    return this.f.path;
  }
  read(buf: Uint8Array, position: number): number {
    return this.f.read(buf, position);
  }
  write(buf: Uint8Array, position: number): void {
    this.f.write(buf, position);
  }
  async sync(): Promise<void> {
    this.beforeSync(this.f.path);
    await this.f.sync();
  }
  truncate(size: number): void {
    this.f.truncate(size);
  }
  size(): number {
    return this.f.size();
  }
  close(): void {
    this.f.close();
  }
}

/** MemoryFileSystem whose files run `beforeSync` at each fsync. */
class HookedFs extends MemoryFileSystem {
  beforeSync: (path: string) => void = () => undefined;
  override open(filePath: string, options?: OpenOptions): StorageFile {
    return new HookedFile(super.open(filePath, options), (p) => this.beforeSync(p));
  }
}

describe('reads at every fsync of an encrypted database', () => {
  for (const mvcc of [false, true]) {
    it(`find no false corruption (mvcc: ${mvcc})`, async () => {
      const fs: HookedFs & FileSystem = new HookedFs();
      fs.mkdirp('/d');
      const problems: string[] = [];
      let primaryProbes = 0;
      let db: Database | null = null;
      fs.beforeSync = (path) => {
        if (db === null) return;
        if (path.endsWith('.db')) primaryProbes++; // the checkpoint's fsyncs of the primary
        try {
          const report = db.check({ verifyValues: true });
          if (!report.ok) problems.push(report.errors[0]!);
          db.view((tx) => readState(tx));
        } catch (err) {
          problems.push(String(err));
        }
      };
      db = await open('/d/e.db', { fs, encryptionKey: keyA, walCheckpointBytes: 64 * 1024,
        cacheBytes: 0, mvcc });
      const driver = new CommitDriver(17);
      for (let round = 0; round < 12; round++) {
        await Promise.all([driver.commit(db), driver.group(db, 5), driver.commit(db)]);
      }
      const checkpoints = db.stats().checkpoints;
      await db.close();
      db = null;
      expect(problems).toEqual([]);
      expect(checkpoints).toBeGreaterThan(1);
      expect(primaryProbes).toBeGreaterThanOrEqual(checkpoints * 2);
    }, 120_000);
  }
});
