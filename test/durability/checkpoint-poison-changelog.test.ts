/**
 * Goal: when a checkpoint's first part fails its primary fsync while a commit is in flight, that
 * commit, once durable and acknowledged, keeps its changelog record. Regression: the store was
 * poisoned at once, rolling the latest seq back; a later refused update settled the changelog
 * to that seq and truncated the in-flight commit's staged record.
 */
import { describe, expect, it } from 'vitest';
import { coord, open } from '../../src/index.js';
import { HookedFs } from '../fault/hooked-fs.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('primary fsync failure in checkpoint step 1 with a commit in flight', () => {
  it('the in-flight commit is durable and acknowledged; its changelog record must survive',
    async () => {
      const fs = new HookedFs();
      fs.mkdirp('/d');
      let holdWal = false;
      let failPrimary = false;
      let failedOnce = false;
      const waiting: Array<() => void> = [];
      fs.beforeSync = async (path) => {
        if (path.endsWith('-wal') && holdWal) {
          await new Promise<void>((resolve) => waiting.push(resolve));
        }
        if (path.endsWith('.db') && failPrimary) {
          failPrimary = false;
          failedOnce = true;
          throw Object.assign(new Error('EIO primary fsync'), { code: 'EIO' });
        }
      };
      const options = { fs, changelog: true, walCheckpointBytes: 1 << 20 };
      let db = await open('/d/c.db', options);
      for (let b = 0; b < 4; b++) {
        await db.update((tx) => {
          for (let i = 0; i < 200; i++) tx.putCell({ coord: coord(i, b), rawContent: 'v'.repeat(50) });
        });
      }
      const before = db.stats().commitSeq;

      holdWal = true;
      const c1 = db.update((tx) => tx.putCell({ coord: coord(999, 9), rawContent: 'in flight' }));
      for (let i = 0; i < 50 && waiting.length === 0; i++) await new Promise((r) => setImmediate(r));
      expect(waiting.length).toBe(1); // c1's WAL fsync is held

      failPrimary = true;
      // The checkpoint's step 1 fails its fsync while c1 is in flight: the store is poisoned
      // only under the gate, once c1 is durable (poisoning rolls back the state c1 built on).
      const ckpt = db.checkpoint().then(() => null, (e: unknown) => e);
      for (let i = 0; i < 50 && !failedOnce; i++) await new Promise((r) => setImmediate(r));
      expect(failedOnce).toBe(true);
      expect(db.storage.poisoned).toBeNull();
      // A later update waits at the gate, then fails (poisoned) and settles the changelog.
      const u = db.update((tx) => tx.putCell({ coord: coord(998, 9), rawContent: 'refused' }))
        .then(() => null, (e: unknown) => e);
      holdWal = false;
      for (const r of waiting.splice(0)) r();
      expect(((await ckpt) as { code?: string }).code).toBe('DatabasePoisoned');
      expect(((await u) as { code?: string }).code).toBe('DatabasePoisoned');
      await c1; // acknowledged: durable
      expect(db.stats().commitSeq).toBe(before + 1n);
      expect(db.view((tx) => tx.getCell(coord(999, 9)))?.rawContent).toBe('in flight');

      const keysLogged = db.readChangelogSince(before).map((e) => e.seq);
      expect(keysLogged).toEqual([before + 1n]);
      await db.close();

      db = await open('/d/c.db', options);
      expect(db.view((tx) => tx.getCell(coord(999, 9)))?.rawContent).toBe('in flight');
      const afterReopen = db.readChangelogSince(before).map((e) => e.seq);
      expect(afterReopen).toEqual([before + 1n]);
      await db.close();
    }, 30_000);
});
