/**
 * Credentials of the offline operations (compactFile, backupFile, verifyBackup, restore): each
 * takes `encryptionKey` / `passphrase` / `kdfCost` in its options, like StoreOptions, to open an
 * encrypted database or backup. Older callers passed them inside `open`; both places work, but
 * one credential in each place is refused (InvalidArgument: give one credential once).
 */
import { hexxlaError } from '../errors.js';
import type { EncryptionCredentials } from '../storage/crypto/credentials.js';
import { resolveCredentials } from '../storage/crypto/credentials.js';
import { unlockEncryption } from '../storage/crypto/key-verifier.js';
import type { EncryptionKeys } from '../storage/crypto/kdf.js';
import type { FileHeader } from '../storage/header.js';

/** The credential fields of `o` that are set (undefined ones dropped, so spreads keep others). */
export function credentialsOf(o: EncryptionCredentials | undefined): EncryptionCredentials {
  const out: EncryptionCredentials = {};
  if (o?.encryptionKey !== undefined) out.encryptionKey = o.encryptionKey;
  if (o?.passphrase !== undefined) out.passphrase = o.passphrase;
  if (o?.kdfCost !== undefined) out.kdfCost = o.kdfCost;
  return out;
}

/**
 * Merges the top-level credentials of an operation's options with those of its `open` options.
 * Throws InvalidArgument when both places carry a credential.
 */
export function mergedCredentials(top: EncryptionCredentials,
  open: EncryptionCredentials | undefined): EncryptionCredentials {
  const a = credentialsOf(top);
  const b = credentialsOf(open);
  if (Object.keys(a).length > 0 && Object.keys(b).length > 0) {
    throw hexxlaError('InvalidArgument', 'give the credentials once: in the options or in ' +
      'options.open, not both', { option: 'encryptionKey' });
  }
  return Object.keys(a).length > 0 ? a : b;
}

/**
 * Checks `creds` against the header of a database or backup primary before anything is copied
 * or opened (the key verifier; runs scrypt for a passphrase). Returns the keys (null for a plain
 * file). Throws EncryptionKeyMismatch (missing or wrong credentials), InvalidArgument
 * (credentials for a plain file), CorruptDatabase / UnsupportedFormat (bad encryption fields).
 */
export async function checkCredentials(header: FileHeader, creds: EncryptionCredentials,
  path: string): Promise<EncryptionKeys | null> {
  return unlockEncryption(header, resolveCredentials(creds), path);
}
