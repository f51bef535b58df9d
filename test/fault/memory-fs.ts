/**
 * An in-memory `FileSystem` (src/storage/file.ts) for fast tests.
 *
 * Files are growable byte arrays keyed by normalised path; directories are tracked explicitly, so
 * a file can only be created in an existing directory (call `mkdirp` first, as on a real disk).
 * Semantics follow node:fs on Linux: reads past EOF are short, writes past EOF zero-fill the gap,
 * an open handle keeps addressing its file after rename or remove (inode semantics), `remove` of a
 * missing path is a no-op (like `rmSync(force)`), errors carry Node's `code`. Nothing is ever lost:
 * `sync` only resolves asynchronously. For crash behaviour use FaultyFileSystem.
 */
import type { FileSystem, OpenOptions, StorageFile } from '../../src/storage/file.js';
import { LockTable } from '../../src/storage/file-lock.js';
import type { FileLock } from '../../src/storage/file-lock.js';
import { ByteBuffer } from './byte-buffer.js';
import { checkOffset, fsError } from './fs-errors.js';
import { Namespace, normalizePath } from './namespace.js';

class MemoryFile implements StorageFile {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly content: ByteBuffer,
  ) {}

  read(buf: Uint8Array, position: number): number {
    this.checkUsable('read', position);
    return this.content.read(buf, position);
  }

  write(buf: Uint8Array, position: number): void {
    this.checkUsable('write', position);
    this.content.write(buf, position);
  }

  async sync(): Promise<void> {
    this.checkUsable('fdatasync', 0);
    await Promise.resolve();
  }

  truncate(size: number): void {
    this.checkUsable('ftruncate', size);
    this.content.truncate(size);
  }

  size(): number {
    this.checkUsable('fstat', 0);
    return this.content.size;
  }

  close(): void {
    this.closed = true;
  }

  private checkUsable(syscall: string, offset: number): void {
    if (this.closed) throw fsError('EBADF', syscall, this.path);
    checkOffset(offset, syscall, this.path);
  }
}

/** A volatile, lossless in-memory file system. Not thread-shared; one instance per test. */
export class MemoryFileSystem implements FileSystem {
  private readonly tree = new Namespace<ByteBuffer>();
  private readonly locks = new LockTable();

  /** The database lock, held in this instance (a crash image starts with none held). */
  lock(lockPath: string): FileLock {
    return this.locks.lock(normalizePath(lockPath));
  }

  /** Drops every database lock, as if the processes holding them had died (handles abandoned). */
  dropLocks(): void {
    this.locks.clear();
  }

  /** Opens `filePath`; creates it when absent and `options.create`. Throws ENOENT / EISDIR. */
  open(filePath: string, options: OpenOptions = {}): StorageFile {
    const key = normalizePath(filePath);
    let content = this.tree.files.get(key);
    if (content === undefined) {
      if (this.tree.dirs.has(key)) throw fsError('EISDIR', 'open', key);
      if (options.create !== true) throw fsError('ENOENT', 'open', key);
      content = new ByteBuffer();
      this.tree.createFile(key, content, 'open');
    }
    return new MemoryFile(filePath, content);
  }

  /** True for an existing file or directory. */
  exists(filePath: string): boolean {
    return this.tree.has(normalizePath(filePath));
  }

  /** Moves a file, replacing any file at `toPath`. Throws ENOENT / EISDIR / ENOTSUP. */
  rename(fromPath: string, toPath: string): void {
    this.tree.renameFile(normalizePath(fromPath), normalizePath(toPath));
  }

  /** Removes a file; no-op when absent; EISDIR for a directory. */
  remove(filePath: string): void {
    this.tree.removeFile(normalizePath(filePath));
  }

  /** Creates a directory and its parents; EEXIST / ENOTDIR when a file is in the way. */
  mkdirp(dirPath: string): void {
    this.tree.mkdirp(normalizePath(dirPath));
  }

  /** Sorted entry names of a directory; ENOENT / ENOTDIR. */
  list(dirPath: string): string[] {
    return this.tree.list(normalizePath(dirPath));
  }

  /** Checks the directory exists (ENOENT / ENOTDIR) and resolves asynchronously. */
  async syncDirectory(dirPath: string): Promise<void> {
    this.tree.list(normalizePath(dirPath));
    await Promise.resolve();
  }

  /** Test helper: a copy of the whole content of a file (ENOENT / EISDIR). */
  readFile(filePath: string): Uint8Array {
    return this.tree.getFile(normalizePath(filePath), 'open').toBytes();
  }

  /** Test helper: creates or replaces a file with a copy of `data` (parent must exist). */
  writeFile(filePath: string, data: Uint8Array): void {
    const key = normalizePath(filePath);
    this.tree.checkParent(key, 'open');
    if (this.tree.dirs.has(key)) throw fsError('EISDIR', 'open', key);
    this.tree.files.set(key, new ByteBuffer(data));
  }
}
