/**
 * Temporary databases for tests, checked after every test (bbolt's btesting).
 *
 * `useTmpDb()` (call it at the top of a file or a describe block) registers an `afterEach` hook
 * and returns a factory. Every database opened through the factory during a test is, after that
 * test: structurally checked with `db.check()` and record-checked with `db.healthCheck()` while
 * still open, closed, reopened (so recovery of
 * what it left on disk is exercised too) and checked again with every value inflated, closed, and
 * its files removed. A check that reports errors fails the test with the report in the message.
 *
 * Backends: 'memory' (a MemoryFileSystem, fast, default) or 'disk' (a real directory from
 * `fs.mkdtempSync` under the OS temp dir). Both expose the same `TmpDb` surface, including
 * `snapshotReopen()`, which models a process that died without losing anything: it copies the
 * primary and the log as they are right now into a fresh location and opens the copy, so the
 * next open has to recover from the log instead of a clean close.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { nodeFileSystem, open } from '../../src/index.js';
import type { CheckOptions, CheckReport, Database, OpenOptions } from '../../src/index.js';
import type { FileSystem } from '../../src/storage/file.js';
import { MemoryFileSystem } from '../fault/memory-fs.js';

/** A check that failed after a test: on the live handle, or after close and reopen. */
export interface TmpDbFailure {
  stage: 'live' | 'reopened';
  report: CheckReport;
}

/** Where a temporary database lives. */
export type TmpBackend = 'memory' | 'disk';

/** Options of a temporary database: engine options plus where it lives. */
export interface TmpDbOptions extends Omit<OpenOptions, 'fs'> {
  /** Default 'memory'. */
  backend?: TmpBackend;
  /** Run `check()` after the test (default true). Turn off for deliberately damaged files. */
  check?: boolean;
}

let dirCounter = 0;

/** A location: a file system and a directory on it. */
interface Place {
  fs: FileSystem;
  dir: string;
  /** The memory file system when the backend is 'memory'. */
  memory: MemoryFileSystem | null;
}

function newPlace(backend: TmpBackend): Place {
  if (backend === 'disk') {
    return { fs: nodeFileSystem, dir: fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-test-')),
      memory: null };
  }
  const memory = new MemoryFileSystem();
  const dir = `/tmp-db-${++dirCounter}`;
  memory.mkdirp(dir);
  return { fs: memory, dir, memory };
}

/** One temporary database; `db` is replaced by reopen/snapshotReopen. */
export class TmpDb {
  private places: Place[] = [];
  private place: Place;
  private handle: Database | null = null;

  constructor(
    readonly options: TmpDbOptions,
    readonly name = 'test.db',
  ) {
    this.place = newPlace(options.backend ?? 'memory');
    this.places.push(this.place);
  }

  /** The current handle (throws before the first open). */
  get db(): Database {
    if (this.handle === null) throw new Error('TmpDb: not opened yet');
    return this.handle;
  }

  /** Absolute path of the primary file (the log is `${path}-wal`). */
  get path(): string {
    return path.posix.join(this.place.dir, this.name);
  }

  /** The file system the current handle uses. */
  get fs(): FileSystem {
    return this.place.fs;
  }

  /** The MemoryFileSystem of the current place, or null for the disk backend. */
  get memory(): MemoryFileSystem | null {
    return this.place.memory;
  }

  /**
   * Opens the database at `path` with the stored options, overridden by `override`. The previous
   * handle must be closed: two handles on the same files would corrupt them.
   */
  async open(override: Omit<OpenOptions, 'fs'> = {}): Promise<Database> {
    if (this.handle !== null && !this.handle.storage.isClosed) {
      throw new Error('TmpDb.open: the previous handle is still open');
    }
    const { backend: _backend, check: _check, ...engine } = this.options;
    this.handle = await open(this.path, { ...engine, ...override, fs: this.place.fs });
    return this.handle;
  }

  /** Closes the current handle (if open) and opens the same path again. */
  async reopen(override: Omit<OpenOptions, 'fs'> = {}): Promise<Database> {
    await this.db.close();
    return this.open(override);
  }

  /**
   * Copies the primary and the log, as they are now, to a fresh location, closes the old handle
   * (on the old files) and opens the copy: a lossless "kill -9" followed by recovery.
   */
  async snapshotReopen(): Promise<Database> {
    const files = [this.name, `${this.name}-wal`, `${this.name}-changelog`].map((n) => {
      const p = path.posix.join(this.place.dir, n);
      return { name: n, bytes: this.place.fs.exists(p) ? readAll(this.place, p) : null };
    });
    const old = this.db;
    this.place = newPlace(this.options.backend ?? 'memory');
    this.places.push(this.place);
    for (const f of files) {
      if (f.bytes !== null) writeAll(this.place, path.posix.join(this.place.dir, f.name), f.bytes);
    }
    await old.close();
    return this.open();
  }

  /**
   * After-test duty: check the live handle (if still open), close it, reopen the files and check
   * again (what a clean close left on disk, values inflated), close, remove the files. Returns the
   * first failing check with the stage it failed in, or null when all passed or checks are off.
   */
  async finish(): Promise<TmpDbFailure | null> {
    let failed: TmpDbFailure | null = null;
    const run = (stage: TmpDbFailure['stage'], options: CheckOptions): void => {
      const report = this.db.check(options);
      if (!report.ok && failed === null) failed = { stage, report };
      // The record-level health check (SPEC §11): indexes agree with records, seams indexed.
      // Skipped on a structurally damaged tree, whose pages it could not read.
      if (!report.ok) return;
      const health = this.db.healthCheck({ structure: false });
      if (!health.ok && failed === null) {
        failed = { stage, report: { ...report, ok: false, errors: health.errors,
          errorCount: health.errorCount } };
      }
    };
    try {
      if (this.options.check !== false && this.handle !== null) {
        if (!this.handle.storage.isClosed) {
          run('live', {});
          await this.handle.close();
        }
        await this.open();
        run('reopened', { verifyValues: true });
      }
    } finally {
      await this.handle?.close();
      this.removeAll();
    }
    return failed;
  }

  private removeAll(): void {
    for (const place of this.places) {
      if (place.memory === null) fs.rmSync(place.dir, { recursive: true, force: true });
    }
    this.places = [];
  }
}

function readAll(place: Place, p: string): Uint8Array {
  if (place.memory !== null) return place.memory.readFile(p);
  return new Uint8Array(fs.readFileSync(p));
}

function writeAll(place: Place, p: string, bytes: Uint8Array): void {
  if (place.memory !== null) place.memory.writeFile(p, bytes);
  else fs.writeFileSync(p, bytes);
}

/** Opens a temporary database that nobody checks or removes (the caller calls `finish`). */
export async function openTmpDb(options: TmpDbOptions = {}): Promise<TmpDb> {
  const tmp = new TmpDb(options);
  await tmp.open();
  return tmp;
}

/** Factory returned by {@link useTmpDb}. */
export interface TmpDbFactory {
  /** Opens a temporary database that is checked, closed and removed after the current test. */
  open(options?: TmpDbOptions): Promise<TmpDb>;
  /** Creates the TmpDb (tracked) without opening it, e.g. to place files first. */
  create(options?: TmpDbOptions): TmpDb;
}

/**
 * Registers the after-each check in the calling file or describe block and returns the factory.
 * `defaults` apply to every database opened through it.
 */
export function useTmpDb(defaults: TmpDbOptions = {}): TmpDbFactory {
  const opened: TmpDb[] = [];
  afterEach(async () => {
    const failures: string[] = [];
    for (const tmp of opened.splice(0)) {
      try {
        const failure = await tmp.finish();
        if (failure !== null) {
          const { stage, report } = failure;
          failures.push(`${tmp.path} (${stage}): ${report.errorCount} errors:\n  ` +
            report.errors.join('\n  '));
        }
      } catch (err) {
        failures.push(`${tmp.path}: the after-test check could not run: ${String(err)}`);
      }
    }
    if (failures.length > 0) {
      throw new Error(`db.check() failed after the test:\n${failures.join('\n')}`);
    }
  });
  const create = (options: TmpDbOptions = {}): TmpDb => {
    const tmp = new TmpDb({ ...defaults, ...options });
    opened.push(tmp);
    return tmp;
  };
  return {
    create,
    async open(options = {}) {
      const tmp = create(options);
      await tmp.open();
      return tmp;
    },
  };
}
