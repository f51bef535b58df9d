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
import type { FileSystem } from '../../src/storage/file.js';
import { CommitDriver, readState } from '../durability/commit-workload.js';
import { HookedFs } from '../fault/hooked-fs.js';
import { keyA } from './helpers.js';

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
