/**
 * The directory tree of an in-memory file system: normalised absolute paths mapped to file
 * objects (`T`, an inode), plus the set of directories. Shared by MemoryFileSystem and
 * FaultyFileSystem so both give the same Node-like errors.
 *
 * Paths are POSIX: relative paths resolve against '/', '.' and '..' are folded, trailing slashes
 * dropped. '/' always exists. Renaming directories is not modelled (the engine never does it).
 */
import path from 'node:path';
import { fsError } from './fs-errors.js';

/** Normalises a path to the absolute POSIX form used as the map key. */
export function normalizePath(filePath: string): string {
  if (filePath.length === 0) throw fsError('ENOENT', 'stat', filePath);
  return path.posix.resolve('/', filePath);
}

/** The parent directory of a normalised path ('/' for '/'). */
export function parentOf(normalized: string): string {
  return path.posix.dirname(normalized);
}

/** Files and directories keyed by normalised path; methods throw Node-style errors. */
export class Namespace<T> {
  readonly files = new Map<string, T>();
  readonly dirs = new Set<string>(['/']);

  /** A copy of the tree sharing the file objects. */
  clone(): Namespace<T> {
    const copy = new Namespace<T>();
    for (const [key, value] of this.files) copy.files.set(key, value);
    for (const dir of this.dirs) copy.dirs.add(dir);
    return copy;
  }

  /** True when `p` (normalised) is a file or a directory. */
  has(p: string): boolean {
    return this.files.has(p) || this.dirs.has(p);
  }

  /** The file at `p`; throws ENOENT, or EISDIR for a directory. */
  getFile(p: string, syscall: string): T {
    const value = this.files.get(p);
    if (value !== undefined) return value;
    throw fsError(this.dirs.has(p) ? 'EISDIR' : 'ENOENT', syscall, p);
  }

  /** Throws unless the parent of `p` is an existing directory (ENOENT / ENOTDIR). */
  checkParent(p: string, syscall: string): void {
    const parent = parentOf(p);
    if (this.dirs.has(parent)) return;
    throw fsError(this.files.has(parent) ? 'ENOTDIR' : 'ENOENT', syscall, p);
  }

  /** Adds a new file at `p`; the caller checked that nothing is there. */
  createFile(p: string, value: T, syscall: string): void {
    this.checkParent(p, syscall);
    if (this.has(p)) throw fsError('EEXIST', syscall, p);
    this.files.set(p, value);
  }

  /**
   * Moves the file at `source` to `target`, replacing a file there (POSIX rename). Returns the
   * moved file. Throws ENOENT, EISDIR (target is a directory) or ENOTSUP (source is a directory).
   */
  renameFile(source: string, target: string): T {
    if (this.dirs.has(source)) throw fsError('ENOTSUP', 'rename', source);
    const value = this.getFile(source, 'rename');
    this.checkParent(target, 'rename');
    if (this.dirs.has(target)) throw fsError('EISDIR', 'rename', target);
    this.files.delete(source);
    this.files.set(target, value);
    return value;
  }

  /** Removes the file at `p` and returns it; no-op (undefined) when absent, EISDIR for a dir. */
  removeFile(p: string): T | undefined {
    if (this.dirs.has(p)) throw fsError('EISDIR', 'rm', p);
    const value = this.files.get(p);
    this.files.delete(p);
    return value;
  }

  /** Creates `p` and its missing ancestors; returns the directories created, outermost first. */
  mkdirp(p: string): string[] {
    const missing: string[] = [];
    for (let dir = p; !this.dirs.has(dir); dir = parentOf(dir)) {
      if (this.files.has(dir)) throw fsError(dir === p ? 'EEXIST' : 'ENOTDIR', 'mkdir', p);
      missing.push(dir);
    }
    missing.reverse();
    for (const dir of missing) this.dirs.add(dir);
    return missing;
  }

  /** The sorted entry names (files and directories) of directory `p`. */
  list(p: string): string[] {
    if (!this.dirs.has(p)) throw fsError(this.files.has(p) ? 'ENOTDIR' : 'ENOENT', 'scandir', p);
    const names: string[] = [];
    for (const key of [...this.files.keys(), ...this.dirs]) {
      if (key !== '/' && parentOf(key) === p) names.push(path.posix.basename(key));
    }
    return names.sort();
  }
}
