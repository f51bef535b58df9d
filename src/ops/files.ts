/**
 * File helpers of the operations (compaction, backup, verify, restore), all through the engine's
 * file-system seam (src/storage/file.ts) so tests can run them on memory or faulty file systems.
 *
 * Every file that appears under its final name was written under a temporary name, fsynced and
 * renamed, and its directory fsynced (SPEC §4.1: nothing half-written is ever left under a name
 * the engine would open).
 */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { hexxlaError, ioError, isHexxlaError } from '../errors.js';
import type { FileSystem, StorageFile } from '../storage/file.js';

/** Bytes per read or write when streaming files: large enough to amortise calls, small in RAM. */
export const copyChunkBytes = 1024 * 1024;

/** Length and SHA-256 (hex) of a file's bytes. */
export interface FileDigest {
  bytes: number;
  sha256: string;
}

/** Runs `fn` on `path` opened for reading; wraps I/O errors (NotFound when it does not exist). */
export function withFile<T>(fs: FileSystem, path: string, fn: (f: StorageFile) => T): T {
  if (!fs.exists(path)) throw hexxlaError('NotFound', 'file does not exist', { path });
  let file: StorageFile;
  try {
    file = fs.open(path);
  } catch (err) {
    throw ioError('open', path, err);
  }
  try {
    return fn(file);
  } catch (err) {
    throw isHexxlaError(err) ? err : ioError('read', path, err);
  } finally {
    file.close();
  }
}

/** Reads a whole (small) file. */
export function readWholeFile(fs: FileSystem, path: string): Uint8Array {
  return withFile(fs, path, (f) => {
    const buf = new Uint8Array(f.size());
    f.read(buf, 0);
    return buf;
  });
}

/** Streams `file` in chunks to `sink` (each chunk valid only during the call). */
function streamFile(file: StorageFile, sink: (chunk: Uint8Array, at: number) => void): number {
  const size = file.size();
  const buf = new Uint8Array(Math.min(copyChunkBytes, Math.max(size, 1)));
  let at = 0;
  while (at < size) {
    const n = file.read(buf.subarray(0, Math.min(buf.length, size - at)), at);
    if (n === 0) break;
    sink(buf.subarray(0, n), at);
    at += n;
  }
  return at;
}

/** Length and SHA-256 of the file at `path`. */
export function digestFile(fs: FileSystem, path: string): FileDigest {
  return withFile(fs, path, (f) => {
    const hash = createHash('sha256');
    const bytes = streamFile(f, (chunk) => hash.update(chunk));
    return { bytes, sha256: hash.digest('hex') };
  });
}

/** Removes `path` if it exists, ignoring errors (clean-up after a failure). */
export function removeQuietly(fs: FileSystem, path: string): void {
  try {
    if (fs.exists(path)) fs.remove(path);
  } catch {
    // Best effort: the caller is already reporting the error that made it clean up.
  }
}

/**
 * Removes the `-wal` and `-changelog` an earlier database of the name `primary` left (they would
 * pair with the new primary and make open fail), then fsyncs the directory if any went.
 * IoError when one cannot be removed: left in place it would break the new database.
 */
export async function removeStaleSidecars(fs: FileSystem, primary: string): Promise<void> {
  const stale = [`${primary}-wal`, `${primary}-changelog`].filter((p) => fs.exists(p));
  for (const path of stale) {
    try {
      fs.remove(path);
    } catch (err) {
      throw ioError('remove', path, err);
    }
  }
  if (stale.length > 0) await syncParent(fs, primary);
}

/** Fsyncs `file`, wrapping errors. */
export async function syncFile(file: StorageFile): Promise<void> {
  try {
    await file.sync();
  } catch (err) {
    throw ioError('fsync', file.path, err);
  }
}

/** Fsyncs the directory holding `path`, wrapping errors. */
export async function syncParent(fs: FileSystem, path: string): Promise<void> {
  try {
    await fs.syncDirectory(dirname(path));
  } catch (err) {
    throw ioError('directory fsync', dirname(path), err);
  }
}

/** Renames, wrapping errors. */
export function renameFile(fs: FileSystem, from: string, to: string): void {
  try {
    fs.rename(from, to);
  } catch (err) {
    throw ioError('rename', to, err);
  }
}

/**
 * Writes `bytes` to `<path>.tmp`, fsyncs, renames to `path` and fsyncs the directory, so `path`
 * holds either nothing or all of `bytes`.
 */
export async function writeFileAtomic(fs: FileSystem, path: string,
  bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  removeQuietly(fs, tmp);
  let file: StorageFile;
  try {
    file = fs.open(tmp, { create: true });
  } catch (err) {
    throw ioError('create', tmp, err);
  }
  try {
    file.write(bytes, 0);
    if (file.size() !== bytes.length) file.truncate(bytes.length);
    await syncFile(file);
  } catch (err) {
    file.close();
    removeQuietly(fs, tmp);
    throw isHexxlaError(err) ? err : ioError('write', tmp, err);
  }
  file.close();
  renameFile(fs, tmp, path);
  await syncParent(fs, path);
}

/**
 * Copies `from` to `to` (created; must not exist), fsyncs it and returns the digest of the bytes
 * written. The digest is computed from the same buffers that are written, so a caller comparing
 * it with an expected digest knows exactly what landed in `to`.
 */
export async function copyFileDigest(fs: FileSystem, from: string,
  to: string): Promise<FileDigest> {
  let out: StorageFile;
  try {
    out = fs.open(to, { create: true });
  } catch (err) {
    throw ioError('create', to, err);
  }
  try {
    const hash = createHash('sha256');
    const bytes = withFile(fs, from, (src) => streamFile(src, (chunk, at) => {
      hash.update(chunk);
      out.write(chunk, at);
    }));
    if (out.size() !== bytes) out.truncate(bytes);
    await syncFile(out);
    return { bytes, sha256: hash.digest('hex') };
  } catch (err) {
    throw isHexxlaError(err) ? err : ioError('copy', to, err);
  } finally {
    out.close();
  }
}

/** Hex of bytes (file ids). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
