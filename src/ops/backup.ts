/**
 * Hot backup (SPEC §9): a consistent copy of one snapshot, taken while writes continue.
 *
 * A backup directory holds three files:
 * - `<name>`: a compacted copy of the database at seq S (src/ops/compact.ts: MVCC sources are
 *   copied in chunks with S pinned, writes continue; v1 sources in one synchronous read), with a
 *   new file id, the "pair id";
 * - `<name>-wal`: a log holding only a header (no frames) that names the pair id and starts at
 *   S. It is "empty" (every commit is in the primary) but carries the pairing, so restore can
 *   refuse a log from another database or instant;
 * - `manifest.json` (src/ops/manifest.ts): names, sizes, SHA-256, S, pair id; written last.
 * The primary and log are published by rename after fsync, the directory fsynced, so a crash
 * leaves either a complete backup or one without manifest (which verify and restore refuse).
 * Cancellation or failure removes what was written. The changelog is not part of a backup.
 *
 * Encrypted sources give an encrypted backup: the primary is sealed for its new file id under
 * the source's keys and encryption parameters (the same key or passphrase opens it), and the
 * manifest says `encrypted: true`. The log header is never encrypted (docs/format.md "Sealed WAL
 * frames": only frame payloads are), so the empty log of an encrypted backup has the same bytes
 * as a plain one's; the next open appends sealed frames to it.
 */
import { randomInt } from 'node:crypto';
import { basename, join } from 'node:path';
import { checkOptionsObject, hexxlaError, isHexxlaError } from '../errors.js';
import type { FileSystem } from '../storage/file.js';
import { nodeFileSystem } from '../storage/file.js';
import { openStore } from '../storage/open-store.js';
import type { Store } from '../storage/store.js';
import {
  encodeWalHeader, walFramesStart, walHeaderSlotOffsets,
} from '../storage/wal/wal-format.js';
import { compactStore, sourceOpenOptions } from './compact.js';
import type { CompactFileOptions, CompactOptions, CompactResult, CopySource } from './compact.js';
import { digestFile, removeQuietly, writeFileAtomic } from './files.js';
import { encodeManifest, manifestName, manifestVersion } from './manifest.js';
import type { BackupManifest } from './manifest.js';

/** Options of a backup: those of the copy (signal, progress, fs, chunking). */
export type BackupOptions = CompactOptions;

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
  /** The copy's statistics (entries, pages, bytes, source size). */
  copy: CompactResult;
}

/**
 * Writes a hot backup of the open database `source` into `dir` (created if needed). Throws
 * PreconditionFailed when `dir` already holds a backup or files of that name, plus the errors of
 * compaction (Cancelled, UnsupportedFormat, DatabaseClosed, IoError, DiskFull).
 */
export async function backupTo(source: CopySource, dir: string,
  options: BackupOptions = {}): Promise<BackupResult> {
  const store = source.storage;
  return backupStore(store, dir, options, store.identity.formatVersion >= 2,
    (seq) => source.pinSeq?.(seq));
}

/**
 * Backs up the closed database at `src` into `dir` (offline: opens it, copies, closes it). An
 * encrypted source needs its credentials in `options` (EncryptionKeyMismatch otherwise).
 */
export async function backupFile(src: string, dir: string,
  options: CompactFileOptions = {}): Promise<BackupResult> {
  checkOptionsObject(options, 'backup options');
  const store = await openStore(src, sourceOpenOptions(options));
  try {
    return await backupStore(store, dir, options, true, () => undefined);
  } finally {
    await store.close();
  }
}

async function backupStore(store: Store, dir: string, options: BackupOptions, chunked: boolean,
  pin: (seq: bigint) => (() => void) | undefined): Promise<BackupResult> {
  const fs = options.fs ?? nodeFileSystem;
  const name = basename(store.path);
  const names = [name, `${name}-wal`, manifestName];
  try {
    fs.mkdirp(dir);
  } catch (err) {
    throw hexxlaError('IoError', 'cannot create the backup directory', { path: dir }, err);
  }
  const taken = names.filter((n) => fs.exists(join(dir, n)));
  if (taken.length > 0) {
    throw hexxlaError('PreconditionFailed',
      `the backup directory already holds ${taken.join(', ')}`, { path: dir });
  }
  let copied = false;
  try {
    const copy = await compactStore(store, join(dir, name), options, { chunked, pin });
    copied = true;
    await writeFileAtomic(fs, join(dir, `${name}-wal`), emptyWal(store.pageSize, copy));
    const manifest = buildManifest(fs, dir, store, copy);
    await writeFileAtomic(fs, join(dir, manifestName), encodeManifest(manifest));
    return { dir, manifest, copy };
  } catch (err) {
    if (copied) for (const n of names) removeQuietly(fs, join(dir, n));
    throw isHexxlaError(err) ? err : hexxlaError('IoError', 'backup failed', { path: dir }, err);
  }
}

/** A log with a valid header for the copy (generation 1, no frames). */
function emptyWal(pageSize: number, copy: CompactResult): Uint8Array {
  const buf = new Uint8Array(walFramesStart);
  const header = encodeWalHeader({
    pageSize, generation: 1n, salt0: randomInt(2 ** 32 - 1), salt1: randomInt(2 ** 32 - 1),
    fileId: Uint8Array.from(Buffer.from(copy.fileId, 'hex')), baseSeq: copy.commitSeq,
  });
  buf.set(header, walHeaderSlotOffsets[0]);
  return buf;
}

function buildManifest(fs: FileSystem, dir: string, store: Store,
  copy: CompactResult): BackupManifest {
  const name = basename(store.path);
  const primary = digestFile(fs, join(dir, name));
  const wal = digestFile(fs, join(dir, `${name}-wal`));
  return {
    version: manifestVersion,
    kind: 'hexxladb-backup',
    files: [
      { name, role: 'primary', ...primary },
      { name: `${name}-wal`, role: 'wal', ...wal },
    ],
    commitSeq: String(copy.commitSeq),
    commitTimeMs: String(copy.commitTimeMs),
    pairId: copy.fileId,
    formatVersion: store.identity.formatVersion,
    pageSize: store.pageSize,
    encrypted: store.encryptionKeys !== null,
    createdAt: new Date().toISOString(),
    source: store.path,
  };
}
