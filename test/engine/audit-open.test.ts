/**
 * Goal: defects found by the library audit of open options and hooks (SPEC §13, docs of
 * OpenOptions/StoreOptions): a malformed option is refused with InvalidArgument before any file
 * is created, instead of being read by truthiness (`mvcc: 'false'` created an MVCC database,
 * whose format is fixed forever; `changelog: 'yes'` silently kept no changelog) or failing later
 * with a TypeError (a hook that is not a function, null options).
 * Method: public API on the memory file system.
 */
import { describe, expect, it } from 'vitest';
import { coord, open, type OpenOptions } from '../../src/index.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';

const invalid = expect.objectContaining({ code: 'InvalidArgument' });

function place(): { fs: MemoryFileSystem; path: string } {
  const fs = new MemoryFileSystem();
  fs.mkdirp('/d');
  return { fs, path: '/d/a.db' };
}

describe('open: option types', () => {
  it('refuses non-boolean flags and creates no file', async () => {
    const bad: Array<Record<string, unknown>> = [
      { mvcc: 'false' }, { mvcc: 1 }, { create: 'false' }, { changelog: 'yes' },
      { changelog: 1 },
    ];
    for (const option of bad) {
      const { fs, path } = place();
      await expect(open(path, { ...option, fs } as OpenOptions)).rejects.toThrowError(invalid);
      expect(fs.exists(path)).toBe(false);
    }
  });

  it('refuses null options and malformed hooks', async () => {
    const { fs, path } = place();
    await expect(open(path, null as unknown as OpenOptions)).rejects.toThrowError(invalid);
    for (const hooks of [5, null, { validateCell: 5 }, { afterPutCell: 'x' }]) {
      await expect(open(path, { fs, hooks } as unknown as OpenOptions))
        .rejects.toThrowError(invalid);
    }
    expect(fs.exists(path)).toBe(false);
  });

  it('setHooks refuses malformed hooks and keeps the old ones', async () => {
    const { fs, path } = place();
    const seen: string[] = [];
    const db = await open(path, { fs, hooks: { validateCell: (c) => seen.push(c.rawContent) } });
    try {
      expect(() => db.setHooks({ validateCell: 5 } as unknown as OpenOptions['hooks'] & object))
        .toThrowError(invalid);
      await db.putCell({ coord: coord(0, 0), rawContent: 'x' });
      expect(seen).toEqual(['x']);
    } finally {
      await db.close();
    }
  });

  it('refuses an empty or non-string path and leaves no temporary file', async () => {
    const { fs } = place();
    for (const path of ['', 5, null]) {
      await expect(open(path as string, { fs })).rejects.toThrowError(invalid);
    }
    expect(fs.exists('.creating')).toBe(false);
  });

  it('accepts the well-formed flags', async () => {
    const { fs, path } = place();
    const db = await open(path, { fs, mvcc: true, create: true, changelog: false, hooks: {} });
    expect(db.mvcc).toBe(true);
    await db.close();
  });
});

describe('check options: flags', () => {
  it('healthCheck and check refuse non-boolean flags instead of reading them by truthiness',
    async () => {
      const { fs, path } = place();
      const db = await open(path, { fs });
      try {
        for (const name of ['structure', 'indexes', 'seams']) {
          expect(() => db.healthCheck({ [name]: 'false' })).toThrowError(invalid);
        }
        expect(() => db.check({ verifyValues: 'yes' } as never)).toThrowError(invalid);
        expect(db.healthCheck({ structure: false }).structure).toBeUndefined();
      } finally {
        await db.close();
      }
    });
});
