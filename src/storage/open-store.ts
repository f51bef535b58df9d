/**
 * Opening a store: create a new database atomically (write the header page to a temporary file,
 * fsync, rename, fsync the directory) or read the newest valid header of an existing one; unlock
 * an encrypted one (key verifier, before any page is read); then recover the log and start a
 * fresh log generation.
 */
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { hexxlaError, ioError, isHexxlaError } from '../errors.js';
import { encryptionReserveBytes } from '../limits.js';
import { unlockEncryption } from './crypto/key-verifier.js';
import { newEncryption } from './crypto/kdf.js';
import type { EncryptionKeys } from './crypto/kdf.js';
import { storeCipher } from './crypto/seal.js';
import type { FileSystem, StorageFile } from './file.js';
import { lockDatabase } from './file-lock.js';
import type { FileLock } from './file-lock.js';
import {
  encodeHeader, encryptionParamBytes, hasPageVersions, headerFlagEncrypted, headerFlagMvcc,
  headerFlagPageVersions, headerSlotOffsets, readHeader, verifyHeaderMac,
} from './header.js';
import { emptyVersionRoot } from './page-versions.js';
import type { FileHeader } from './header.js';
import { PageCache } from './page-cache.js';
import { PageStore } from './page-store.js';
import { Store } from './store.js';
import { cachePages, resolveStoreOptions } from './store-options.js';
import type { ResolvedStoreOptions, StoreOptions } from './store-options.js';
import { recoverWal } from './wal/recovery.js';

/**
 * Opens (or creates) the database at `path`. See StoreOptions. Takes the database lock
 * (file-lock.ts; DatabaseLocked when held elsewhere) unless the caller hands over the lock of a
 * store this one replaces (live swap, online rotation); the store releases it at close.
 */
export async function openStore(
  path: string, options?: StoreOptions, heldLock?: FileLock,
): Promise<Store> {
  if (typeof path !== 'string' || path.length === 0) {
    // '' would create `.creating` in the working directory and then fail opening ''.
    throw hexxlaError('InvalidArgument', 'the database path must be a non-empty string');
  }
  const o = resolveStoreOptions(options);
  if (!o.create && !o.fs.exists(path)) {
    throw hexxlaError('NotFound', 'no database at this path (create is false)', { path });
  }
  let lock = heldLock ?? null;
  const files: StorageFile[] = [];
  try {
    if (lock === null) {
      o.fs.mkdirp(dirname(path));
      lock = lockDatabase(o.fs, path);
    }
    let created: EncryptionKeys | null = null;
    if (!o.fs.exists(path)) created = await createDatabase(path, o);
    const primary = o.fs.open(path);
    files.push(primary);
    const page0 = readPage0(primary);
    const { header, slot } = readHeader(page0, path);
    // Before any page or log frame is read: a wrong key fails here, deterministically.
    const keys = await unlockEncryption(header, o.credentials, path, created);
    if (hasPageVersions(header)) verifyHeaderMac(page0, slot, keys!.subkey('header'), path);
    const cipher = keys === null ? null : storeCipher(keys, header);
    const walFile = o.fs.open(`${path}-wal`, { create: true });
    files.push(walFile);
    const recovered = recoverWal(walFile, header, walFile.path, cipher?.wal ?? null);
    const usable = header.pageSize - header.reserveBytes;
    const cache = new PageCache(cachePages(o.cacheBytes, header.pageSize));
    const pages = new PageStore(primary, walFile, cache, header.pageSize, usable, cipher,
      header.commitSeq);
    const store = new Store({ path, fs: o.fs, primary, walFile, header, headerSlot: slot,
      options: o, pages, cipher, lock }, recovered);
    await store.finishOpen(recovered);
    return store;
  } catch (err) {
    for (const f of files) f.close();
    if (heldLock === undefined) lock?.release();
    throw isHexxlaError(err) ? err : ioError('open', path, err);
  }
}

function readPage0(primary: StorageFile): Uint8Array {
  const page0 = new Uint8Array(4096);
  primary.read(page0, 0);
  return page0;
}

function newHeader(o: ResolvedStoreOptions): FileHeader {
  return {
    formatVersion: o.mvcc ? 2 : 1,
    pageSize: o.pageSize,
    maxValueBytes: o.maxValueBytes,
    flags: o.mvcc ? headerFlagMvcc : 0,
    reserveBytes: 0,
    embeddingDim: 0,
    embeddingMetric: 0,
    fileId: new Uint8Array(randomBytes(16)),
    encryption: new Uint8Array(encryptionParamBytes),
    commitSeq: 0n,
    commitTimeMs: 0n,
    rootPage: 0,
    pageCount: 1,
    freelistHead: 0,
    freelistCount: 0,
    headerSeq: 1n,
  };
}

/**
 * Writes page 0 to `<path>.creating`, fsyncs it and renames it into place, so a crash leaves
 * either no database or a complete one. A log left by an earlier database of the same name
 * cannot belong to the new file and is removed first, durably (a directory fsync) before the
 * new primary can appear: a crash that kept the rename but not the removal would otherwise pair
 * the new primary with the old log, and the new database would never open (CorruptDatabase).
 * With credentials the header gets the encryption flag, reserve and parameters; the keys derived
 * for it are returned (null for a plain database).
 */
async function createDatabase(
  path: string, o: ResolvedStoreOptions,
): Promise<EncryptionKeys | null> {
  const fs: FileSystem = o.fs;
  const header = newHeader(o);
  let keys: EncryptionKeys | null = null;
  if (o.credentials !== null) {
    const enc = await newEncryption(o.credentials, header.fileId, path);
    header.flags |= headerFlagEncrypted | headerFlagPageVersions;
    header.reserveBytes = encryptionReserveBytes;
    header.encryption = enc.area;
    header.pageCount = 2; // page 1: the root of the page-version map
    keys = enc.keys;
  }
  const dir = dirname(path);
  fs.mkdirp(dir);
  const tmpPath = `${path}.creating`;
  const stale = [tmpPath, `${path}-wal`].filter((p) => fs.exists(p));
  for (const p of stale) fs.remove(p);
  if (stale.length > 0) await fs.syncDirectory(dir);
  const tmp = fs.open(tmpPath, { create: true });
  try {
    const page0 = new Uint8Array(o.pageSize);
    page0.set(encodeHeader(header, keys?.subkey('header') ?? null), headerSlotOffsets[0]);
    tmp.write(page0, 0);
    if (keys !== null) tmp.write(emptyVersionRoot(header, keys, 0), o.pageSize);
    await tmp.sync();
  } finally {
    tmp.close();
  }
  fs.rename(tmpPath, path);
  await fs.syncDirectory(dir);
  return keys;
}


