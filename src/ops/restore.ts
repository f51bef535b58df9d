/**
 * Restore (SPEC §9): put a backup's primary and log back as a database, refusing sets that are
 * incomplete or do not belong together.
 *
 * Refusals are `PreconditionFailed` with `context.reason` (manifest-missing, manifest-invalid,
 * file-missing, size-mismatch, hash-mismatch, pair-mismatch, destination-exists): the backup set
 * does not meet the precondition of a restore. `CorruptDatabase` stays reserved for opening a
 * live database; nothing here is written before every check passed, and a refused restore
 * changes nothing at the destination.
 *
 * Steps: manifest, sizes and hashes, pairing (primary header ↔ manifest ↔ WAL header); copy
 * both files to `<to>.restoring` / `<to>-wal.restoring` while hashing the bytes written (they
 * must match the manifest again: what is checked is what lands), fsync; remove the old
 * `<to>-wal` (with `force`) and `<to>-changelog` (they belong to the database being replaced or
 * to an earlier one of that name; a changelog would describe commits the restored primary never
 * had) and fsync the directory; rename the
 * primary, then the log, and fsync the directory. A crash between the two renames leaves the
 * restored primary without a log, which opens (the backup's log holds no commits).
 *
 * Encrypted backups restore without credentials (the files are copied as they are, still
 * sealed). Credentials given in the options are checked against the backup's key verifier first:
 * a wrong key or passphrase is EncryptionKeyMismatch before anything is written, so an operator
 * does not restore a backup they cannot open.
 */
import { dirname, join } from 'node:path';
import { checkOptionsObject, hexxlaError, ioError } from '../errors.js';
import type { EncryptionCredentials } from '../storage/crypto/credentials.js';
import type { FileSystem } from '../storage/file.js';
import { nodeFileSystem } from '../storage/file.js';
import { lockDatabase } from '../storage/file-lock.js';
import { checkCredentials, credentialsOf } from './credentials.js';
import {
  copyFileDigest, removeQuietly, removeStaleSidecars, renameFile, syncParent,
} from './files.js';
import {
  checkFiles, checkPair, fileOf, isProblem, loadManifest, problemError, readPrimaryHeader,
} from './manifest.js';
import type { BackupManifest } from './manifest.js';

/** `encryptionKey` / `passphrase` (optional): checked against an encrypted backup first. */
export interface RestoreOptions extends EncryptionCredentials {
  /** Replace an existing database at the destination (default false: refuse). */
  force?: boolean;
  fs?: FileSystem;
}

export interface RestoreResult {
  path: string;
  commitSeq: bigint;
  pairId: string;
}

/**
 * Restores the backup in `fromDir` to the database path `toPath` (and `<toPath>-wal`). Throws
 * PreconditionFailed (see the module comment), EncryptionKeyMismatch / InvalidArgument for
 * credentials that do not fit the backup, NotFound, IoError, DiskFull.
 */
export async function restore(fromDir: string, toPath: string,
  options: RestoreOptions = {}): Promise<RestoreResult> {
  checkOptionsObject(options, 'restore options');
  const fs = options.fs ?? nodeFileSystem;
  if (typeof toPath !== 'string' || toPath.length === 0) {
    throw hexxlaError('InvalidArgument', 'the destination path must be a non-empty string');
  }
  const manifest = loadManifest(fs, fromDir);
  if (isProblem(manifest)) throw problemError(manifest, fromDir);
  const problems = [...checkFiles(fs, fromDir, manifest)];
  if (problems.length === 0) problems.push(...checkPair(fs, fromDir, manifest));
  if (problems[0] !== undefined) throw problemError(problems[0], fromDir);
  const creds = credentialsOf(options);
  if (Object.keys(creds).length > 0) {
    const primaryPath = join(fromDir, fileOf(manifest, 'primary').name);
    // checkPair just read this header, so it exists and is valid.
    await checkCredentials(readPrimaryHeader(fs, primaryPath)!, creds, primaryPath);
  }
  const targets = [toPath, `${toPath}-wal`];
  if (options.force !== true && targets.some((p) => fs.exists(p))) {
    throw hexxlaError('PreconditionFailed', 'a database exists at the destination (use force ' +
      'to replace it)', { path: toPath, reason: 'destination-exists' });
  }
  try {
    fs.mkdirp(dirname(toPath));
  } catch (err) {
    throw ioError('create the destination directory', dirname(toPath), err);
  }
  // Never under a database that is open (force would pull its files away): DatabaseLocked.
  const lock = lockDatabase(fs, toPath);
  try {
    await copyChecked(fs, fromDir, toPath, manifest);
    await putInPlace(fs, toPath);
  } finally {
    lock.release();
  }
  return { path: toPath, commitSeq: BigInt(manifest.commitSeq), pairId: manifest.pairId };
}

/**
 * Renames the checked copies to their names, after removing the replaced database's log and
 * changelog (with force; without it there is no log, checked under the lock, and a changelog is
 * one an earlier database of that name left: paired with the restored primary it would make
 * open fail). A failed rename (the destination is a directory, say) removes the copies still
 * under their `.restoring` names: nothing but the database's files may stay behind.
 */
async function putInPlace(fs: FileSystem, toPath: string): Promise<void> {
  try {
    await removeStaleSidecars(fs, toPath);
    renameFile(fs, `${toPath}.restoring`, toPath);
    renameFile(fs, `${toPath}-wal.restoring`, `${toPath}-wal`);
    await syncParent(fs, toPath);
  } catch (err) {
    for (const tmp of [`${toPath}.restoring`, `${toPath}-wal.restoring`]) removeQuietly(fs, tmp);
    throw err;
  }
}

/** Copies both files to their `.restoring` names, comparing what was written with the manifest. */
async function copyChecked(fs: FileSystem, fromDir: string, toPath: string,
  manifest: BackupManifest): Promise<void> {
  const plan = [
    { file: fileOf(manifest, 'primary'), to: `${toPath}.restoring` },
    { file: fileOf(manifest, 'wal'), to: `${toPath}-wal.restoring` },
  ];
  try {
    for (const { file, to } of plan) {
      removeQuietly(fs, to);
      const d = await copyFileDigest(fs, join(fromDir, file.name), to);
      if (d.bytes !== file.bytes || d.sha256 !== file.sha256) {
        throw problemError({ reason: 'hash-mismatch', message: `${file.name} changed while ` +
          'it was being restored' }, fromDir);
      }
    }
  } catch (err) {
    for (const { to } of plan) removeQuietly(fs, to);
    throw err;
  }
}
