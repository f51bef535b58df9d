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
});
