/**
 * The database lock: one writer per database across processes and within one process.
 *
 * Two handles on one database (a second process, a CLI `compact` or `backup` run on the files a
 * server has open, or a second `open()` in the same process) would each replay and append to the
 * same write-ahead log and checkpoint into the same primary: the files would be destroyed. So
 * every open takes the lock `<primary>-lock` first and holds it until close.
 *
 * Node has no flock/fcntl, so the lock is a PID file, as PostgreSQL's postmaster.pid: created
 * with O_EXCL, holding `{pid, hostname, startedAt}` as one JSON line. A lock file left by a
 * process that died (SIGKILL, power loss) is *stale*: its pid no longer runs on this host, or is
 * our own pid while this process does not hold it (a restarted container reusing its pid), and
 * the next open removes it and takes the lock. A lock held on another host (a shared volume) is
 * never taken over: the error names the host and pid, and the operator removes the file.
 *
 * Limits (documented in docs/format.md "Files"): two processes that find the same stale file at
 * the same instant may both remove it; the later creation then fails with EEXIST and is
 * refused, so at most one wins, except in the window between one's removal and creation and
 * the other's removal (microseconds, only right after a crash). A process that is stopped
 * (SIGSTOP) still holds its lock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hexxlaError, ioError } from '../errors.js';
import type { FileSystem } from './file.js';

/** A held lock; `release` is idempotent. */
export interface FileLock {
  release(): void;
}

/** Who holds a lock, as its file says. */
export interface LockHolder {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** Thrown by FileSystem.lock when another holder has the lock (a Node-style error). */
export class LockHeldError extends Error {
  readonly code = 'ELOCKED';
  constructor(
    readonly lockPath: string,
    /** Null when the file is unreadable (being written this instant, or damaged). */
    readonly holder: LockHolder | null,
  ) {
    super(holder === null ? `lock ${lockPath} is being taken or its file is damaged`
      : `lock ${lockPath} is held by pid ${holder.pid} on ${holder.hostname}`);
  }
}

/** Locks held by this process: absolute path → the token of the acquisition. */
const heldHere = new Map<string, object>();

/** A lock file younger than this that does not parse is being written: treat it as held. */
const unreadableGraceMs = 5_000;

/** FileSystem.lock of the node file system. */
export function lockNodeFile(lockPath: string): FileLock {
  const abs = path.resolve(lockPath);
  if (heldHere.has(abs)) throw new LockHeldError(abs, ownHolder());
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(abs, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(abs);
      if (!isStale(abs, holder)) throw new LockHeldError(abs, holder);
      try {
        fs.unlinkSync(abs);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      continue;
    }
    try {
      fs.writeSync(fd, `${JSON.stringify(ownHolder())}\n`);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(abs, { force: true }); // an empty file would block others for the grace time
      throw err;
    }
    fs.closeSync(fd);
    const token = {};
    heldHere.set(abs, token);
    return { release: () => releaseNodeLock(abs, token) };
  }
  throw new LockHeldError(abs, readHolder(abs));
}

function releaseNodeLock(abs: string, token: object): void {
  // Idempotent, and never the release of a later acquisition of the same path.
  if (heldHere.get(abs) !== token) return;
  heldHere.delete(abs);
  // Only our own file: never remove a lock another process took after ours was removed by hand.
  if (readHolder(abs)?.pid !== process.pid) return;
  try {
    fs.unlinkSync(abs);
  } catch {
    // Already gone, or the directory is unwritable now: a stale file is taken over on open.
  }
}

function ownHolder(): LockHolder {
  return { pid: process.pid, hostname: os.hostname(), startedAt: processStart };
}

const processStart = new Date(Date.now() - process.uptime() * 1000).toISOString();

function readHolder(abs: string): LockHolder | null {
  try {
    const v = JSON.parse(fs.readFileSync(abs, 'utf8')) as Partial<LockHolder>;
    if (!Number.isSafeInteger(v.pid) || typeof v.hostname !== 'string') return null;
    return { pid: v.pid!, hostname: v.hostname, startedAt: String(v.startedAt ?? '') };
  } catch {
    return null;
  }
}

function isStale(abs: string, holder: LockHolder | null): boolean {
  if (holder === null) {
    try {
      return Date.now() - fs.statSync(abs).mtimeMs > unreadableGraceMs;
    } catch {
      return true; // removed meanwhile: try to create it again
    }
  }
  if (holder.hostname !== os.hostname()) return false;
  if (holder.pid === process.pid) return true; // not in heldHere: a former process's pid
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, another user's
  }
}

/**
 * An in-memory lock table, for file systems that live in one process (tests' memory and
 * fault-injecting file systems): one per file-system instance.
 */
export class LockTable {
  private readonly held = new Map<string, object>();

  lock(lockPath: string): FileLock {
    if (this.held.has(lockPath)) throw new LockHeldError(lockPath, ownHolder());
    const token = {};
    this.held.set(lockPath, token);
    return {
      release: () => {
        if (this.held.get(lockPath) === token) this.held.delete(lockPath);
      },
    };
  }

  /** Drops every lock, as the death of the processes holding them would. */
  clear(): void {
    this.held.clear();
  }
}

/** The lock file of the database at `dbPath`. */
export function lockPathOf(dbPath: string): string {
  return `${dbPath}-lock`;
}

/**
 * Takes the lock of the database at `dbPath` through `fs` (its directory must exist). Throws
 * DatabaseLocked (context: path, and the holder's pid and host when known) or IoError.
 */
export function lockDatabase(fs: FileSystem, dbPath: string): FileLock {
  try {
    return fs.lock(lockPathOf(dbPath));
  } catch (err) {
    if (!(err instanceof LockHeldError)) throw ioError('lock', lockPathOf(dbPath), err);
    const h = err.holder;
    const who = h === null ? 'another process (its lock file is being written or damaged)'
      : h.pid === process.pid && h.hostname === os.hostname() ? 'another handle in this process'
        : `process ${h.pid} on ${h.hostname}`;
    throw hexxlaError('DatabaseLocked', `the database is open in ${who}; close it there ` +
      'first (a lock left by a process that died is taken over automatically)',
    { path: dbPath, ...(h === null ? {} : { pid: h.pid, host: h.hostname }) });
  }
}
