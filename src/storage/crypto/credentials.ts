/**
 * Encryption credentials as callers give them (a raw 32-byte key or a passphrase, never both)
 * and their validation. Errors name the option but never carry the secret itself.
 */
import { hexxlaError } from '../../errors.js';
import { kdfCostDefault, kdfCostMax, kdfCostMin, passphraseBytesMax } from '../../limits.js';

/** Bytes of a raw AES-256 key. */
export const rawKeyBytes = 32;

/**
 * What unlocks (or, at creation, encrypts) a database. Give `encryptionKey` or `passphrase`,
 * never both. `kdfCost` is log2 of the scrypt cost N for a new passphrase database (default 17;
 * 10 … 20); an existing file keeps the cost stored in its header.
 */
export interface EncryptionCredentials {
  /** Raw 32-byte key (AES-256). The caller keeps ownership; the library copies it. */
  encryptionKey?: Uint8Array;
  /** Passphrase (non-empty, at most 1024 UTF-8 bytes after NFC normalisation). */
  passphrase?: string;
  /** log2 of scrypt N for a new passphrase database. Costs below 17 are meant for tests. */
  kdfCost?: number;
}

/** Validated credentials (copies: later changes by the caller have no effect). */
export type ResolvedCredentials =
  | { readonly kind: 'key'; readonly key: Uint8Array }
  | { readonly kind: 'passphrase'; readonly secret: Uint8Array; readonly kdfCost: number };

function invalid(option: string, message: string, context: Record<string, string | number> = {}):
never {
  throw hexxlaError('InvalidArgument', `option ${option}: ${message}`, { option, ...context });
}

/**
 * Validates credentials; returns null when none are given. Throws InvalidArgument for both at
 * once, a key that is not 32 bytes, an empty or overlong passphrase, or a bad `kdfCost`.
 */
export function resolveCredentials(c: EncryptionCredentials): ResolvedCredentials | null {
  const { encryptionKey: key, passphrase, kdfCost } = c;
  if (key !== undefined && passphrase !== undefined) {
    invalid('encryptionKey', 'give encryptionKey or passphrase, not both');
  }
  if (kdfCost !== undefined) {
    if (passphrase === undefined) invalid('kdfCost', 'applies to passphrases only');
    if (!Number.isSafeInteger(kdfCost) || kdfCost < kdfCostMin || kdfCost > kdfCostMax) {
      invalid('kdfCost', `must be an integer in [${kdfCostMin}, ${kdfCostMax}]`,
        { value: String(kdfCost) });
    }
  }
  if (key !== undefined) {
    if (!(key instanceof Uint8Array)) invalid('encryptionKey', 'must be a Uint8Array');
    if (key.length !== rawKeyBytes) {
      invalid('encryptionKey', `must be exactly ${rawKeyBytes} bytes`, { length: key.length });
    }
    return { kind: 'key', key: Uint8Array.from(key) };
  }
  if (passphrase !== undefined) {
    if (typeof passphrase !== 'string') invalid('passphrase', 'must be a string');
    // NFC: the same passphrase typed on systems that compose accents differently must match.
    const secret = new TextEncoder().encode(passphrase.normalize('NFC'));
    if (secret.length === 0) invalid('passphrase', 'must not be empty');
    if (secret.length > passphraseBytesMax) {
      invalid('passphrase', `must be at most ${passphraseBytesMax} UTF-8 bytes`,
        { length: secret.length });
    }
    return { kind: 'passphrase', secret, kdfCost: kdfCost ?? kdfCostDefault };
  }
  return null;
}
