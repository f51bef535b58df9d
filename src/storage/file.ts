/**
 * The one file-system seam of the engine (ARCHITECTURE §1).
 *
 * Every byte the engine reads or writes goes through `FileSystem` / `StorageFile`, so tests can
 * swap in an in-memory file system and a fault-injecting one (lost unsynced writes on a simulated
 * crash, torn writes, bit flips, fsync failure, ENOSPC). Production uses `nodeFileSystem`.
 *
 * Reads and writes are synchronous positional calls: transaction callbacks are synchronous and read
 * pages through the cache without awaiting. Only `sync` is asynchronous, so that commits arriving
 * while an fsync is in flight can queue up behind it and share the next one (group commit).
 *
 * Errors: implementations throw Node-style errors carrying `code` ('ENOSPC', 'EIO', ...); the
 * engine wraps them with `ioError()`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { lockNodeFile } from './file-lock.js';
import type { FileLock } from './file-lock.js';

/** An open file, addressed by absolute byte position. */
export interface StorageFile {
  readonly path: string;
  /** Reads up to `buf.length` bytes at `position` into `buf`; returns the count (short at EOF). */
  read(buf: Uint8Array, position: number): number;
  /** Writes all of `buf` at `position`, extending the file if needed. Throws on failure. */
  write(buf: Uint8Array, position: number): void;
  /** Makes every write issued before the call durable (fdatasync). */
  sync(): Promise<void>;
  /** Sets the file length to `size` bytes. */
  truncate(size: number): void;
  /** Current length in bytes. */
  size(): number;
  close(): void;
}

export interface OpenOptions {
  /** Create the file when it does not exist (default false). */
  create?: boolean;
}

/** The operations the engine needs from a file system, nothing more. */
export interface FileSystem {
  open(filePath: string, options?: OpenOptions): StorageFile;
  exists(filePath: string): boolean;
  rename(fromPath: string, toPath: string): void;
  remove(filePath: string): void;
  /** Creates a directory and its parents (no error if it exists). */
  mkdirp(dirPath: string): void;
  /** Lists the entry names of a directory. */
  list(dirPath: string): string[];
  /** Makes directory entries (creations, renames, removals) in `dirPath` durable. */
  syncDirectory(dirPath: string): Promise<void>;
  /**
   * Takes the exclusive lock named by `lockPath` (a file beside the database; see
   * file-lock.ts) until `release()`. Throws LockHeldError when another holder has it.
   */
  lock(lockPath: string): FileLock;
}

class NodeFile implements StorageFile {
  constructor(
    readonly path: string,
    private fd: number,
  ) {}

  read(buf: Uint8Array, position: number): number {
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(this.fd, buf, done, buf.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  write(buf: Uint8Array, position: number): void {
    let done = 0;
    while (done < buf.length) {
      done += fs.writeSync(this.fd, buf, done, buf.length - done, position + done);
    }
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve()));
    });
  }

  truncate(size: number): void {
    fs.ftruncateSync(this.fd, size);
  }

  size(): number {
    return fs.fstatSync(this.fd).size;
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** The production file system on `node:fs`. */
export const nodeFileSystem: FileSystem = {
  open(filePath, options = {}) {
    let fd: number;
    try {
      fd = fs.openSync(filePath, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || options.create !== true) throw err;
      fd = fs.openSync(filePath, 'wx+');
    }
    return new NodeFile(filePath, fd);
  },
  exists: (filePath) => fs.existsSync(filePath),
  rename: (fromPath, toPath) => fs.renameSync(fromPath, toPath),
  remove: (filePath) => fs.rmSync(filePath, { force: true }),
  mkdirp: (dirPath) => void fs.mkdirSync(dirPath, { recursive: true }),
  list: (dirPath) => fs.readdirSync(dirPath),
  lock: lockNodeFile,
  async syncDirectory(dirPath) {
    const fd = fs.openSync(path.resolve(dirPath), 'r');
    try {
      await new Promise<void>((resolve, reject) => {
        fs.fsync(fd, (e) => (e ? reject(e) : resolve()));
      });
    } finally {
      fs.closeSync(fd);
    }
  },
};
