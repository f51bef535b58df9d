/**
 * Backup verification, the "backup drill" of SPEC §9 as one call.
 *
 * Steps, each adding to the report (verification never throws for a bad backup; it reports):
 * 1. the manifest exists and is well formed;
 * 2. every listed file exists with its size and SHA-256;
 * 3. the primary and WAL pair (file ids, seq) with each other and the manifest;
 * 4. the files are copied to a scratch directory (hashes checked again on the copy), the copy is
 *    opened (log recovery included) and probed: its commit seq equals the manifest's, the
 *    structural check with every value inflated, the health check (src/model/health.ts: cells,
 *    seams, indexes), a cell read (the first cell, if any, read back by key and decoded), and
 *    MVCC statistics on format v2;
 * 5. the scratch copy is removed.
 * The backup directory itself is only read.
 *
 * Encrypted backups: the source's key or passphrase goes in the options. It is checked against
 * the primary's key verifier after step 3 and before anything is copied; wrong or missing
 * credentials are the caller's error, not the backup's, so they THROW EncryptionKeyMismatch
 * (credentials for a plain backup: InvalidArgument) instead of producing a failed report.
 */
import { randomBytes } from 'node:crypto';
import nodeFs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { decodeCell } from '../engine/codec.js';
import { familyPrefix } from '../engine/keys.js';
import { checkOptionsObject, hexxlaError, isHexxlaError } from '../errors.js';
import { healthCheck } from '../model/health.js';
import type { HealthReport } from '../model/health.js';
import { mvccStats } from '../mvcc/diff.js';
import type { MvccStats } from '../mvcc/diff.js';
import { RecordReader } from '../mvcc/records.js';
import { checkStore } from '../storage/check.js';
import type { CheckReport } from '../storage/check.js';
import type { FileSystem } from '../storage/file.js';
import { nodeFileSystem } from '../storage/file.js';
import { openStore } from '../storage/open-store.js';
import type { Store } from '../storage/store.js';
import type { EncryptionCredentials } from '../storage/crypto/credentials.js';
import type { StoreOptions } from '../storage/store-options.js';
import { checkCredentials, mergedCredentials } from './credentials.js';
import { copyFileDigest, removeQuietly } from './files.js';
import {
  checkFiles, checkPair, fileOf, isProblem, loadManifest, readPrimaryHeader,
} from './manifest.js';
import type { BackupManifest } from './manifest.js';

/** `encryptionKey` / `passphrase`: the credentials of an encrypted backup's source. */
export interface VerifyOptions extends EncryptionCredentials {
  fs?: FileSystem;
  /** Where the scratch copy goes (default: a fresh directory under the OS temp dir). */
  scratchDir?: string;
  /** Options for opening the copy (cache size; credentials here or at the top level). */
  open?: Omit<StoreOptions, 'fs' | 'create'>;
}

export interface VerifyReport {
  ok: boolean;
  /** What failed, in order; empty when ok. */
  errors: string[];
  manifest: BackupManifest | null;
  /** Commit seq of the opened copy. */
  commitSeq?: bigint;
  structure?: CheckReport;
  health?: HealthReport;
  /** MVCC statistics of the copy (format v2). */
  mvcc?: MvccStats;
  /** Whether a cell was read back (false when the backup has no cells). */
  cellRead?: boolean;
}

/**
 * Verifies the backup in `dir`; see the module comment. Never throws for a bad backup; throws
 * EncryptionKeyMismatch / InvalidArgument for credentials that do not fit it, and
 * PreconditionFailed for a `scratchDir` that already holds files of the backup's names.
 */
export async function verifyBackup(dir: string,
  options: VerifyOptions = {}): Promise<VerifyReport> {
  checkOptionsObject(options, 'verify options');
  const fs = options.fs ?? nodeFileSystem;
  const creds = mergedCredentials(options, options.open);
  const report: VerifyReport = { ok: false, errors: [], manifest: null };
  const fail = (message: string): VerifyReport => {
    report.errors.push(message);
    return report;
  };
  const manifest = loadManifest(fs, dir);
  if (isProblem(manifest)) return fail(manifest.message);
  report.manifest = manifest;
  const problems = checkFiles(fs, dir, manifest);
  if (problems.length === 0) problems.push(...checkPair(fs, dir, manifest));
  if (problems.length > 0) {
    for (const p of problems) report.errors.push(p.message);
    return report;
  }
  const unlock = await checkBackupCredentials(fs, join(dir, fileOf(manifest, 'primary').name),
    creds);
  if (unlock !== null) return fail(unlock);
  const scratch = options.scratchDir ??
    join(os.tmpdir(), `hexxla-verify-${randomBytes(6).toString('hex')}`);
  refuseTakenScratch(fs, scratch, manifest);
  try {
    fs.mkdirp(scratch);
    const open = { ...options.open, ...creds };
    await openAndProbe(fs, dir, scratch, manifest, { ...options, open }, report);
  } catch (err) {
    report.errors.push(`the copy could not be opened or read: ${describe(err)}`);
  } finally {
    removeScratch(fs, scratch, manifest, options.scratchDir === undefined);
  }
  report.ok = report.errors.length === 0;
  return report;
}

async function openAndProbe(fs: FileSystem, dir: string, scratch: string,
  manifest: BackupManifest, options: VerifyOptions, report: VerifyReport): Promise<void> {
  for (const f of manifest.files) {
    const d = await copyFileDigest(fs, join(dir, f.name), join(scratch, f.name));
    if (d.sha256 !== f.sha256 || d.bytes !== f.bytes) {
      report.errors.push(`${f.name} changed while it was being copied for verification`);
      return;
    }
  }
  const store = await openStore(join(scratch, fileOf(manifest, 'primary').name),
    { ...options.open, fs, create: false });
  try {
    probe(store, manifest, report);
  } finally {
    await store.close();
  }
}

/**
 * Checks the credentials against the backup's primary header: throws for credentials that do
 * not fit (the caller's error); returns a message for a damaged encryption area (the backup's
 * fault), null when fine.
 */
async function checkBackupCredentials(fs: FileSystem, primaryPath: string,
  creds: EncryptionCredentials): Promise<string | null> {
  const header = readPrimaryHeader(fs, primaryPath);
  if (header === null) return 'the primary has no valid header';
  try {
    await checkCredentials(header, creds, primaryPath);
    return null;
  } catch (err) {
    if (isHexxlaError(err, 'EncryptionKeyMismatch') || isHexxlaError(err, 'InvalidArgument')) {
      throw err;
    }
    return `the primary's encryption header is unusable: ${describe(err)}`;
  }
}

/** The read probes and checks on the opened copy. */
function probe(store: Store, manifest: BackupManifest, report: VerifyReport): void {
  const seq = store.commitSeq;
  report.commitSeq = seq;
  if (String(seq) !== manifest.commitSeq) {
    report.errors.push(`the copy opens at seq ${seq}, the manifest says ${manifest.commitSeq}`);
  }
  const structure = checkStore(store, { verifyValues: true });
  report.structure = structure;
  const mvcc = store.identity.formatVersion >= 2;
  store.view((tx) => {
    const records = new RecordReader(tx, mvcc, seq);
    const health = healthCheck(records, () => structure);
    report.health = health;
    for (const e of health.errors) report.errors.push(`health: ${e}`);
    if (health.errorCount > health.errors.length) {
      report.errors.push(`health: ${health.errorCount - health.errors.length} more errors`);
    }
    report.cellRead = readFirstCell(records);
    if (mvcc) report.mvcc = mvccStats(tx, seq);
  });
}

/** Reads the first cell by key and decodes it; false when there is no cell. Throws on damage. */
function readFirstCell(records: RecordReader): boolean {
  for (const [logical, value] of records.scan(familyPrefix('cell'), { limit: 1 })) {
    const again = records.get(logical);
    if (again === undefined || Buffer.compare(again, value) !== 0) {
      throw new Error('the first cell does not read back by its key');
    }
    decodeCell(value);
    return true;
  }
  return false;
}

function describe(err: unknown): string {
  if (isHexxlaError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Throws PreconditionFailed when the scratch directory already holds a file the copy would use
 * (the backup directory itself, or a database of the same name): verify would write over it and
 * then remove it, destroying the backup or that database.
 */
function refuseTakenScratch(fs: FileSystem, scratch: string, manifest: BackupManifest): void {
  const names = manifest.files.map((f) => f.name);
  const primary = fileOf(manifest, 'primary').name;
  const taken = [...names, `${primary}-lock`].filter((n) => fs.exists(join(scratch, n)));
  if (taken.length > 0) {
    throw hexxlaError('PreconditionFailed', `the scratch directory already holds ` +
      `${taken.join(', ')}; give an empty one`, { path: scratch });
  }
}

function removeScratch(fs: FileSystem, scratch: string, manifest: BackupManifest,
  ownDir: boolean): void {
  for (const f of manifest.files) removeQuietly(fs, join(scratch, f.name));
  if (ownDir && fs === nodeFileSystem) {
    // Our own temp directory (on the real file system): remove it whole.
    nodeFs.rmSync(scratch, { recursive: true, force: true });
  }
}
