/**
 * Offline key rotation (SPEC §4.4): re-encrypts every page of a closed database under new
 * credentials.
 *
 * Steps (crash-safe: at every instant the files on disk open with the old or the new key):
 * 1. unlock the primary with the old credentials (EncryptionKeyMismatch otherwise) and check
 *    that its log holds no commit the primary lacks (a cleanly closed database; otherwise
 *    InvalidArgument: open and close it first);
 * 2. write `<path>.rotating`: the same header (same file id, commit state) with new encryption
 *    parameters (new random salt, verifier) and every page opened under the old pages subkey and
 *    sealed under the new one with a fresh nonce, in batches (progress, cancellation);
 * 3. fsync it;
 * 4. remove the log and fsync the directory: the log holds no needed commit (step 1), but its
 *    stale frames are sealed under the old WAL subkey and would fail their tags next to the new
 *    primary. Until step 5 the old primary opens alone with the old key;
 * 5. rename `<path>.rotating` over `<path>` and fsync the directory.
 * A crash before 5 leaves the old primary (the temporary file is garbage, removed by the next
 * rotation); after it, the new one. Pages are never decrypted into the file: the temporary file
 * holds only ciphertext under the new key.
 */
import { dirname } from 'node:path';
import { hexxlaError, ioError, isHexxlaError } from '../../errors.js';
import { failpoint } from '../../failpoints.js';
import { rotateBatchPagesDefault, rotateBatchPagesMax } from '../../limits.js';
import { nodeFileSystem } from '../file.js';
import type { FileSystem, StorageFile } from '../file.js';
import { lockDatabase } from '../file-lock.js';
import {
  encodeHeader, hasPageVersions, headerSlotOffsets, readHeader, verifyHeaderMac,
} from '../header.js';
import { decodePage, pageTypeFreelist } from '../page.js';
import type { PageNode } from '../page.js';
import { versionGeometry, versionTable } from '../page-versions.js';
import type { FileHeader } from '../header.js';
import { recoverWal } from '../wal/recovery.js';
import { resolveCredentials } from './credentials.js';
import type { EncryptionCredentials, ResolvedCredentials } from './credentials.js';
import { isEncrypted, unlockEncryption } from './key-verifier.js';
import { newEncryption } from './kdf.js';
import { storeCipher } from './seal.js';
import type { StoreCipher } from './seal.js';

/** Progress of a rotation, reported after every batch. */
export interface RotateProgress {
  pagesDone: number;
  pagesTotal: number;
}

export interface RotateEncryptionOptions {
  /** Pages per batch between yields to the event loop (default 256, 1 … 65,536). */
  batchSize?: number;
  /** Called after every batch (and once at the end with pagesDone = pagesTotal). */
  /** Called after each batch; an async one is awaited and its rejection fails the rotation. */
  onProgress?: (progress: RotateProgress) => void;
  /** Aborts between batches: the temporary file is removed, the database is left as it was. */
  signal?: AbortSignal;
  /** File-system seam (default node:fs). */
  fs?: FileSystem;
  /**
   * A changelog sidecar (`<path>-changelog`) is sealed under the old key and cannot be read
   * after rotation: rotation refuses (PreconditionFailed) while one exists, unless this is true,
   * in which case it is removed once the rotated primary is in place (a fresh log starts at the
   * next open with the changelog on).
   */
  discardChangelog?: boolean;
}

export interface RotateEncryptionResult {
  /** Pages re-encrypted (page 0, the header, excluded). */
  pages: number;
  /** Bytes of the new primary. */
  bytes: number;
}

interface Source {
  header: FileHeader;
  oldCipher: StoreCipher;
  /** Version of every page (a file with page versions), kept by the re-sealed pages. */
  versions: Float64Array | null;
  /** The free page ids (the freelist chain from the header). */
  free: Set<number>;
}

/**
 * Re-encrypts the closed database at `path` from `oldCredentials` to `newCredentials` (each a
 * raw key or a passphrase; see EncryptionCredentials). Throws InvalidArgument (bad credentials
 * or options, a plain database, a log with unapplied commits), NotFound, EncryptionKeyMismatch
 * (old credentials wrong), CorruptDatabase (a page fails its tag: nothing is replaced),
 * Cancelled, IoError / DiskFull, DatabaseLocked (the database is open: rotate it online with
 * Database.rotateEncryption instead). Holds the database lock while it runs.
 */
export async function rotateEncryption(
  path: string, oldCredentials: EncryptionCredentials, newCredentials: EncryptionCredentials,
  options: RotateEncryptionOptions = {},
): Promise<RotateEncryptionResult> {
  const fs = options.fs ?? nodeFileSystem;
  if (!fs.exists(path)) throw hexxlaError('NotFound', 'no database at this path', { path });
  const lock = lockDatabase(fs, path);
  try {
    return await rotateFiles(path, oldCredentials, newCredentials, options);
  } finally {
    lock.release();
  }
}

/** rotateEncryption for a caller that holds the database lock (online rotation). */
export async function rotateFiles(
  path: string, oldCredentials: EncryptionCredentials, newCredentials: EncryptionCredentials,
  options: RotateEncryptionOptions = {},
): Promise<RotateEncryptionResult> {
  const fs = options.fs ?? nodeFileSystem;
  const batchSize = checkBatchSize(options.batchSize ?? rotateBatchPagesDefault);
  const oldCreds = requireCredentials(oldCredentials, 'oldCredentials');
  const newCreds = requireCredentials(newCredentials, 'newCredentials');
  if (!fs.exists(path)) throw hexxlaError('NotFound', 'no database at this path', { path });
  const changelogPath = `${path}-changelog`;
  if (fs.exists(changelogPath) && options.discardChangelog !== true) {
    throw hexxlaError('PreconditionFailed', 'the database has a changelog sealed under the old ' +
      'key: pass discardChangelog to rotate anyway (the log is removed)', { path });
  }
  const tmpPath = `${path}.rotating`;
  let primary: StorageFile | null = openFile(fs, path);
  let published = false;
  try {
    const src = await readSource(fs, primary, path, oldCreds);
    if (fs.exists(tmpPath)) fs.remove(tmpPath);
    const result = await writeRotated(fs, primary, src, newCreds, tmpPath,
      { batchSize, onProgress: options.onProgress, signal: options.signal });
    primary.close();
    primary = null;
    published = await publish(fs, path, tmpPath);
    if (fs.exists(changelogPath)) {
      // Unreadable under the new key; the primary no longer pairs with its frames' seals.
      fs.remove(changelogPath);
      await fs.syncDirectory(dirname(path));
    }
    return result;
  } catch (err) {
    throw isHexxlaError(err) ? err : ioError('rotate encryption', path, err);
  } finally {
    primary?.close();
    if (!published) removeQuietly(fs, tmpPath);
  }
}

function checkBatchSize(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > rotateBatchPagesMax) {
    throw hexxlaError('InvalidArgument', `option batchSize: must be an integer in [1, ` +
      `${rotateBatchPagesMax}]`, { option: 'batchSize', value: String(n) });
  }
  return n;
}

function requireCredentials(c: EncryptionCredentials, name: string): ResolvedCredentials {
  const resolved = resolveCredentials(c ?? {});
  if (resolved === null) {
    throw hexxlaError('InvalidArgument', `${name}: give encryptionKey or passphrase`,
      { option: name });
  }
  return resolved;
}

function openFile(fs: FileSystem, path: string): StorageFile {
  try {
    return fs.open(path);
  } catch (err) {
    throw ioError('open', path, err);
  }
}

/** Step 1: header, old keys, and the proof that the log holds nothing the primary lacks. */
async function readSource(
  fs: FileSystem, primary: StorageFile, path: string, creds: ResolvedCredentials,
): Promise<Source> {
  const page0 = new Uint8Array(4096);
  primary.read(page0, 0);
  const { header, slot } = readHeader(page0, path);
  if (!isEncrypted(header)) {
    throw hexxlaError('InvalidArgument', 'the database is not encrypted: rotation re-encrypts ' +
      'an encrypted database (encrypt a plain one by compacting it into an encrypted copy)',
      { path });
  }
  const keys = await unlockEncryption(header, creds, path);
  if (hasPageVersions(header)) verifyHeaderMac(page0, slot, keys!.subkey('header'), path);
  const oldCipher = storeCipher(keys!, header);
  const walPath = `${path}-wal`;
  if (fs.exists(walPath)) {
    const wal = openFile(fs, walPath);
    try {
      if (recoverWal(wal, header, walPath, oldCipher.wal).commits > 0) {
        throw hexxlaError('InvalidArgument', 'the write-ahead log holds commits that are not ' +
          'in the primary yet: open and close the database, then rotate', { path });
      }
    } finally {
      wal.close();
    }
  }
  const versions = !hasPageVersions(header) ? null
    : versionTable(versionGeometry(header.pageSize - header.reserveBytes), header.pageCount,
      Number(header.commitSeq), (pageNo, version) => readSealedPage(primary, header, oldCipher,
        pageNo, version), path);
  const free = freePages(header, (pageNo) =>
    readSealedPage(primary, header, oldCipher, pageNo, versions?.[pageNo] ?? 0), path);
  return { header, oldCipher, versions, free };
}

/** The ids the freelist chain holds (CorruptDatabase when a trunk is not one). */
function freePages(
  header: FileHeader, read: (pageNo: number) => PageNode, path: string,
): Set<number> {
  const free = new Set<number>();
  // At most pageCount trunks: a cycle in a damaged chain must not loop forever.
  for (let trunk = header.freelistHead, n = 0; trunk !== 0; n++) {
    const node = read(trunk);
    if (node.type !== pageTypeFreelist || n >= header.pageCount) {
      throw hexxlaError('CorruptDatabase', `page ${trunk} is not a freelist trunk; nothing was ` +
        'rotated', { path, page: trunk });
    }
    for (const id of node.ids) free.add(id);
    trunk = node.next;
  }
  return free;
}

/** Page `pageNo` of the primary, opened with `version` and decoded (version-map walks). */
function readSealedPage(
  primary: StorageFile, header: FileHeader, cipher: StoreCipher, pageNo: number, version: number,
): PageNode {
  const buf = new Uint8Array(header.pageSize);
  const n = primary.read(buf, pageNo * header.pageSize);
  const plain = n < buf.length ? null : cipher.pages.open(buf, pageNo, version);
  if (plain === null) {
    throw hexxlaError('CorruptDatabase', `page ${pageNo} fails its authentication tag; ` +
      'nothing was rotated', { path: primary.path, page: pageNo });
  }
  return decodePage(plain, pageNo, header.pageSize - header.reserveBytes, primary.path);
}

interface WriteOptions {
  batchSize: number;
  onProgress: RotateEncryptionOptions['onProgress'];
  signal: AbortSignal | undefined;
}

/** Steps 2–3: the re-encrypted copy in `tmpPath`, fsynced. */
async function writeRotated(
  fs: FileSystem, primary: StorageFile, src: Source, newCreds: ResolvedCredentials,
  tmpPath: string, o: WriteOptions,
): Promise<RotateEncryptionResult> {
  const { header } = src;
  const enc = await newEncryption(newCreds, header.fileId, tmpPath);
  const target: FileHeader = { ...header, encryption: enc.area, headerSeq: header.headerSeq + 1n };
  const newCipher = storeCipher(enc.keys, target);
  const tmp = fs.open(tmpPath, { create: true });
  try {
    const pagesTotal = header.pageCount - 1;
    for (let first = 1; first < header.pageCount; first += o.batchSize) {
      checkAborted(o.signal, tmpPath);
      const count = Math.min(o.batchSize, header.pageCount - first);
      reencryptBatch(primary, tmp, { first, count, pageSize: header.pageSize },
        src, newCipher);
      // Awaited: an async callback's rejection fails the rotation (the old files stay)
      // instead of crashing the process as an unhandled rejection.
      await o.onProgress?.({ pagesDone: first + count - 1, pagesTotal });
      // Long rotations run in bounded steps: let the event loop serve others in between.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    checkAborted(o.signal, tmpPath);
    const page0 = new Uint8Array(header.pageSize);
    page0.set(encodeHeader(target, hasPageVersions(target) ? enc.keys.subkey('header') : null),
      headerSlotOffsets[0]);
    tmp.write(page0, 0);
    failpoint('rotate-before-sync');
    await tmp.sync();
    if (pagesTotal === 0) await o.onProgress?.({ pagesDone: 0, pagesTotal });
    return { pages: pagesTotal, bytes: header.pageCount * header.pageSize };
  } finally {
    tmp.close();
  }
}

/** Re-seals pages [first, first + count) from `source` into `target` at the same offsets. */
function reencryptBatch(
  source: StorageFile, target: StorageFile, r: { first: number; count: number; pageSize: number },
  src: Source, newCipher: StoreCipher,
): void {
  const buf = new Uint8Array(r.count * r.pageSize);
  const n = source.read(buf, r.first * r.pageSize);
  if (n < buf.length) {
    throw hexxlaError('CorruptDatabase', 'the primary is shorter than its page count',
      { path: source.path, page: r.first + Math.floor(n / r.pageSize) });
  }
  for (let i = 0; i < r.count; i++) {
    const pageNo = r.first + i;
    const at = i * r.pageSize;
    const version = src.versions?.[pageNo] ?? 0;
    const sealed = buf.subarray(at, at + r.pageSize);
    // A free page allocated and freed by the same commit was never written: the checkpoint
    // extended the file with zeros there. Nothing reads it; it stays zero.
    if (src.free.has(pageNo) && sealed.every((b) => b === 0)) continue;
    const plain = src.oldCipher.pages.open(sealed, pageNo, version);
    if (plain === null) {
      throw hexxlaError('CorruptDatabase', `page ${pageNo} fails its authentication tag; ` +
        'nothing was rotated', { path: source.path, page: pageNo });
    }
    buf.set(newCipher.pages.seal(plain, pageNo, version), at);
    plain.fill(0); // do not leave plaintext pages lying around longer than needed
  }
  target.write(buf, r.first * r.pageSize);
}

function checkAborted(signal: AbortSignal | undefined, path: string): void {
  if (signal?.aborted === true) {
    throw hexxlaError('Cancelled', 'key rotation was cancelled; the database is unchanged',
      { path });
  }
}

/**
 * Steps 4–5: drop the (empty) log, then rename the new primary into place. Returns true (the
 * temporary name is gone) once the rename happened, also if the directory fsync then fails.
 */
async function publish(fs: FileSystem, path: string, tmpPath: string): Promise<boolean> {
  const dir = dirname(path);
  const walPath = `${path}-wal`;
  if (fs.exists(walPath)) {
    fs.remove(walPath);
    failpoint('rotate-after-log-removal');
    await fs.syncDirectory(dir);
  }
  fs.rename(tmpPath, path);
  try {
    failpoint('rotate-after-rename');
    await fs.syncDirectory(dir);
  } catch (err) {
    throw hexxlaError('IoError', 'the rotated database replaced the old one but the directory ' +
      'could not be synced; sync it (or retry a rotation) before relying on it', { path }, err);
  }
  return true;
}

function removeQuietly(fs: FileSystem, path: string): void {
  try {
    if (fs.exists(path)) fs.remove(path);
  } catch {
    // Best effort: the error that made us clean up is already being reported.
  }
}
