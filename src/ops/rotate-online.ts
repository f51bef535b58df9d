/**
 * Online key rotation (SPEC §4.4): re-encrypts an open database under new credentials while
 * readers continue and writers wait at the store's exclusive gate, then hands the waiting writers
 * to a store reopened on the rotated file. The file work is the offline, crash-safe
 * rotateEncryption (src/storage/crypto/rotate.ts): until its rename the old file is intact and
 * opens with the old key; after it, the new file opens with the new key.
 */
import { hexxlaError, isHexxlaError, type ErrorCode } from '../errors.js';
import {
  rotateFiles, type EncryptionCredentials, type RotateEncryptionOptions,
  type RotateEncryptionResult,
} from '../storage/crypto/index.js';
import { openStore } from '../storage/open-store.js';
import type { Store } from '../storage/store.js';
import { refuseLeases, refuseReplaced } from './swap.js';

export type RotateOnlineOptions = Omit<RotateEncryptionOptions, 'fs'>;

export interface RotateOnlineResult extends RotateEncryptionResult {
  /** The store open on the rotated file (the old one forwards to it). */
  store: Store;
}

/**
 * Rotates the encryption of the database under `store`. `beforeFiles` runs under the gate just
 * before the files change (e.g. to close a changelog that rotation removes) and `afterReopen`
 * just after the new store opened, still under the gate (e.g. to reattach the changelog, so no
 * waiting writer commits without it). Throws what rotateEncryption throws, PreconditionFailed
 * while a backup lease is held, InvalidArgument for a plain database.
 */
export async function rotateOnline(store: Store, newCredentials: EncryptionCredentials,
  options: RotateOnlineOptions = {}, hooks: {
    beforeFiles?: () => void;
    afterReopen?: (next: Store) => Promise<void>;
  } = {}): Promise<RotateOnlineResult> {
  if (store.encryptionKeys === null) {
    throw hexxlaError('InvalidArgument', 'the database is not encrypted: rotation re-encrypts an ' +
      'encrypted database', { path: store.path });
  }
  const reopen = store.reopenOptions();
  const { fs, encryptionKey, passphrase, ...rest } = reopen;
  const old: EncryptionCredentials = encryptionKey !== undefined ? { encryptionKey }
    : { passphrase: passphrase ?? '' };
  return store.exclusive(async () => {
    refuseReplaced(store);
    refuseLeases(store);
    await store.checkpoint();
    hooks.beforeFiles?.();
    let result: RotateEncryptionResult;
    let next: Store;
    try {
      result = await rotateFiles(store.path, old, newCredentials,
        { ...options, ...(fs === undefined ? {} : { fs }) });
      next = await openStore(store.path, { ...rest, ...(fs === undefined ? {} : { fs }),
        ...newCredentials }, store.lock);
    } catch (err) {
      // Refusals and cancellation come before any file changed (the temporary copy is removed):
      // the handle goes on as it was. Anything later may have changed the files under its open
      // descriptors (the log is removed before the rename): no write may go through it again.
      // On disk the database is whole and opens with the old or the new credentials.
      const untouched = ['Cancelled', 'InvalidArgument', 'EncryptionKeyMismatch', 'NotFound',
        'PreconditionFailed'].some((code) => isHexxlaError(err, code as ErrorCode));
      if (!untouched) store.poisonWith('key rotation failed; reopen the database', err);
      throw err;
    }
    store.retire(next);
    await hooks.afterReopen?.(next);
    return { ...result, store: next };
  });
}
