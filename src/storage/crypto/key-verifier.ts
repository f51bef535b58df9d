/**
 * Unlocking a database at open: decide from the header whether it is encrypted, check that the
 * caller's credentials fit, derive the keys and compare the key verifier, all before any page or
 * log frame is read. A wrong key or passphrase therefore fails deterministically with
 * EncryptionKeyMismatch instead of surfacing later as a tag failure (CorruptDatabase).
 */
import { hexxlaError } from '../../errors.js';
import { encryptionReserveBytes } from '../../limits.js';
import { headerFlagEncrypted } from '../header.js';
import type { FileIdentity } from '../header.js';
import type { ResolvedCredentials } from './credentials.js';
import { decodeEncryptionArea, deriveKeys, verifierMatches } from './kdf.js';
import type { EncryptionKeys } from './kdf.js';

/** True when the header says the file is encrypted. */
export function isEncrypted(h: Pick<FileIdentity, 'flags'>): boolean {
  return (h.flags & headerFlagEncrypted) !== 0;
}

/**
 * Returns the keys of an encrypted database, or null for a plain one.
 * - encrypted file, no credentials → EncryptionKeyMismatch (the key is missing);
 * - plain file with credentials → InvalidArgument (nothing to decrypt: refusing makes a caller
 *   who believes the file is encrypted find out);
 * - wrong key or passphrase, or a key for a passphrase file (and the reverse) →
 *   EncryptionKeyMismatch;
 * - bad encryption fields → CorruptDatabase / UnsupportedFormat.
 * `known`: keys just derived for a file this call created (skips a second scrypt run; the
 * verifier is still checked).
 */
export async function unlockEncryption(
  h: FileIdentity, creds: ResolvedCredentials | null, path: string,
  known: EncryptionKeys | null = null,
): Promise<EncryptionKeys | null> {
  if (!isEncrypted(h)) {
    if (creds !== null) {
      throw hexxlaError('InvalidArgument', 'the database is not encrypted; open it without ' +
        'encryptionKey or passphrase', { path });
    }
    return null;
  }
  if (creds === null) {
    throw hexxlaError('EncryptionKeyMismatch', 'the database is encrypted: pass encryptionKey ' +
      'or passphrase', { path });
  }
  if (h.reserveBytes !== encryptionReserveBytes) {
    throw hexxlaError('CorruptDatabase', 'file header has an invalid reserve size for an ' +
      'encrypted database', { path });
  }
  const params = decodeEncryptionArea(h.encryption, path);
  const keys = known ?? await deriveKeys(creds, params, path);
  if (!verifierMatches(keys, params, h.fileId)) {
    throw hexxlaError('EncryptionKeyMismatch', 'wrong encryption key or passphrase', { path });
  }
  return keys;
}
