/**
 * Goal: each armed fault of FaultyFileSystem fails the way the engine's error handling expects
 * (ARCHITECTURE §3: fsync failure poisons, ENOSPC leaves the last commit intact) and the counters
 * tests use to size their workloads are right.
 * Method: arm one fault at a time on a fresh file system and observe reads, errors and the image
 * after a 'drop' crash.
 * Properties: ENOSPC writes nothing (or the prefix that fits) and leaves earlier data intact,
 * overwrites never hit it, lifting the limit recovers; failNextSync rejects exactly once, only for
 * its path, and loses the writes it covered (fsyncgate); failWritesAfter fails from the n+1-th
 * write; flipBit and corruptRange change durable and current data, seeded; counters count.
 */
import { describe, expect, it, vi } from 'vitest';
import type { StorageFile } from '../../src/storage/file.js';
import type { SyncEvent } from './faulty-fs.js';
import { FaultyFileSystem } from './faulty-fs.js';

const fill = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);

function setup(): { fs: FaultyFileSystem; open: (name: string) => StorageFile } {
  const fs = new FaultyFileSystem();
  fs.mkdirp('/db');
  fs.flushAll();
  return { fs, open: (name) => fs.open(`/db/${name}`, { create: true }) };
}

describe('disk limit (ENOSPC)', () => {
  it('writes nothing and keeps earlier data intact', async () => {
    const { fs, open } = setup();
    const file = open('f');
    file.write(fill(60, 1), 0);
    await file.sync();
    await fs.syncDirectory('/db');
    fs.setDiskLimitBytes(100);
    open('g').write(fill(30, 2), 0);
    expect(fs.diskUsageBytes()).toBe(90);
    expect(() => file.write(fill(20, 3), 60)).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    expect(() => file.truncate(200)).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    expect(fs.readFile('/db/f')).toEqual(fill(60, 1));
    file.write(fill(60, 4), 0);
    file.write(fill(10, 5), 60);
    expect(fs.crash().readFile('/db/f')).toEqual(fill(60, 1));
  });

  it("writes the prefix that fits with onExceed 'write-prefix', and recovers when lifted", () => {
    const { fs, open } = setup();
    fs.setDiskLimitBytes(50, { onExceed: 'write-prefix' });
    const file = open('f');
    file.write(fill(30, 1), 0);
    expect(() => file.write(fill(40, 2), 30)).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    expect(file.size()).toBe(50);
    expect(fs.readFile('/db/f').subarray(30)).toEqual(fill(20, 2));
    fs.setDiskLimitBytes(null);
    file.write(fill(40, 2), 30);
    expect(file.size()).toBe(70);
    expect(() => fs.setDiskLimitBytes(-1)).toThrow(RangeError);
  });

  it('counts an unlinked file that is still open', () => {
    const { fs, open } = setup();
    open('f').write(fill(10, 1), 0);
    const other = open('g');
    other.write(fill(5, 1), 0);
    fs.remove('/db/g');
    expect(fs.diskUsageBytes()).toBe(15);
    other.close();
    expect(fs.diskUsageBytes()).toBe(10);
  });
});

describe('failNextSync', () => {
  it('rejects once with EIO, then syncs succeed', async () => {
    const { fs, open } = setup();
    const file = open('f');
    fs.failNextSync();
    await expect(file.sync()).rejects.toMatchObject({ code: 'EIO', syscall: 'fdatasync' });
    await expect(file.sync()).resolves.toBeUndefined();
    expect(fs.stats('/db/f')).toMatchObject({ syncs: 1, failedSyncs: 1 });
  });

  it('targets only the given path (files and directories)', async () => {
    const { fs, open } = setup();
    const a = open('a');
    const b = open('b');
    fs.failNextSync('/db/b');
    fs.failNextSync('/db');
    await a.sync();
    await expect(b.sync()).rejects.toMatchObject({ code: 'EIO' });
    await expect(fs.syncDirectory('/db')).rejects.toMatchObject({ code: 'EIO' });
    await fs.syncDirectory('/db');
    expect(fs.totals()).toMatchObject({ fileSyncs: 1, directorySyncs: 1, failedSyncs: 2 });
  });

  it('loses the writes a failed sync covered (fsyncgate)', async () => {
    const { fs, open } = setup();
    const file = open('f');
    await fs.syncDirectory('/db');
    file.write(fill(8, 1), 0);
    fs.failNextSync('/db/f');
    await expect(file.sync()).rejects.toMatchObject({ code: 'EIO' });
    await file.sync();
    expect(fs.readFile('/db/f')).toEqual(fill(8, 1));
    expect(fs.crash().readFile('/db/f').length).toBe(0);
  });
});

describe('failWritesAfter', () => {
  it('lets n writes through, then fails every write with EIO until disarmed', () => {
    const { fs, open } = setup();
    const file = open('f');
    fs.failWritesAfter(2);
    file.write(fill(1, 1), 0);
    file.write(fill(1, 2), 1);
    expect(() => file.write(fill(1, 3), 2)).toThrow(expect.objectContaining({ code: 'EIO' }));
    expect(() => file.write(fill(1, 3), 2)).toThrow(expect.objectContaining({ code: 'EIO' }));
    expect(fs.readFile('/db/f')).toEqual(Uint8Array.from([1, 2]));
    fs.failWritesAfter(null);
    file.write(fill(1, 3), 2);
    expect(file.size()).toBe(3);
  });
});

describe('bit flips and corruption', () => {
  it('flips a bit in durable and current data', async () => {
    const { fs, open } = setup();
    const file = open('f');
    file.write(fill(4, 0), 0);
    await file.sync();
    await fs.syncDirectory('/db');
    fs.flipBit('/db/f', 2, 7);
    expect(fs.readFile('/db/f')).toEqual(Uint8Array.from([0, 0, 0x80, 0]));
    expect(fs.readDurable('/db/f')).toEqual(Uint8Array.from([0, 0, 0x80, 0]));
    expect(() => fs.flipBit('/db/f', 4, 0)).toThrow(RangeError);
    expect(() => fs.flipBit('/db/f', 0, 8)).toThrow(RangeError);
  });

  it('flips the bit in an unsynced write too, so a later sync keeps it', async () => {
    const { fs, open } = setup();
    const file = open('f');
    await fs.syncDirectory('/db');
    file.write(fill(4, 0), 0);
    fs.flipBit('/db/f', 1, 0);
    await file.sync();
    expect(fs.crash().readFile('/db/f')).toEqual(Uint8Array.from([0, 1, 0, 0]));
  });

  it('corrupts a range with seeded noise, identically for the same seed', async () => {
    const images: Uint8Array[] = [];
    for (const seed of [3, 3, 4]) {
      const { fs, open } = setup();
      const file = open('f');
      file.write(fill(64, 0), 0);
      await file.sync();
      await fs.syncDirectory('/db');
      fs.corruptRange('/db/f', 16, 32, seed);
      const current = fs.readFile('/db/f');
      expect(fs.readDurable('/db/f')).toEqual(current);
      expect(current.subarray(0, 16)).toEqual(fill(16, 0));
      expect(current.subarray(48)).toEqual(fill(16, 0));
      images.push(current);
    }
    expect(images[0]).toEqual(images[1]);
    expect(images[0]).not.toEqual(images[2]);
  });
});

describe('timers', () => {
  it('resolves syncs under vitest fake timers', async () => {
    vi.useFakeTimers();
    try {
      const { fs, open } = setup();
      await open('f').sync();
      await fs.syncDirectory('/db');
      expect(fs.syncCount).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('counters', () => {
  it('counts writes, bytes and syncs, and reports each completed sync', async () => {
    const { fs, open } = setup();
    const events: SyncEvent[] = [];
    const unsubscribe = fs.onSync((event) => events.push(event));
    const file = open('f');
    file.write(fill(10, 1), 0);
    file.write(fill(5, 1), 10);
    await file.sync();
    await fs.syncDirectory('/db');
    unsubscribe();
    await file.sync();
    fs.rename('/db/f', '/db/g');
    expect(fs.stats('/db/g')).toEqual({
      writes: 2,
      bytesWritten: 15,
      truncates: 0,
      syncs: 2,
      failedSyncs: 0,
      pendingOps: 0,
    });
    expect(events).toEqual([
      { index: 1, kind: 'file', path: '/db/f' },
      { index: 2, kind: 'directory', path: '/db' },
    ]);
    expect(fs.syncCount).toBe(3);
    expect(fs.syncLog()).toHaveLength(3);
    expect(fs.totals()).toEqual({
      writes: 2,
      bytesWritten: 15,
      fileSyncs: 2,
      directorySyncs: 1,
      failedSyncs: 0,
    });
  });
});
