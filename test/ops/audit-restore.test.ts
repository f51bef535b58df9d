/**
 * Goal: defects found by the library audit of restore (SPEC §9, §4.1, §13): a destination that
 * cannot take the files fails with a typed error and leaves no `.restoring` temporaries behind.
 * Method: public API on real directories (mkdir and rename errors are the OS's).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coord, isHexxlaError, open, restore } from '../../src/index.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

async function backup(root: string): Promise<string> {
  const db = await open(path.join(root, 'src.db'), { mvcc: true });
  try {
    await db.putCell({ coord: coord(0, 0), rawContent: 'a' });
    const dir = path.join(root, 'bk');
    await db.backupTo(dir);
    return dir;
  } finally {
    await db.close();
  }
}

describe('restore to an unusable destination', () => {
  it('a stale <to>-changelog that cannot be removed fails the restore (review)', async () => {
    const root = tempDir('restore-stale');
    const bk = await backup(root);
    const target = path.join(root, 'r.db');
    fs.mkdirSync(`${target}-changelog`); // cannot be removed as a file
    fs.writeFileSync(path.join(`${target}-changelog`, 'x'), 'x');
    const err = await restore(bk, target).catch((e: unknown) => e);
    expect(isHexxlaError(err, 'IoError')).toBe(true);
    expect(fs.readdirSync(root).filter((n) => n.endsWith('.restoring'))).toEqual([]);
  });

  it('under a regular file: a typed IoError, not a raw EEXIST/ENOTDIR', async () => {
    const root = tempDir('restore-file');
    const bk = await backup(root);
    fs.writeFileSync(path.join(root, 'plain'), 'x');
    const err = await restore(bk, path.join(root, 'plain', 'r.db')).catch((e: unknown) => e);
    expect(isHexxlaError(err, 'IoError')).toBe(true);
  });

  it('onto a directory: refused, and no .restoring files are left', async () => {
    const root = tempDir('restore-dir');
    const bk = await backup(root);
    const target = path.join(root, 'target');
    fs.mkdirSync(target);
    const err = await restore(bk, target, { force: true }).catch((e: unknown) => e);
    expect(isHexxlaError(err)).toBe(true);
    expect(fs.readdirSync(root).filter((n) => n.includes('restoring'))).toEqual([]);
    expect(fs.statSync(target).isDirectory()).toBe(true);
  });
});

describe('restore over the leftovers of an earlier database', () => {
  it('a stale <to>-changelog does not stop the restored database from opening', async () => {
    const root = tempDir('restore-stale-log');
    const bk = await backup(root);
    const to = path.join(root, 'r.db');
    const earlier = await open(to, { changelog: true });
    await earlier.putCell({ coord: coord(3, 3), rawContent: 'earlier' });
    await earlier.close();
    fs.rmSync(to);
    fs.rmSync(`${to}-wal`); // removed by hand; its changelog left behind
    await restore(bk, to);
    const db = await open(to, { changelog: true });
    try {
      expect(db.getCell(coord(0, 0))?.rawContent).toBe('a');
      expect(db.readChangelogSince(db.changelogStartSeq())).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
