/**
 * Goal: defects found by the library audit of close() (SPEC §13; close "closes the files"):
 * when closing one file fails (EIO from close(2)), close() rejects with a typed error and still
 * closes the other files, releases the database lock (the database can be opened again) and
 * ends changelog subscriptions, instead of leaking all of them.
 * Method: public API on a MemoryFileSystem whose log file fails its first close.
 */
import { describe, expect, it } from 'vitest';
import { coord, isHexxlaError, open } from '../../src/index.js';
import type { OpenOptions as FileOpenOptions, StorageFile } from '../../src/storage/file.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';

class FailingCloseFs extends MemoryFileSystem {
  failNextWalClose = false;
  failNextChangelogClose = false;
  readonly openFiles = new Set<string>();

  override open(filePath: string, options?: FileOpenOptions): StorageFile {
    const file = super.open(filePath, options);
    this.openFiles.add(filePath);
    const close = file.close.bind(file);
    file.close = () => {
      if (filePath.endsWith('-wal') && this.failNextWalClose) {
        this.failNextWalClose = false;
        throw Object.assign(new Error('EIO: i/o error, close'), { code: 'EIO' });
      }
      if (filePath.endsWith('-changelog') && this.failNextChangelogClose) {
        this.failNextChangelogClose = false;
        throw Object.assign(new Error('EIO: i/o error, close'), { code: 'EIO' });
      }
      close();
      this.openFiles.delete(filePath);
    };
    return file;
  }
}

describe('close() when closing a file fails', () => {
  it('rejects typed, closes the rest, releases the lock and ends subscriptions', async () => {
    const fs = new FailingCloseFs();
    fs.mkdirp('/d');
    const db = await open('/d/a.db', { fs, changelog: true });
    await db.putCell({ coord: coord(0, 0), rawContent: 'a' });
    const sub = db.subscribeChangelog(1n);
    const pending = sub.next();
    fs.failNextWalClose = true;
    const err = await db.close().catch((e: unknown) => e);
    expect(isHexxlaError(err, 'IoError')).toBe(true);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect([...fs.openFiles]).toEqual(['/d/a.db-wal']);
    const again = await open('/d/a.db', { fs, changelog: true });
    try {
      expect(again.getCell(coord(0, 0))?.rawContent).toBe('a');
    } finally {
      await again.close();
    }
  });
});

describe('close() when closing the changelog fails', () => {
  it('rejects typed and still ends the subscriptions', async () => {
    const fs = new FailingCloseFs();
    fs.mkdirp('/d');
    const db = await open('/d/a.db', { fs, changelog: true });
    await db.putCell({ coord: coord(0, 0), rawContent: 'a' });
    const sub = db.subscribeChangelog(1n);
    const pending = sub.next();
    fs.failNextChangelogClose = true;
    const err = await db.close().catch((e: unknown) => e);
    expect(isHexxlaError(err, 'IoError')).toBe(true);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    const again = await open('/d/a.db', { fs, changelog: true });
    await again.close();
  });
});

describe('open() when the changelog fails and closing then fails too', () => {
  it('reports the changelog error, not the close error, and releases the lock', async () => {
    const fs = new FailingCloseFs();
    fs.mkdirp('/d');
    const db = await open('/d/db', { fs });
    await db.update((tx) => tx.put(new Uint8Array([1]), new Uint8Array([2])));
    await db.close();
    fs.writeFile('/d/db-changelog', new Uint8Array(64).fill(0x5a)); // not a changelog
    fs.failNextWalClose = true;
    const err = await open('/d/db', { fs, changelog: true }).then(() => null, (e: unknown) => e);
    expect(isHexxlaError(err) ? err.code : String(err)).not.toBe('IoError');
    expect(isHexxlaError(err)).toBe(true);
    const again = await open('/d/db', { fs }); // the lock was released
    await again.close();
  });
});
