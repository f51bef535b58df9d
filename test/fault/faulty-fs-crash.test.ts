/**
 * Goal: FaultyFileSystem's crash model is what durability tests rely on: only what was synced is
 * guaranteed, unsynced writes and directory changes are lost, kept, or torn as documented, and a
 * crashed instance cannot be written through any more.
 * Method: small scripted workloads on one file system, then `crash()` in each mode; torn and
 * keep-some outcomes checked against the set of allowed images over many seeds.
 * Properties: drop keeps exactly the synced data; a sync covers only writes issued before it;
 * creations, renames and removals need a directory sync; keep-all keeps everything; torn images
 * are issue-order prefixes cut at a sector (or byte) inside one write; keep-some keeps each write
 * whole or not at all; the image is fully durable; dead handles throw EIO 'crashed'; in-flight
 * syncs reject; crashAtSync freezes after (or before) the i-th sync; seeded runs replay.
 */
import { describe, expect, it } from 'vitest';
import type { StorageFile } from '../../src/storage/file.js';
import type { CrashOptions } from './faulty-fs.js';
import { FaultyFileSystem } from './faulty-fs.js';
import { Prng } from './prng.js';

const fill = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);
const hex = (data: Uint8Array | undefined): string =>
  data === undefined ? 'absent' : Buffer.from(data).toString('hex');

/** A file system with a durable directory /db and a durable empty file /db/f. */
async function withDbFile(seed = 1): Promise<{ fs: FaultyFileSystem; file: StorageFile }> {
  const fs = new FaultyFileSystem({ seed });
  fs.mkdirp('/db');
  const file = fs.open('/db/f', { create: true });
  await fs.syncDirectory('/db');
  return { fs, file };
}

function expectCrashed(fn: () => unknown): void {
  expect(fn).toThrow(expect.objectContaining({ code: 'EIO', message: 'crashed' }));
}

describe('crash: data', () => {
  it("keeps only synced data in 'drop' mode", async () => {
    const { fs, file } = await withDbFile();
    file.write(fill(10, 1), 0);
    await file.sync();
    file.write(fill(4, 2), 8);
    file.truncate(11);
    expect(fs.readFile('/db/f')).toEqual(Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2]));
    expect(fs.readDurable('/db/f')).toEqual(fill(10, 1));
    const image = fs.crash({ mode: 'drop' });
    expect(image.readFile('/db/f')).toEqual(fill(10, 1));
    expect(image.readDurable('/db/f')).toEqual(fill(10, 1));
  });

  it('makes durable only the writes issued before the sync call', async () => {
    const { fs, file } = await withDbFile();
    file.write(fill(4, 1), 0);
    const syncing = file.sync();
    file.write(fill(4, 2), 4);
    await syncing;
    expect(fs.stats('/db/f')).toMatchObject({ syncs: 1, pendingOps: 1 });
    expect(fs.crash().readFile('/db/f')).toEqual(fill(4, 1));
  });

  it("keeps every write in 'keep-all' mode (a process crash)", async () => {
    const { fs, file } = await withDbFile();
    file.write(fill(3, 7), 0);
    fs.open('/db/g', { create: true }).write(fill(2, 8), 0);
    const image = fs.crash({ mode: 'keep-all' });
    expect(image.readFile('/db/f')).toEqual(fill(3, 7));
    expect(image.readFile('/db/g')).toEqual(fill(2, 8));
  });

  it('returns a fully durable image', async () => {
    const { fs, file } = await withDbFile();
    file.write(fill(5, 3), 0);
    const first = fs.crash({ mode: 'keep-all' });
    expect(first.readDurable('/db/f')).toEqual(fill(5, 3));
    expect(first.crash({ mode: 'drop' }).readFile('/db/f')).toEqual(fill(5, 3));
  });
});

describe('crash: directory entries', () => {
  it('loses a created file whose directory was never synced, even with synced data', async () => {
    const fs = new FaultyFileSystem();
    fs.mkdirp('/db');
    fs.flushAll();
    const file = fs.open('/db/new', { create: true });
    file.write(fill(8, 1), 0);
    await file.sync();
    expect(fs.crash().exists('/db/new')).toBe(false);
  });

  it('keeps a created file once its directory is synced', async () => {
    const fs = new FaultyFileSystem();
    fs.mkdirp('/db');
    const file = fs.open('/db/new', { create: true });
    file.write(fill(8, 1), 0);
    await file.sync();
    await fs.syncDirectory('/db');
    expect(fs.crash().readFile('/db/new')).toEqual(fill(8, 1));
  });

  it('undoes a rename and a removal not followed by a directory sync', async () => {
    const { fs, file } = await withDbFile();
    file.write(fill(2, 1), 0);
    await file.sync();
    const temp = fs.open('/db/tmp', { create: true });
    temp.write(fill(2, 9), 0);
    await temp.sync();
    await fs.syncDirectory('/db');
    fs.rename('/db/tmp', '/db/f');
    const image = fs.crash();
    expect(image.readFile('/db/f')).toEqual(fill(2, 1));
    expect(image.readFile('/db/tmp')).toEqual(fill(2, 9));

    const removed = await withDbFile();
    removed.fs.remove('/db/f');
    expect(removed.fs.crash().exists('/db/f')).toBe(true);
  });

});

describe('crash: directory entries with dependencies', () => {
  it('keeps a synced rename and commits the creation it depends on', async () => {
    const { fs } = await withDbFile();
    fs.mkdirp('/other');
    fs.flushAll();
    const temp = fs.open('/other/tmp', { create: true });
    temp.write(fill(3, 5), 0);
    await temp.sync();
    fs.rename('/other/tmp', '/db/f');
    await fs.syncDirectory('/db');
    const image = fs.crash();
    expect(image.readFile('/db/f')).toEqual(fill(3, 5));
    expect(image.exists('/other/tmp')).toBe(false);
  });

  it('needs a directory sync for mkdirp; syncing a new entry commits its parents', async () => {
    const fs = new FaultyFileSystem();
    fs.mkdirp('/a/b');
    expect(fs.crash().exists('/a')).toBe(false);

    const synced = new FaultyFileSystem();
    synced.mkdirp('/a/b');
    synced.open('/a/b/f', { create: true }).close();
    await synced.syncDirectory('/a/b');
    expect(synced.crash().list('/a/b')).toEqual(['f']);
  });

  it('keeps renames atomic in every random mode', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const { fs, file } = await withDbFile(seed);
      file.write(fill(1, 1), 0);
      await file.sync();
      const temp = fs.open('/db/tmp', { create: true });
      temp.write(fill(1, 2), 0);
      await temp.sync();
      fs.rename('/db/tmp', '/db/f');
      const mode = seed % 2 === 0 ? 'keep-some' : 'torn';
      const image = fs.crash({ mode, seed });
      expect([1, 2]).toContain(image.readFile('/db/f')[0]);
    }
  });
});

/** Three unsynced writes over 4 KiB of synced zeros; returns the image for `options`. */
async function threeWrites(options: CrashOptions): Promise<Uint8Array> {
  const { fs, file } = await withDbFile();
  file.write(fill(4096, 0), 0);
  await file.sync();
  file.write(fill(1024, 0x11), 0);
  file.write(fill(2048, 0x22), 1024);
  file.write(fill(1024, 0x33), 3072);
  return fs.crash(options).readFile('/db/f');
}

/** Every image a torn crash of `threeWrites` may produce, cut at multiples of `step`. */
function tornCandidates(step: number): Set<string> {
  const writes = [
    { offset: 0, data: fill(1024, 0x11) },
    { offset: 1024, data: fill(2048, 0x22) },
    { offset: 3072, data: fill(1024, 0x33) },
  ];
  const out = new Set<string>();
  for (let kept = 0; kept <= writes.length; kept++) {
    const base = fill(4096, 0);
    for (const w of writes.slice(0, kept)) base.set(w.data, w.offset);
    const torn = writes[kept];
    out.add(hex(base));
    if (torn === undefined) continue;
    for (let cut = step; cut < torn.data.length; cut += step) {
      const image = base.slice();
      image.set(torn.data.subarray(0, cut), torn.offset);
      out.add(hex(image));
    }
  }
  return out;
}

describe('crash: torn and keep-some', () => {
  it('produces issue-order prefixes torn at sector boundaries', async () => {
    const allowed = tornCandidates(512);
    const seen = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      const image = hex(await threeWrites({ mode: 'torn', seed }));
      expect(allowed.has(image)).toBe(true);
      seen.add(image);
    }
    expect(seen.size).toBeGreaterThan(4);
    expect([...seen].some((image) => !tornCandidates(1024).has(image))).toBe(true);
  });

  it('tears at any byte in byte mode, and may cut an appending write short', async () => {
    const allowed = tornCandidates(1);
    const cuts = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      expect(allowed.has(hex(await threeWrites({ mode: 'torn', tear: 'byte', seed })))).toBe(true);
      const { fs, file } = await withDbFile(seed);
      file.write(fill(1000, 0xff), 0);
      const size = fs.crash({ mode: 'torn', tear: 'byte' }).readFile('/db/f').length;
      expect(size).toBeLessThanOrEqual(1000);
      cuts.add(size);
    }
    expect([...cuts].some((size) => size % 512 !== 0 && size < 1000)).toBe(true);
  });

  it('keeps each write whole or not at all in keep-some mode', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const image = await threeWrites({ mode: 'keep-some', seed });
      const regions = [image.subarray(0, 1024), image.subarray(1024, 3072), image.subarray(3072)];
      const state = regions.map((region, i) => {
        const value = region[0] ?? -1;
        expect(region.every((b) => b === value)).toBe(true);
        expect([0, [0x11, 0x22, 0x33][i]]).toContain(value);
        return value === 0 ? '0' : '1';
      });
      seen.add(state.join(''));
    }
    expect(seen.size).toBeGreaterThanOrEqual(6);
  });
});

describe('crash: dead instance', () => {
  it('makes the old instance and its handles throw EIO crashed', async () => {
    const { fs, file } = await withDbFile();
    const image = fs.crash();
    expect(fs.state).toBe('crashed');
    expectCrashed(() => file.write(fill(1, 1), 0));
    expectCrashed(() => file.read(new Uint8Array(1), 0));
    expectCrashed(() => file.size());
    expectCrashed(() => file.close());
    expectCrashed(() => fs.open('/db/f'));
    expectCrashed(() => fs.exists('/db/f'));
    expectCrashed(() => fs.list('/db'));
    await expect(file.sync()).rejects.toMatchObject({ code: 'EIO', message: 'crashed' });
    await expect(fs.syncDirectory('/db')).rejects.toMatchObject({ message: 'crashed' });
    expect(() => fs.crash()).toThrow(/already crashed/);
    expect(image.state).toBe('live');
    image.open('/db/f').write(fill(1, 1), 0);
  });

  it('rejects a sync in flight at the crash and makes nothing of it durable', async () => {
    const { fs, file } = await withDbFile();
    file.write(fill(4, 4), 0);
    const syncing = file.sync();
    const image = fs.crash();
    await expect(syncing).rejects.toMatchObject({ message: 'crashed' });
    expect(image.readFile('/db/f').length).toBe(0);
  });
});

/** Three commits: write 8 bytes of value k at 8(k-1), then sync. */
async function threeCommits(fs: FaultyFileSystem): Promise<void> {
  const file = fs.open('/db/f');
  for (let k = 1; k <= 3; k++) {
    file.write(fill(8, k), 8 * (k - 1));
    await file.sync();
  }
}

describe('crashAtSync', () => {
  it('freezes after the i-th sync completes', async () => {
    const { fs } = await withDbFile();
    fs.crashAtSync(2);
    await expect(threeCommits(fs)).rejects.toMatchObject({ code: 'EIO', message: 'crashed' });
    expect(fs.state).toBe('frozen');
    expect(fs.syncLog().map((event) => event.index)).toEqual([1, 2, 3]);
    expectCrashed(() => fs.open('/db/f'));
    const image = fs.crash({ mode: 'keep-all' });
    expect(image.readFile('/db/f')).toEqual(Uint8Array.from([...fill(8, 1), ...fill(8, 2)]));
  });

  it("freezes as the i-th sync is called with when: 'before'", async () => {
    const { fs } = await withDbFile();
    fs.crashAtSync(2, { when: 'before' });
    await expect(threeCommits(fs)).rejects.toMatchObject({ message: 'crashed' });
    expect(fs.syncCount).toBe(3);
    expect(fs.state).toBe('frozen');
    const image = fs.crash({ mode: 'keep-all' });
    expect(image.readFile('/db/f')).toEqual(Uint8Array.from([...fill(8, 1), ...fill(8, 2)]));
  });

  it("drops the unsynced commit at a 'before' freeze in drop mode; 0 freezes at once", async () => {
    const { fs } = await withDbFile();
    fs.crashAtSync(2, { when: 'before' });
    await threeCommits(fs).catch(() => undefined);
    expect(fs.crash().readFile('/db/f')).toEqual(fill(8, 1));

    const now = (await withDbFile()).fs;
    now.crashAtSync(0);
    expect(now.state).toBe('frozen');
    expect(() => now.crashAtSync(0, { when: 'before' })).toThrow(RangeError);
  });
});

/** A seeded random workload: writes, truncates, syncs, creates, renames. */
async function randomWorkload(fs: FaultyFileSystem, seed: number): Promise<void> {
  const rng = new Prng(seed);
  fs.mkdirp('/db');
  const files = [fs.open('/db/a', { create: true }), fs.open('/db/b', { create: true })];
  for (let step = 0; step < 60; step++) {
    const file = files[rng.int(files.length)];
    if (file === undefined) continue;
    const roll = rng.int(10);
    if (roll < 6) file.write(rng.bytes(1 + rng.int(1500)), rng.int(4096));
    else if (roll < 7) file.truncate(rng.int(4096));
    else if (roll < 9) await file.sync();
    else await fs.syncDirectory('/db');
  }
  fs.rename('/db/b', '/db/c');
}

function imageOf(fs: FaultyFileSystem): string {
  return fs
    .list('/db')
    .map((name) => `${name}:${hex(fs.readFile(`/db/${name}`))}`)
    .join('|');
}

describe('replay', () => {
  it('gives identical images for identical seeds, different ones otherwise', async () => {
    for (const mode of ['keep-some', 'torn'] as const) {
      const images: string[] = [];
      for (const crashSeed of [5, 5, 6]) {
        const fs = new FaultyFileSystem({ seed: crashSeed });
        await randomWorkload(fs, 99);
        images.push(imageOf(fs.crash({ mode })));
      }
      expect(images[0]).toBe(images[1]);
      expect(images[0]).not.toBe(images[2]);
    }
  });
});
