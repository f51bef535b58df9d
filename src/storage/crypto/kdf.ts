/**
 * Key derivation and the header's encryption parameter area (SPEC §4.4).
 *
 * Master key: a raw key is used as is; a passphrase goes through scrypt (N = 2^kdfCost, r = 8,
 * p = 1, 32 bytes out) with the random 16-byte salt of the header. Subkeys: HKDF-SHA256 over the
 * master key with the same salt and info "hexxladb/v1/<purpose>", one per purpose (pages, wal,
 * changelog, verifier), so no two uses ever share a key.
 *
 * Encryption area (128 bytes at header offset 92; docs/format.md):
 *   0   u8  kdfId      1 = raw key + HKDF, 2 = scrypt + HKDF
 *   1   u8  cipherId   1 = AES-256-GCM
 *   2   u8  kdfCost    scrypt log2(N); 0 for a raw key
 *   3   u8  r          scrypt block size (8); 0 for a raw key
 *   4   u8  p          scrypt parallelism (1); 0 for a raw key
 *   5   11  zero
 *   16  16  salt       random at creation (and at every rotation)
 *   32  32  verifier   HMAC-SHA256(verifier subkey, "HexxlaDB key verifier v1" ‖ fileId)
 *   64  64  zero (reserved)
 * Versioning: unknown kdf or cipher ids are refused with UnsupportedFormat.
 */
import { createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { hexxlaError } from '../../errors.js';
import { kdfCostMax, kdfCostMin, scryptBlockSize, scryptParallelism } from '../../limits.js';
import type { ResolvedCredentials } from './credentials.js';

export const kdfIdRawKey = 1;
export const kdfIdScrypt = 2;
export const cipherIdAes256Gcm = 1;
export const kdfSaltBytes = 16;
export const verifierBytes = 32;
const areaBytes = 128;
const masterKeyBytes = 32;
const verifierLabel = new TextEncoder().encode('HexxlaDB key verifier v1');

/** The decoded encryption area. */
export interface EncryptionParams {
  kdfId: number;
  cipherId: number;
  kdfCost: number;
  blockSize: number;
  parallelism: number;
  salt: Uint8Array;
  verifier: Uint8Array;
}

/** What subkeys exist; each is a separate HKDF output. */
export type SubkeyPurpose = 'pages' | 'wal' | 'changelog' | 'verifier' | 'header';

/**
 * The unlocked master key of one database (with its salt). Holds the secret in a private field;
 * subkeys come from {@link deriveSubkey}. Never logged, never put into an error.
 */
export class EncryptionKeys {
  readonly #master: Uint8Array;
  readonly salt: Uint8Array;

  constructor(master: Uint8Array, salt: Uint8Array) {
    this.#master = master;
    this.salt = salt;
  }

  /** @internal HKDF input; use deriveSubkey. */
  subkey(purpose: SubkeyPurpose): Uint8Array {
    const info = `hexxladb/v1/${purpose}`;
    return new Uint8Array(hkdfSync('sha256', this.#master, this.salt, info, 32));
  }
}

/**
 * The 32-byte subkey of `keys` for `purpose` (HKDF-SHA256). The changelog sidecar seals its
 * frames under `deriveSubkey(keys, 'changelog')`. Returns a fresh copy the caller owns.
 */
export function deriveSubkey(keys: EncryptionKeys, purpose: SubkeyPurpose): Uint8Array {
  return keys.subkey(purpose);
}

export function encodeEncryptionArea(p: EncryptionParams): Uint8Array {
  const area = new Uint8Array(areaBytes);
  area[0] = p.kdfId;
  area[1] = p.cipherId;
  area[2] = p.kdfCost;
  area[3] = p.blockSize;
  area[4] = p.parallelism;
  area.set(p.salt, 16);
  area.set(p.verifier, 32);
  return area;
}

/** Decodes and validates the area of an encrypted header. */
export function decodeEncryptionArea(area: Uint8Array, path: string): EncryptionParams {
  const p: EncryptionParams = {
    kdfId: area[0] ?? 0, cipherId: area[1] ?? 0, kdfCost: area[2] ?? 0, blockSize: area[3] ?? 0,
    parallelism: area[4] ?? 0, salt: area.slice(16, 32), verifier: area.slice(32, 64),
  };
  if (p.cipherId !== cipherIdAes256Gcm || (p.kdfId !== kdfIdRawKey && p.kdfId !== kdfIdScrypt)) {
    throw hexxlaError('UnsupportedFormat', `unknown encryption scheme (kdf ${p.kdfId}, cipher ` +
      `${p.cipherId})`, { path });
  }
  const scryptOk = p.kdfCost >= kdfCostMin && p.kdfCost <= kdfCostMax &&
    p.blockSize === scryptBlockSize && p.parallelism === scryptParallelism;
  if (p.kdfId === kdfIdScrypt && !scryptOk) {
    throw hexxlaError('CorruptDatabase', 'file header has invalid scrypt parameters', { path });
  }
  return p;
}

function scryptAsync(secret: Uint8Array, salt: Uint8Array, cost: number): Promise<Uint8Array> {
  const N = 2 ** cost;
  // scrypt needs 128·N·r bytes; allow twice that so Node's own bookkeeping never trips maxmem.
  const maxmem = 2 * 128 * N * scryptBlockSize;
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, masterKeyBytes, { N, r: scryptBlockSize, p: scryptParallelism, maxmem },
      (err, key) => (err === null ? resolve(new Uint8Array(key)) : reject(err)));
  });
}

function mismatch(path: string, message: string): never {
  throw hexxlaError('EncryptionKeyMismatch', message, { path });
}

/**
 * Derives the master key for `params` from `creds` (scrypt runs on the libuv pool, not the
 * event loop). A key given for a passphrase database (or the reverse) is EncryptionKeyMismatch.
 */
export async function deriveKeys(
  creds: ResolvedCredentials, params: EncryptionParams, path: string,
): Promise<EncryptionKeys> {
  if (creds.kind === 'key') {
    if (params.kdfId !== kdfIdRawKey) {
      mismatch(path, 'the database is protected by a passphrase, not a raw key');
    }
    return new EncryptionKeys(Uint8Array.from(creds.key), params.salt);
  }
  if (params.kdfId !== kdfIdScrypt) {
    mismatch(path, 'the database is protected by a raw key, not a passphrase');
  }
  return new EncryptionKeys(await scryptAsync(creds.secret, params.salt, params.kdfCost),
    params.salt);
}

/** The key verifier of `keys` for the database `fileId`. */
export function computeVerifier(keys: EncryptionKeys, fileId: Uint8Array): Uint8Array {
  const mac = createHmac('sha256', deriveSubkey(keys, 'verifier'));
  mac.update(verifierLabel);
  mac.update(fileId);
  return new Uint8Array(mac.digest());
}

/** Constant-time comparison of the stored and the computed verifier. */
export function verifierMatches(keys: EncryptionKeys, params: EncryptionParams,
  fileId: Uint8Array): boolean {
  return timingSafeEqual(computeVerifier(keys, fileId), params.verifier);
}

/**
 * New encryption parameters (fresh random salt) for `creds` and the database `fileId`: the
 * header area to store and the unlocked keys.
 */
export async function newEncryption(
  creds: ResolvedCredentials, fileId: Uint8Array, path: string,
): Promise<{ area: Uint8Array; keys: EncryptionKeys }> {
  const passphrase = creds.kind === 'passphrase';
  const params: EncryptionParams = {
    kdfId: passphrase ? kdfIdScrypt : kdfIdRawKey,
    cipherId: cipherIdAes256Gcm,
    kdfCost: passphrase ? creds.kdfCost : 0,
    blockSize: passphrase ? scryptBlockSize : 0,
    parallelism: passphrase ? scryptParallelism : 0,
    salt: new Uint8Array(randomBytes(kdfSaltBytes)),
    verifier: new Uint8Array(verifierBytes),
  };
  const keys = await deriveKeys(creds, params, path);
  params.verifier = computeVerifier(keys, fileId);
  return { area: encodeEncryptionArea(params), keys };
}
