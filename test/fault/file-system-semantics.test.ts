/**
 * Goal: MemoryFileSystem and FaultyFileSystem (while no fault is armed) behave like node:fs on
 * Linux through the FileSystem seam, so engine tests on them mean something on a real disk.
 * Method: one suite run against both implementations (describe.each); plain operations, then the
 * error cases, checking `code` on the thrown errors.
 * Properties: short reads at EOF; writes past EOF zero-fill; truncate shrinks and zero-extends;
 * size follows; handles address their file across rename and remove; rename replaces; remove of a
 * missing file is a no-op; list is sorted and sees files and directories; ENOENT / EISDIR /
 * ENOTDIR / EEXIST / EBADF / EINVAL errors are Node-shaped; sync resolves asynchronously.
 */
import { describe, expect, it } from 'vitest';
import type { FileSystem } from '../../src/storage/file.js';
import { FaultyFileSystem } from './faulty-fs.js';
import { MemoryFileSystem } from './memory-fs.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

function readAll(fs: FileSystem, filePath: string): Uint8Array {
  const file = fs.open(filePath);
  const out = new Uint8Array(file.size());
  expect(file.read(out, 0)).toBe(out.length);
  file.close();
  return out;
}

function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return (err as NodeJS.ErrnoException).code;
  }
  return undefined;
}

const implementations: [string, () => FileSystem][] = [
  ['MemoryFileSystem', () => new MemoryFileSystem()],
  ['FaultyFileSystem', () => new FaultyFileSystem()],
];

describe.each(implementations)('%s data', (_name, make) => {
  it('reads what was written, short at EOF', () => {
    const fs = make();
    const file = fs.open('/a.db', { create: true });
    file.write(bytes(1, 2, 3, 4), 0);
    const buf = new Uint8Array(8);
    expect(file.read(buf, 1)).toBe(3);
    expect(buf.subarray(0, 3)).toEqual(bytes(2, 3, 4));
    expect(file.read(buf, 4)).toBe(0);
    expect(file.read(buf, 100)).toBe(0);
    expect(file.size()).toBe(4);
  });

  it('zero-fills a gap when writing past EOF and overwrites in place', () => {
    const fs = make();
    const file = fs.open('x', { create: true });
    file.write(bytes(9), 0);
    file.write(bytes(7, 7), 5);
    file.write(bytes(8), 1);
    expect(file.size()).toBe(7);
    expect(readAll(fs, '/x')).toEqual(bytes(9, 8, 0, 0, 0, 7, 7));
    file.write(new Uint8Array(0), 50);
    expect(file.size()).toBe(7);
  });

  it('truncates down and extends with zeros', () => {
    const fs = make();
    const file = fs.open('/t', { create: true });
    file.write(bytes(1, 2, 3, 4, 5), 0);
    file.truncate(2);
    expect(file.size()).toBe(2);
    file.truncate(4);
    expect(readAll(fs, '/t')).toEqual(bytes(1, 2, 0, 0));
  });

  it('resolves sync asynchronously', async () => {
    const fs = make();
    const file = fs.open('/s', { create: true });
    file.write(bytes(1), 0);
    let resolved = false;
    const done = file.sync().then(() => {
      resolved = true;
    });
    expect(resolved).toBe(false);
    await done;
    expect(resolved).toBe(true);
  });

});

describe.each(implementations)('%s names and errors', (_name, make) => {
  it('keeps handles on their file across rename and remove', () => {
    const fs = make();
    fs.mkdirp('/d/e');
    const file = fs.open('/d/e/old', { create: true });
    file.write(bytes(1), 0);
    fs.open('/d/e/new', { create: true }).write(bytes(5, 5, 5), 0);
    fs.rename('/d/e/old', '/d/e/new');
    expect(fs.exists('/d/e/old')).toBe(false);
    file.write(bytes(2), 1);
    expect(readAll(fs, '/d/e/new')).toEqual(bytes(1, 2));
    fs.remove('/d/e/new');
    expect(fs.exists('/d/e/new')).toBe(false);
    file.write(bytes(3), 2);
    expect(file.size()).toBe(3);
    fs.remove('/d/e/new');
  });

  it('lists files and directories, sorted', () => {
    const fs = make();
    fs.mkdirp('/db/sub');
    fs.open('/db/b', { create: true }).close();
    fs.open('/db/a', { create: true }).close();
    expect(fs.list('/db')).toEqual(['a', 'b', 'sub']);
    expect(fs.list('/')).toEqual(['db']);
    expect(fs.exists('/db/sub')).toBe(true);
    fs.mkdirp('/db/sub');
  });

  it('throws Node-shaped errors', async () => {
    const fs = make();
    fs.mkdirp('/d');
    fs.open('/d/f', { create: true }).close();
    expect(thrownCode(() => fs.open('/missing'))).toBe('ENOENT');
    expect(thrownCode(() => fs.open('/no/such/dir', { create: true }))).toBe('ENOENT');
    expect(thrownCode(() => fs.open('/d', { create: true }))).toBe('EISDIR');
    expect(thrownCode(() => fs.open('/d/f/g', { create: true }))).toBe('ENOTDIR');
    expect(thrownCode(() => fs.mkdirp('/d/f'))).toBe('EEXIST');
    expect(thrownCode(() => fs.mkdirp('/d/f/g'))).toBe('ENOTDIR');
    expect(thrownCode(() => fs.rename('/d/nope', '/d/x'))).toBe('ENOENT');
    expect(thrownCode(() => fs.rename('/d/f', '/d'))).toBe('EISDIR');
    expect(thrownCode(() => fs.remove('/d'))).toBe('EISDIR');
    expect(thrownCode(() => fs.list('/nope'))).toBe('ENOENT');
    expect(thrownCode(() => fs.list('/d/f'))).toBe('ENOTDIR');
    await expect(fs.syncDirectory('/nope')).rejects.toMatchObject({ code: 'ENOENT' });
    const file = fs.open('/d/f');
    expect(thrownCode(() => file.read(new Uint8Array(1), -1))).toBe('EINVAL');
    expect(thrownCode(() => file.truncate(0.5))).toBe('EINVAL');
    file.close();
    file.close();
    expect(thrownCode(() => file.write(bytes(1), 0))).toBe('EBADF');
    await expect(file.sync()).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('carries errno, syscall and path on errors', () => {
    const fs = make();
    try {
      fs.open('/missing');
      expect.unreachable();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      expect(e.message).toBe("ENOENT: no such file or directory, open '/missing'");
      expect(e).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open', path: '/missing' });
    }
  });
});

describe('MemoryFileSystem helpers', () => {
  it('reads and writes whole files', () => {
    const fs = new MemoryFileSystem();
    fs.writeFile('/w', bytes(4, 5));
    expect(fs.readFile('/w')).toEqual(bytes(4, 5));
    expect(readAll(fs, 'w')).toEqual(bytes(4, 5));
  });
});
