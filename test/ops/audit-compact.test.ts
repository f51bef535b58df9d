/**
 * Goal: defects found by the library audit of compaction (SPEC §7, §8): the compacted file
 * starts a fresh changelog. Compaction already removes a `<dest>-wal` left by an earlier
 * database of the destination's name; a `<dest>-changelog` left the same way made the compacted
 * database fail to open with its changelog on (ChangelogCorrupt: another database's log).
 * Method: public API on real directories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactFile, coord, open } from '../../src/index.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

async function dbWithCell(file: string, content: string): Promise<void> {
  const db = await open(file, { changelog: true });
  await db.putCell({ coord: coord(0, 0), rawContent: content });
  await db.close();
}

describe('compaction over the leftovers of an earlier database', () => {
  it('the compacted database opens with a fresh changelog', async () => {
    const root = tempDir('compact-stale');
    const dest = path.join(root, 'dest.db');
    await dbWithCell(dest, 'earlier database');
    fs.rmSync(dest); // removed by hand, its -wal and -changelog left behind
    const src = path.join(root, 'src.db');
    await dbWithCell(src, 'source');
    const live = await open(src, { changelog: true });
    try {
      await live.compact(dest);
    } finally {
      await live.close();
    }
    const dest2 = path.join(root, 'dest2.db');
    await dbWithCell(path.join(root, 'other.db'), 'other');
    fs.copyFileSync(path.join(root, 'other.db-changelog'), `${dest2}-changelog`);
    await compactFile(src, dest2);
    for (const file of [dest, dest2]) {
      const db = await open(file, { changelog: true });
      try {
        expect(db.getCell(coord(0, 0))?.rawContent).toBe('source');
        expect(db.readChangelogSince(db.changelogStartSeq())).toEqual([]);
      } finally {
        await db.close();
      }
    }
  });
});

describe('compaction progress callback', () => {
  it('a rejecting async onProgress fails the copy instead of crashing the process', async () => {
    const root = tempDir('compact-progress');
    const src = path.join(root, 'src.db');
    const db = await open(src, { mvcc: true });
    const unhandled: unknown[] = [];
    const on = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', on);
    try {
      await db.putCells(Array.from({ length: 50 }, (_, i) =>
        ({ coord: coord(i, 0), rawContent: `${i}` })));
      const onProgress = (async () => {
        throw new Error('progress sink down');
      }) as unknown as () => void;
      const dest = path.join(root, 'dest.db');
      await expect(db.compact(dest, { chunkEntries: 10, onProgress }))
        .rejects.toThrow('progress sink down');
      // Only the final report (one chunk): its rejection was recorded and then ignored.
      await expect(db.compact(path.join(root, 'dest2.db'), { chunkEntries: 10_000, onProgress }))
        .rejects.toThrow('progress sink down');
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(fs.readdirSync(root).filter((n) => n.startsWith('dest'))).toEqual([]);
    } finally {
      process.off('unhandledRejection', on);
      await db.close();
    }
  });
});
