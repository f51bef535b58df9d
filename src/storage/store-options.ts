/** Options of the storage layer and their validation (bounds from limits.ts). */
import { hexxlaError } from '../errors.js';
import {
  cacheBytesDefault, cachePagesMin, pageSizeDefault, pageSizesAllowed, valueBytesMaxDefault,
  valueBytesMaxMax, valueBytesMaxMin, walCheckpointBytesDefault, walCheckpointBytesMin,
} from '../limits.js';
import { resolveCredentials } from './crypto/credentials.js';
import type { EncryptionCredentials, ResolvedCredentials } from './crypto/credentials.js';
import type { FileSystem } from './file.js';
import { nodeFileSystem } from './file.js';

export interface StoreOptions extends EncryptionCredentials {
  /** File-system seam; tests inject memory and fault-injecting ones. Default: node:fs. */
  fs?: FileSystem;
  /** Create the database when missing (default true). */
  create?: boolean;
  /** Page size for a new database (default 4096); an existing file keeps its own. */
  pageSize?: number;
  /** Largest value for a new database (default 8192); an existing file keeps its own. */
  maxValueBytes?: number;
  /** Enable MVCC (format v2) for a new database (default false). */
  mvcc?: boolean;
  /** Page cache budget in bytes (default 64 MiB). */
  cacheBytes?: number;
  /** WAL size that triggers a checkpoint (default 16 MiB). */
  walCheckpointBytes?: number;
  /**
   * Group-commit batches whose fsync may run at once (1 … 4, default 1). With 2, the callbacks
   * of one group of concurrent writers run while the previous group's fsync is in flight: worth
   * it on disks that serve concurrent flushes in parallel, at up to twice the fsyncs (see
   * docs/performance.md "Group commit"). Durability is the same for every value.
   */
  walSyncsInFlight?: number;
  // encryptionKey, passphrase, kdfCost (EncryptionCredentials): a new database given either
  // credential is encrypted (AES-256-GCM, SPEC §4.4); an encrypted one needs the same to open.
}

export interface ResolvedStoreOptions {
  fs: FileSystem;
  create: boolean;
  pageSize: number;
  maxValueBytes: number;
  mvcc: boolean;
  cacheBytes: number;
  walCheckpointBytes: number;
  walSyncsInFlight: number;
  /** Validated credentials, null for none. */
  credentials: ResolvedCredentials | null;
}

function invalid(option: string, message: string, value: unknown): never {
  throw hexxlaError('InvalidArgument', `option ${option}: ${message}`,
    { option, value: String(value) });
}

function checkInteger(option: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    invalid(option, `must be an integer in [${min}, ${max}]`, value);
  }
  return value;
}

/**
 * A boolean option, or `fallback` when absent. Anything else (the string 'false', 0, 1) is
 * refused: read by truthiness, `mvcc: 'false'` created an MVCC database, fixed forever.
 */
export function booleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(option, 'must be a boolean', value);
  return value;
}

/** Fills defaults and validates; throws InvalidArgument naming the option and its bound. */
export function resolveStoreOptions(o: StoreOptions = {}): ResolvedStoreOptions {
  if (typeof o !== 'object' || o === null) {
    throw hexxlaError('InvalidArgument', 'options must be an object');
  }
  const pageSize = o.pageSize ?? pageSizeDefault;
  if (!(pageSizesAllowed as readonly number[]).includes(pageSize)) {
    invalid('pageSize', `must be one of ${pageSizesAllowed.join(', ')}`, pageSize);
  }
  return {
    fs: o.fs ?? nodeFileSystem,
    create: booleanOption('create', o.create, true),
    pageSize,
    maxValueBytes: checkInteger('maxValueBytes', o.maxValueBytes ?? valueBytesMaxDefault,
      valueBytesMaxMin, valueBytesMaxMax),
    mvcc: booleanOption('mvcc', o.mvcc, false),
    cacheBytes: checkInteger('cacheBytes', o.cacheBytes ?? cacheBytesDefault, 0,
      Number.MAX_SAFE_INTEGER),
    walCheckpointBytes: checkInteger('walCheckpointBytes',
      o.walCheckpointBytes ?? walCheckpointBytesDefault, walCheckpointBytesMin, 2 ** 40),
    walSyncsInFlight: checkInteger('walSyncsInFlight', o.walSyncsInFlight ?? 1, 1, 4),
    credentials: resolveCredentials(o),
  };
}

/** Pages the cache may hold for a budget. */
export function cachePages(cacheBytes: number, pageSize: number): number {
  return Math.max(cachePagesMin, Math.floor(cacheBytes / pageSize));
}
