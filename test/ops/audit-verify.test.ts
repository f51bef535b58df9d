/**
 * Goal: defects found by the library audit of verifyBackup (SPEC §9): verification only reads
 * the backup and never touches files it did not create. A scratchDir that already holds files
 * of the backup's names (the backup directory itself, or the directory of a database of the
 * same name) is refused; before, verify copied over those files and then deleted them.
 * Method: public API on real directories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coord, open, verifyBackup } from '../../src/index.js';
import { useTempDirs } from './helpers.js';

const tempDir = useTempDirs();

async function backupOf(root: string, name: string): Promise<string> {
  const db = await open(path.join(root, name), { mvcc: true });
  try {
    await db.putCell({ coord: coord(0, 0), rawContent: 'backed up' });
    const dir = path.join(root, 'bk');
    await db.backupTo(dir);
    return dir;
  } finally {
    await db.close();
  }
}

const listing = (dir: string) => fs.readdirSync(dir).sort();

describe('verifyBackup scratch directory', () => {
  it('refuses the backup directory itself as scratch and leaves the backup intact', async () => {
    const root = tempDir('verify-self');
    const bk = await backupOf(root, 'memory.db');
    const before = listing(bk);
    await expect(verifyBackup(bk, { scratchDir: bk })).rejects.toMatchObject(
      { code: 'PreconditionFailed' });
    expect(listing(bk)).toEqual(before);
    expect((await verifyBackup(bk)).ok).toBe(true);
  });

  it('never overwrites or removes a database of the same name in the scratch dir', async () => {
    const root = tempDir('verify-live');
    const bk = await backupOf(path.join(root), 'memory.db');
    const liveDir = path.join(root, 'live');
    fs.mkdirSync(liveDir);
    const live = await open(path.join(liveDir, 'memory.db'));
    await live.putCell({ coord: coord(5, 5), rawContent: 'live data' });
    await live.close();
    await expect(verifyBackup(bk, { scratchDir: liveDir })).rejects.toMatchObject(
      { code: 'PreconditionFailed' });
    const again = await open(path.join(liveDir, 'memory.db'));
    try {
      expect(again.getCell(coord(5, 5))?.rawContent).toBe('live data');
    } finally {
      await again.close();
    }
  });
});
