/**
 * Goal: compaction, hot backup, verify and restore work through the public library API on a
 * database of cells: the backup drill of SPEC §9 end to end, and prune + compact shrinking a file.
 * Method: real temp directories; cells written with db.update while the backup runs; the restored
 * copy must read exactly like the source at the manifest's commit seq (viewAt).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coord, open, restore, verifyBackup, type Database } from '../../src/index.js';
import { cleanup, tempDir } from './helpers.js';

const cellsAt = (db: Database, seq?: bigint): string[] => {
  const read = (tx: { listCells(): { coord: { q: number; r: number }; rawContent: string }[] }) =>
    tx.listCells().map((c) => `${c.coord.q},${c.coord.r}=${c.rawContent}`);
  return seq === undefined ? db.view(read) : db.viewAt(seq, read);
};

describe('operations through the public API', () => {
  it('a hot backup taken during writes restores to exactly its commit seq', async () => {
    const dir = tempDir('drill');
    try {
      const db = await open(path.join(dir, 'live.db'), { mvcc: true });
      await db.update((tx) => {
        for (let i = 0; i < 300; i++) tx.putCell({ coord: coord(i, 0), rawContent: `v0-${i}` });
      });
      let writing = true;
      const writer = (async () => {
        for (let n = 0; writing; n++) {
          await db.update((tx) => {
            if (n % 4 === 3) tx.deleteCell(coord(n % 300, 0));
            else tx.putCell({ coord: coord(n % 300, 0), rawContent: `v${n}` });
          });
        }
      })();
      const backup = await db.backupTo(path.join(dir, 'backup'), {
        pace: () => new Promise((resolve) => setTimeout(resolve, 1)) });
      writing = false;
      await writer;
      expect(db.commitSeq()).toBeGreaterThan(backup.copy.commitSeq);
      const report = await verifyBackup(path.join(dir, 'backup'));
      expect(report.ok).toBe(true);
      const target = path.join(dir, 'restored.db');
      await restore(path.join(dir, 'backup'), target);
      const copy = await open(target);
      expect(copy.commitSeq()).toBe(backup.copy.commitSeq);
      expect(cellsAt(copy)).toEqual(cellsAt(db, backup.copy.commitSeq));
      expect(copy.healthCheck().ok).toBe(true);
      await copy.close();
      await db.close();
    } finally {
      cleanup(dir);
    }
  });

  it('prune then compact shrinks the file and keeps what is readable', async () => {
    const dir = tempDir('shrink');
    try {
      const db = await open(path.join(dir, 'big.db'), { mvcc: true });
      const text = 'x'.repeat(300);
      for (let round = 0; round < 5; round++) {
        await db.update((tx) => {
          for (let i = 0; i < 400; i++) {
            tx.putCell({ coord: coord(i, round % 2), rawContent: `${round}-${i}-${text}` });
          }
        });
      }
      const head = db.commitSeq();
      while ((await db.pruneCellVersions(head, 10_000)) > 0) { /* until nothing is left */ }
      const dest = path.join(dir, 'small.db');
      const result = await db.compact(dest);
      await db.checkpoint();
      const before = fs.statSync(path.join(dir, 'big.db')).size;
      const after = fs.statSync(dest).size;
      console.log(`prune + compact: ${before} -> ${after} bytes (${result.commitSeq})`);
      expect(after).toBeLessThan(before * 0.6);
      const copy = await open(dest);
      expect(cellsAt(copy)).toEqual(cellsAt(db));
      expect(copy.healthCheck().ok).toBe(true);
      await copy.close();
      await db.close();
    } finally {
      cleanup(dir);
    }
  });

  it('compact with swap replaces the live files while writers wait, then they go on', async () => {
    const dir = tempDir('swap');
    try {
      const file = path.join(dir, 'live.db');
      const db = await open(file, { mvcc: true });
      for (let round = 0; round < 4; round++) {
        await db.update((tx) => {
          for (let i = 0; i < 300; i++) {
            tx.putCell({ coord: coord(i, 0), rawContent: `${round}-${i}-${'y'.repeat(200)}` });
          }
        });
      }
      while ((await db.pruneCellVersions(db.commitSeq(), 10_000)) > 0) { /* until none left */ }
      await db.checkpoint();
      const before = fs.statSync(file).size;
      const swap = db.compact(path.join(dir, 'tmp.db'), { swap: true });
      const waiting = db.putCell({ coord: coord(-1, -1), rawContent: 'written during the swap' });
      const result = await swap;
      await waiting;
      await db.checkpoint();
      expect(fs.statSync(file).size).toBeLessThan(before * 0.6);
      expect(db.getCell(coord(-1, -1))?.rawContent).toBe('written during the swap');
      expect(db.viewAt(result.commitSeq, (tx) => tx.listCells()).length).toBe(300);
      expect(db.check().ok && db.healthCheck().ok).toBe(true);
      await db.close();
      const again = await open(file);
      expect(again.view((tx) => tx.listCells()).length).toBe(301);
      await again.close();
    } finally {
      cleanup(dir);
    }
  });

  it('a backup lease reports byte ranges that copy to a database at its seq', async () => {
    const dir = tempDir('lease');
    try {
      const file = path.join(dir, 'live.db');
      const db = await open(file, { mvcc: true });
      for (let i = 0; i < 50; i++) await db.putCell({ coord: coord(i, 1), rawContent: `${i}` });
      const lease = await db.beginBackupLease({ ttlMs: 60_000 });
      await db.putCell({ coord: coord(99, 1), rawContent: 'after the lease' });
      await expect(db.checkpoint()).rejects.toMatchObject({ code: 'PreconditionFailed' });
      fs.mkdirSync(path.join(dir, 'copy'));
      for (const f of lease.files) {
        const bytes = fs.readFileSync(f.path).subarray(0, f.bytes);
        fs.writeFileSync(path.join(dir, 'copy', path.basename(f.path)), bytes);
      }
      expect(db.endBackupLease(lease.id)).toBe(true);
      expect(() => db.renewBackupLease(lease.id)).toThrowError(
        expect.objectContaining({ code: 'NotFound' }));
      await db.checkpoint();
      const copy = await open(path.join(dir, 'copy', 'live.db'));
      expect(copy.commitSeq()).toBe(lease.commitSeq);
      expect(copy.view((tx) => tx.listCells()).length).toBe(50);
      expect(copy.healthCheck().ok).toBe(true);
      await copy.close();
      await db.close();
    } finally {
      cleanup(dir);
    }
  });

  it('a swap with the changelog on starts a fresh log on the compacted file', async () => {
    const dir = tempDir('swaplog');
    try {
      const file = path.join(dir, 'live.db');
      const db = await open(file, { mvcc: true, changelog: true });
      for (let i = 0; i < 20; i++) await db.putCell({ coord: coord(i, 2), rawContent: `${i}` });
      expect(db.readChangelogSince(0n)).toHaveLength(20);
      const result = await db.compact(path.join(dir, 'tmp.db'), { swap: true });
      expect(db.changelogStartSeq()).toBe(result.commitSeq);
      expect(() => db.readChangelogSince(0n)).toThrowError(
        expect.objectContaining({ code: 'PreconditionFailed' }));
      expect(db.readChangelogSince(result.commitSeq)).toEqual([]);
      await db.putCell({ coord: coord(0, 3), rawContent: 'after' });
      expect(db.readChangelogSince(result.commitSeq).map((e) => e.seq))
        .toEqual([result.commitSeq + 1n]);
      await db.close();
      const again = await open(file, { changelog: true });
      expect(again.readChangelogSince(again.changelogStartSeq())).toHaveLength(1);
      expect(again.healthCheck().ok).toBe(true);
      await again.close();
    } finally {
      cleanup(dir);
    }
  });
});
