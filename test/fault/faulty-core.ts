/**
 * The state and logic behind FaultyFileSystem (faulty-fs.ts, which documents the model) and its
 * file handles: the current and durable directory trees, pending directory changes, sync
 * numbering and the crashAtSync trigger, the armed faults. Not used directly by tests.
 */
import type { StorageFile } from '../../src/storage/file.js';
import { FaultyInode } from './faulty-inode.js';
import { checkOffset, crashedError, fsError } from './fs-errors.js';
import { Namespace } from './namespace.js';
import type { NamespaceOp } from './namespace-log.js';
import { selectForDirectorySync } from './namespace-log.js';

/** A completed sync, in call order. */
export interface SyncEvent {
  /** 1-based number of the sync call on this instance (file and directory syncs share it). */
  readonly index: number;
  readonly kind: 'file' | 'directory';
  /** Normalised path of the file or directory. */
  readonly path: string;
}

/** Life cycle: 'frozen' after a crashAtSync trigger (state kept for `crash()`), then 'crashed'. */
export type FaultyState = 'live' | 'frozen' | 'crashed';

/** Counters over the whole instance. */
export interface FaultyTotals {
  writes: number;
  bytesWritten: number;
  fileSyncs: number;
  directorySyncs: number;
  failedSyncs: number;
}

// Captured at load so that vitest fake timers (which replace the global later) cannot stall syncs.
const realSetImmediate = globalThis.setImmediate;
const tick = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));

/** State and logic shared by the file system facade and its handles. */
export class FaultyCore {
  state: FaultyState = 'live';
  readonly current = new Namespace<FaultyInode>();
  readonly durable = new Namespace<FaultyInode>();
  namespacePending: NamespaceOp<FaultyInode>[] = [];
  readonly inodes = new Set<FaultyInode>();
  readonly syncLog: SyncEvent[] = [];
  readonly listeners = new Set<(event: SyncEvent) => void>();
  readonly totals: FaultyTotals = {
    writes: 0,
    bytesWritten: 0,
    fileSyncs: 0,
    directorySyncs: 0,
    failedSyncs: 0,
  };
  crashTarget: { index: number; when: 'after' | 'before' } | null = null;
  syncFailures: (string | undefined)[] = [];
  diskLimit: { bytes: number; prefix: boolean } | null = null;
  writeBudget: number | null = null;
  seq = 0;
  syncCalls = 0;
  private nextInodeId = 1;

  checkLive(): void {
    if (this.state !== 'live') throw crashedError();
  }

  newInode(initial?: Uint8Array): FaultyInode {
    const inode = new FaultyInode(this.nextInodeId++, initial);
    this.inodes.add(inode);
    return inode;
  }

  record(op: NamespaceOp<FaultyInode>): void {
    this.namespacePending.push(op);
  }

  usageBytes(): number {
    const linked = new Set(this.current.files.values());
    let total = 0;
    for (const inode of this.inodes) {
      if (inode.openHandles > 0 || linked.has(inode)) total += inode.current.size;
    }
    return total;
  }

  /** Bytes a growth of `growth` may still use, or Infinity without a limit. */
  private spaceLeft(): number {
    if (this.diskLimit === null) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.diskLimit.bytes - this.usageBytes());
  }

  write(inode: FaultyInode, buf: Uint8Array, position: number, filePath: string): void {
    if (buf.length === 0) return;
    if (this.writeBudget !== null) {
      if (this.writeBudget === 0) throw fsError('EIO', 'write', filePath);
      this.writeBudget--;
    }
    const growth = Math.max(0, position + buf.length - inode.current.size);
    const left = this.spaceLeft();
    if (growth > left) {
      const fits = Math.min(buf.length, Math.max(0, inode.current.size + left - position));
      if (this.diskLimit?.prefix === true && fits > 0) {
        this.applyWrite(inode, buf.subarray(0, fits), position);
      }
      throw fsError('ENOSPC', 'write', filePath);
    }
    this.applyWrite(inode, buf, position);
  }

  private applyWrite(inode: FaultyInode, buf: Uint8Array, position: number): void {
    inode.write(buf, position, ++this.seq);
    this.totals.writes++;
    this.totals.bytesWritten += buf.length;
  }

  truncate(inode: FaultyInode, size: number, filePath: string): void {
    if (size - inode.current.size > this.spaceLeft()) {
      throw fsError('ENOSPC', 'ftruncate', filePath);
    }
    inode.truncate(size, ++this.seq);
  }

  /** Numbers a sync call; freezes and throws when it is the 'before' crash target. */
  private beginSync(): number {
    this.checkLive();
    const index = ++this.syncCalls;
    if (this.crashTarget?.when === 'before' && this.crashTarget.index === index) {
      this.state = 'frozen';
      throw crashedError();
    }
    return index;
  }

  private endSync(event: SyncEvent): void {
    this.syncLog.push(event);
    if (event.kind === 'file') this.totals.fileSyncs++;
    else this.totals.directorySyncs++;
    for (const listener of this.listeners) listener(event);
    if (this.crashTarget?.when === 'after' && this.crashTarget.index === event.index) {
      this.state = 'frozen';
    }
  }

  private takeSyncFailure(key: string): boolean {
    const at = this.syncFailures.findIndex((p) => p === undefined || p === key);
    if (at < 0) return false;
    this.syncFailures.splice(at, 1);
    return true;
  }

  async syncFile(inode: FaultyInode, key: string): Promise<void> {
    const index = this.beginSync();
    const watermark = this.seq;
    const fail = this.takeSyncFailure(key);
    await tick();
    this.checkLive();
    if (fail) {
      inode.discardThrough(watermark);
      inode.counters.failedSyncs++;
      this.totals.failedSyncs++;
      throw fsError('EIO', 'fdatasync', key);
    }
    inode.commitThrough(watermark);
    inode.counters.syncs++;
    this.endSync({ index, kind: 'file', path: key });
  }

  async syncDirectory(key: string): Promise<void> {
    this.checkLive();
    this.current.list(key);
    const index = this.beginSync();
    const watermark = this.seq;
    const fail = this.takeSyncFailure(key);
    await tick();
    this.checkLive();
    if (fail) {
      this.totals.failedSyncs++;
      throw fsError('EIO', 'fsync', key);
    }
    const chosen = selectForDirectorySync(this.namespacePending, key, watermark);
    for (const op of this.namespacePending) if (chosen.has(op)) op.apply(this.durable);
    this.namespacePending = this.namespacePending.filter((op) => !chosen.has(op));
    this.endSync({ index, kind: 'directory', path: key });
  }

  /** Makes every pending data and directory change durable. */
  flushAll(): void {
    for (const op of this.namespacePending) op.apply(this.durable);
    this.namespacePending = [];
    for (const inode of this.inodes) inode.commitAll();
  }
}

/** A handle on one inode of a FaultyFileSystem. */
export class FaultyFile implements StorageFile {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly key: string,
    private readonly core: FaultyCore,
    private readonly inode: FaultyInode,
  ) {
    inode.openHandles++;
  }

  read(buf: Uint8Array, position: number): number {
    this.check('read', position);
    return this.inode.current.read(buf, position);
  }

  write(buf: Uint8Array, position: number): void {
    this.check('write', position);
    this.core.write(this.inode, buf, position, this.key);
  }

  async sync(): Promise<void> {
    this.check('fdatasync', 0);
    await this.core.syncFile(this.inode, this.key);
  }

  truncate(size: number): void {
    this.check('ftruncate', size);
    this.core.truncate(this.inode, size, this.key);
  }

  size(): number {
    this.check('fstat', 0);
    return this.inode.current.size;
  }

  close(): void {
    this.core.checkLive();
    if (this.closed) return;
    this.closed = true;
    this.inode.openHandles--;
  }

  private check(syscall: string, offset: number): void {
    this.core.checkLive();
    if (this.closed) throw fsError('EBADF', syscall, this.key);
    checkOffset(offset, syscall, this.key);
  }
}
