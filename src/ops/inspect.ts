/**
 * Offline inspection of a database file: the check (structure + health, SPEC §11) and stats, as
 * the `check` and `stats` commands run them. Both open the file with the engine, so a log left
 * by a crash is recovered (and checkpointed) first, as any open would.
 */
import { healthCheck } from '../model/health.js';
import type { HealthOptions, HealthReport } from '../model/health.js';
import { mvccStats } from '../mvcc/diff.js';
import type { MvccStats } from '../mvcc/diff.js';
import { RecordReader } from '../mvcc/records.js';
import { checkStore } from '../storage/check.js';
import type { FileSystem } from '../storage/file.js';
import { nodeFileSystem } from '../storage/file.js';
import { headerFlagEncrypted } from '../storage/header.js';
import { openStore } from '../storage/open-store.js';
import type { Store, StoreStats } from '../storage/store.js';
import type { StoreOptions } from '../storage/store-options.js';
import { estimateEntries } from './estimate.js';
import { toHex } from './files.js';

export interface InspectOptions {
  fs?: FileSystem;
  /** Options for opening (cache size, credentials once encryption exists). */
  open?: Omit<StoreOptions, 'fs' | 'create'>;
}

/** Runs the structural check (values inflated) and the health check on the head. */
export function checkOpenStore(store: Store, options: HealthOptions = {}): HealthReport {
  const structure = checkStore(store, { verifyValues: true,
    ...(options.errorsMax === undefined ? {} : { errorsMax: options.errorsMax }) });
  const mvcc = store.identity.formatVersion >= 2;
  return store.view((tx) => healthCheck(new RecordReader(tx, mvcc, store.commitSeq),
    () => structure, options));
}

/** Opens `path` (must exist), checks it, closes it. Throws NotFound, CorruptDatabase, IoError. */
export async function checkFile(path: string, options: InspectOptions & HealthOptions = {}):
  Promise<HealthReport> {
  const store = await openStore(path, { ...options.open, fs: options.fs ?? nodeFileSystem,
    create: false });
  try {
    return checkOpenStore(store, options);
  } finally {
    await store.close();
  }
}

export interface FileStats {
  path: string;
  fileId: string;
  formatVersion: number;
  mvcc: boolean;
  encrypted: boolean;
  pageSize: number;
  maxValueBytes: number;
  commitSeq: bigint;
  commitTimeMs: bigint;
  /** Primary file bytes in use (pageCount × pageSize). */
  bytes: number;
  /** Estimated tree entries (from the tree's shape). */
  entriesEstimated: number;
  store: StoreStats;
  /** Head seq, live cells and version rows (format v2 only). */
  mvccStats?: MvccStats;
}

/** Stats of an open store (one read of the head). */
export function storeFileStats(store: Store): FileStats {
  const id = store.identity;
  const stats = store.stats();
  const mvcc = id.formatVersion >= 2;
  return store.view((tx) => ({
    path: store.path, fileId: toHex(id.fileId), formatVersion: id.formatVersion, mvcc,
    encrypted: (id.flags & headerFlagEncrypted) !== 0, pageSize: id.pageSize,
    maxValueBytes: id.maxValueBytes, commitSeq: store.commitSeq,
    commitTimeMs: store.commitTimeMs, bytes: stats.pageCount * id.pageSize,
    entriesEstimated: estimateEntries(tx), store: stats,
    ...(mvcc ? { mvccStats: mvccStats(tx, store.commitSeq) } : {}),
  }));
}

/** Opens `path` (must exist), reads its stats, closes it. */
export async function statsFile(path: string, options: InspectOptions = {}): Promise<FileStats> {
  const store = await openStore(path, { ...options.open, fs: options.fs ?? nodeFileSystem,
    create: false });
  try {
    return storeFileStats(store);
  } finally {
    await store.close();
  }
}
