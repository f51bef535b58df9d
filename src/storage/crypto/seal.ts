/**
 * AES-256-GCM sealing of pages and WAL frames (SPEC §4.4; layouts in docs/format.md).
 *
 * A seal is `nonce (12) ‖ ciphertext ‖ tag (16)`. Every seal draws a fresh random 96-bit nonce,
 * also when the same page is written again. Opening checks the tag before any plaintext byte is
 * handed out: a failed tag returns null, and callers report CorruptDatabase.
 *
 * Additional data binds each seal to where it belongs:
 * - primary page: "HXPG" ‖ fileId ‖ u32 formatVersion ‖ u32 pageSize ‖ u32 pageNo, so a page
 *   swapped with another, moved, or copied from another file fails its tag; in a file with page
 *   versions (header flag bit 2) followed by u64 version, the seq of the commit that last wrote
 *   the page, so an older image of the same page fails too (page-versions.ts);
 * - WAL frame: "HXWF" ‖ fileId ‖ u32 formatVersion ‖ u32 pageSize ‖ frame header bytes 0 … 23
 *   (magic, salts of the generation, frame index, page number or length, payload length), so a
 *   frame replayed at another index, into another generation or for another page fails too.
 *
 * Nonces: random per seal. The collision bound for random 96-bit nonces (NIST SP 800-38D) keeps
 * one key below 2^32 seals; pages and WAL frames use separate subkeys and rotation renews both.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomFillSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { FileIdentity } from '../header.js';
import { hasPageVersions } from '../header.js';
import { deriveSubkey } from './kdf.js';
import type { EncryptionKeys } from './kdf.js';

export const nonceBytes = 12;
export const tagBytes = 16;
/** Bytes a seal adds to its plaintext. */
export const sealOverheadBytes = nonceBytes + tagBytes;
/** Bytes of the frame header covered by a WAL frame's additional data. */
export const frameAdHeaderBytes = 24;

const noncesPerRefill = 256;

/** AES-256-GCM under one key. */
export class Sealer {
  readonly #key: KeyObject;
  // Nonces come from a pool refilled from the CSPRNG: one randomFillSync per 256 seals instead
  // of one per seal. Each nonce is handed out once.
  readonly #pool = new Uint8Array(nonceBytes * noncesPerRefill);
  #poolNext = noncesPerRefill;

  constructor(key: Uint8Array) {
    this.#key = createSecretKey(key);
  }

  private nonce(): Uint8Array {
    if (this.#poolNext === noncesPerRefill) {
      randomFillSync(this.#pool);
      this.#poolNext = 0;
    }
    const at = nonceBytes * this.#poolNext++;
    return this.#pool.subarray(at, at + nonceBytes);
  }

  /**
   * Seals in place: the plaintext is at buf[at + 12, at + 12 + plainBytes); afterwards buf[at …]
   * holds nonce ‖ ciphertext ‖ tag. Returns the sealed length (plainBytes + 28).
   */
  sealInPlace(buf: Uint8Array, at: number, plainBytes: number, ad: Uint8Array): number {
    const nonce = this.nonce();
    buf.set(nonce, at);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: tagBytes });
    cipher.setAAD(ad);
    const start = at + nonceBytes;
    const ct = cipher.update(buf.subarray(start, start + plainBytes));
    cipher.final();
    buf.set(ct, start);
    buf.set(cipher.getAuthTag(), start + plainBytes);
    return plainBytes + sealOverheadBytes;
  }

  /** Seals `plain` into a new buffer (nonce ‖ ciphertext ‖ tag). */
  seal(plain: Uint8Array, ad: Uint8Array): Uint8Array {
    const out = new Uint8Array(plain.length + sealOverheadBytes);
    out.set(plain, nonceBytes);
    this.sealInPlace(out, 0, plain.length, ad);
    return out;
  }

  /**
   * Opens `sealed`; returns the plaintext in a new buffer of `outBytes` (≥ the plaintext length;
   * the rest zero), or null when the seal is too short or its tag does not verify.
   */
  open(sealed: Uint8Array, ad: Uint8Array, outBytes?: number): Uint8Array | null {
    const plainBytes = sealed.length - sealOverheadBytes;
    if (plainBytes < 0 || (outBytes !== undefined && outBytes < plainBytes)) return null;
    const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(0, nonceBytes),
      { authTagLength: tagBytes });
    decipher.setAAD(ad);
    decipher.setAuthTag(sealed.subarray(nonceBytes + plainBytes));
    const pt = decipher.update(sealed.subarray(nonceBytes, nonceBytes + plainBytes));
    try {
      decipher.final();
    } catch {
      return null; // tag mismatch: `pt` is discarded unread
    }
    const out = new Uint8Array(outBytes ?? plainBytes);
    out.set(pt);
    return out;
  }
}

/** The identity fields every additional data starts with (and the flags: page versions). */
type AdIdentity = Pick<FileIdentity, 'fileId' | 'formatVersion' | 'pageSize' | 'flags'>;

function adPrefix(tag: string, id: AdIdentity, extra: number): Uint8Array {
  const ad = new Uint8Array(4 + 16 + 8 + extra);
  ad.set(new TextEncoder().encode(tag), 0);
  ad.set(id.fileId, 4);
  const dv = new DataView(ad.buffer);
  dv.setUint32(20, id.formatVersion, true);
  dv.setUint32(24, id.pageSize, true);
  return ad;
}

/** Seals pages of the primary file under the pages subkey. */
export class PageCipher {
  private readonly sealer: Sealer;
  private readonly ad: Uint8Array;
  private readonly adView: DataView;

  /** Pages are sealed with their version (the file has a page-version map). */
  readonly versioned: boolean;

  constructor(keys: EncryptionKeys, id: AdIdentity, readonly pageSize: number) {
    this.sealer = new Sealer(deriveSubkey(keys, 'pages'));
    this.versioned = hasPageVersions(id);
    this.ad = adPrefix('HXPG', id, this.versioned ? 12 : 4);
    this.adView = new DataView(this.ad.buffer);
  }

  private adFor(pageNo: number, version: number): Uint8Array {
    this.adView.setUint32(28, pageNo, true);
    if (this.versioned) {
      this.adView.setUint32(32, version % 0x1_0000_0000, true);
      this.adView.setUint32(36, Math.floor(version / 0x1_0000_0000), true);
    }
    return this.ad;
  }

  /**
   * The on-disk image (pageSize bytes) of page `pageNo` whose usable area is `plain`; `version`
   * is the page's version (ignored by a file without page versions).
   */
  seal(plain: Uint8Array, pageNo: number, version = 0): Uint8Array {
    return this.sealer.seal(plain, this.adFor(pageNo, version));
  }

  /** The usable area of the on-disk image `sealed` of page `pageNo`, or null (bad tag). */
  open(sealed: Uint8Array, pageNo: number, version = 0): Uint8Array | null {
    return this.sealer.open(sealed, this.adFor(pageNo, version));
  }
}

/** Seals WAL frame payloads under the WAL subkey. */
export class FrameCipher {
  private readonly sealer: Sealer;
  private readonly ad: Uint8Array;
  private readonly headAt: number;

  constructor(keys: EncryptionKeys, id: AdIdentity) {
    this.sealer = new Sealer(deriveSubkey(keys, 'wal'));
    this.ad = adPrefix('HXWF', id, frameAdHeaderBytes);
    this.headAt = this.ad.length - frameAdHeaderBytes;
  }

  private adFor(head: Uint8Array): Uint8Array {
    this.ad.set(head.subarray(0, frameAdHeaderBytes), this.headAt);
    return this.ad;
  }

  /**
   * Seals the payload whose plaintext is at buf[at + 12, at + 12 + plainBytes), bound to the
   * frame header `head` (its first 24 bytes must already be final). Returns the sealed length.
   */
  sealInPlace(buf: Uint8Array, at: number, plainBytes: number, head: Uint8Array): number {
    return this.sealer.sealInPlace(buf, at, plainBytes, this.adFor(head));
  }

  /** Opens a sealed payload of the frame with header `head`; null when the tag fails. */
  open(sealed: Uint8Array, head: Uint8Array, outBytes?: number): Uint8Array | null {
    return this.sealer.open(sealed, this.adFor(head), outBytes);
  }
}

/** The ciphers of one open encrypted store. */
export interface StoreCipher {
  readonly keys: EncryptionKeys;
  readonly pages: PageCipher;
  readonly wal: FrameCipher;
}

export function storeCipher(keys: EncryptionKeys, id: AdIdentity): StoreCipher {
  return { keys, pages: new PageCipher(keys, id, id.pageSize), wal: new FrameCipher(keys, id) };
}

/**
 * A sealer for the changelog sidecar (its `FrameSealer`): AES-256-GCM under the changelog
 * subkey, with the caller's additional data.
 */
export function changelogSealer(keys: EncryptionKeys): Sealer {
  return new Sealer(deriveSubkey(keys, 'changelog'));
}
