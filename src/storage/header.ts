/**
 * The primary file header.
 *
 * Page 0 of the primary file holds two header slots, at byte 0 and byte 2048 (both inside the first
 * 4096 bytes, so a reader finds them before it knows the page size). A checkpoint writes the slot
 * that does not hold the newest header, so a torn header write always leaves the previous header
 * intact; open picks the valid slot with the highest `headerSeq`.
 *
 * Slot layout (little-endian, 256 bytes, see docs/format.md):
 *   0   8  magic "HEXXLADB"
 *   8   u32 formatVersion      1 = plain, 2 = MVCC (fixed at creation)
 *   12  u32 pageSize           4096 | 8192 | 16384 | 65536
 *   16  u32 maxValueBytes      512 … 1,048,576
 *   20  u32 flags              bit 0 MVCC, bit 1 encrypted, bit 2 page versions (encrypted
 *                              databases: page-versions.ts); other bits must be 0
 *   24  u32 reserveBytes       bytes at the end of every page kept for encryption (0 = none)
 *   28  u32 embeddingDim       0 = embeddings disabled
 *   32  u8  embeddingMetric    0 cosine, 1 dot, 2 L2
 *   33  3   zero
 *   36  16  fileId             random at creation; the WAL and backups name it
 *   52  u64 commitSeq          last commit contained in the primary pages
 *   60  u64 commitTimeMs       wall-clock time of that commit
 *   68  u32 rootPage           0 = empty tree
 *   72  u32 pageCount          pages in use, including page 0
 *   76  u32 freelistHead       first freelist trunk page, 0 = none
 *   80  u32 freelistCount      page numbers held by the freelist
 *   84  u64 headerSeq          increases with every header write
 *   92  128 encryption         KDF id, parameters, salt, key verifier (zero when not encrypted;
 *                              layout in crypto/kdf.ts)
 *   220 32  header MAC: HMAC-SHA256 of bytes 0..219 under the `header` subkey when the file has
 *              page versions (flag bit 2); zero otherwise
 *   252 u32 crc32 of bytes 0..252
 *
 * Versioning: a file whose formatVersion is above `formatVersionMax` is refused with
 * `UnsupportedFormat`; new fields go into the reserved bytes, which older readers ignore (the
 * checksum still covers them).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { assert } from '../assert.js';
import { hexxlaError } from '../errors.js';
import { pageSizesAllowed, valueBytesMaxMax, valueBytesMaxMin } from '../limits.js';

export const headerMagic = 'HEXXLADB';
export const headerSlotBytes = 256;
export const headerSlotOffsets = [0, 2048] as const;
export const formatVersionMax = 2;
export const encryptionParamBytes = 128;

export const headerFlagMvcc = 1;
export const headerFlagEncrypted = 2;
/** Primary pages are sealed with their version (rollback detection, page-versions.ts). */
export const headerFlagPageVersions = 4;
const headerFlagsKnown = headerFlagMvcc | headerFlagEncrypted | headerFlagPageVersions;

/** True when the file keeps a page-version map (page 1 is its root). */
export function hasPageVersions(h: { flags: number }): boolean {
  return (h.flags & headerFlagPageVersions) !== 0;
}

/** The part of the header that changes with every commit (also carried by WAL commit frames). */
export interface CommitState {
  commitSeq: bigint;
  commitTimeMs: bigint;
  rootPage: number;
  pageCount: number;
  freelistHead: number;
  freelistCount: number;
}

/** Everything fixed at creation. */
export interface FileIdentity {
  formatVersion: number;
  pageSize: number;
  maxValueBytes: number;
  flags: number;
  reserveBytes: number;
  embeddingDim: number;
  embeddingMetric: number;
  fileId: Uint8Array;
  encryption: Uint8Array;
}

export interface FileHeader extends FileIdentity, CommitState {
  headerSeq: bigint;
}

/** Bytes of a slot covered by the header MAC, and where the MAC goes. */
export const headerMacCovered = 220;

function headerMac(slot: Uint8Array, macKey: Uint8Array): Uint8Array {
  return createHmac('sha256', macKey).update(slot.subarray(0, headerMacCovered)).digest();
}

/**
 * Encodes one header slot. `macKey` (the `header` subkey) is required for a file with page
 * versions: its slots carry an HMAC, so the commit state, root, page count and freelist head
 * cannot be changed without the key.
 */
export function encodeHeader(h: FileHeader, macKey: Uint8Array | null = null): Uint8Array {
  const buf = new Uint8Array(headerSlotBytes);
  const dv = new DataView(buf.buffer);
  buf.set(new TextEncoder().encode(headerMagic), 0);
  dv.setUint32(8, h.formatVersion, true);
  dv.setUint32(12, h.pageSize, true);
  dv.setUint32(16, h.maxValueBytes, true);
  dv.setUint32(20, h.flags, true);
  dv.setUint32(24, h.reserveBytes, true);
  dv.setUint32(28, h.embeddingDim, true);
  buf[32] = h.embeddingMetric;
  buf.set(h.fileId, 36);
  dv.setBigUint64(52, h.commitSeq, true);
  dv.setBigUint64(60, h.commitTimeMs, true);
  dv.setUint32(68, h.rootPage, true);
  dv.setUint32(72, h.pageCount, true);
  dv.setUint32(76, h.freelistHead, true);
  dv.setUint32(80, h.freelistCount, true);
  dv.setBigUint64(84, h.headerSeq, true);
  buf.set(h.encryption, 92);
  if (hasPageVersions(h)) {
    assert(macKey !== null, 'a header with page versions needs its MAC key');
    buf.set(headerMac(buf, macKey), headerMacCovered);
  }
  dv.setUint32(252, crc32(buf.subarray(0, 252)), true);
  return buf;
}

/**
 * Checks the MAC of slot `slot` of page 0 (a file with page versions, after the key was
 * unlocked): CorruptDatabase when it does not match.
 */
export function verifyHeaderMac(
  page0: Uint8Array, slot: number, macKey: Uint8Array, path: string,
): void {
  const at = headerSlotOffsets[slot]!;
  const bytes = page0.subarray(at, at + headerSlotBytes);
  const want = headerMac(bytes, macKey);
  if (!timingSafeEqual(want, bytes.subarray(headerMacCovered, headerMacCovered + 32))) {
    throw hexxlaError('CorruptDatabase', 'the file header fails its authentication code ' +
      '(altered without the key)', { path });
  }
}

/** Decodes one slot; returns null when the slot is not a valid header (torn, zero, damaged). */
export function decodeHeaderSlot(buf: Uint8Array): FileHeader | null {
  if (buf.length < headerSlotBytes) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, headerSlotBytes);
  if (new TextDecoder().decode(buf.subarray(0, 8)) !== headerMagic) return null;
  if (dv.getUint32(252, true) !== crc32(buf.subarray(0, 252))) return null;
  return {
    formatVersion: dv.getUint32(8, true),
    pageSize: dv.getUint32(12, true),
    maxValueBytes: dv.getUint32(16, true),
    flags: dv.getUint32(20, true),
    reserveBytes: dv.getUint32(24, true),
    embeddingDim: dv.getUint32(28, true),
    embeddingMetric: buf[32] ?? 0,
    fileId: buf.slice(36, 52),
    commitSeq: dv.getBigUint64(52, true),
    commitTimeMs: dv.getBigUint64(60, true),
    rootPage: dv.getUint32(68, true),
    pageCount: dv.getUint32(72, true),
    freelistHead: dv.getUint32(76, true),
    freelistCount: dv.getUint32(80, true),
    headerSeq: dv.getBigUint64(84, true),
    encryption: buf.slice(92, 92 + encryptionParamBytes),
  };
}

/**
 * Picks the newest valid slot of the first 4096 bytes of the file and validates its fields.
 * Throws CorruptDatabase when no slot is valid, UnsupportedFormat for newer formats.
 */
export function readHeader(page0: Uint8Array, path: string): { header: FileHeader; slot: number } {
  let best: { header: FileHeader; slot: number } | null = null;
  headerSlotOffsets.forEach((offset, slot) => {
    const h = decodeHeaderSlot(page0.subarray(offset, offset + headerSlotBytes));
    if (h !== null && (best === null || h.headerSeq > best.header.headerSeq)) {
      best = { header: h, slot };
    }
  });
  if (best === null) {
    throw hexxlaError('CorruptDatabase', 'no valid file header (bad magic or checksum)', { path });
  }
  validateHeader((best as { header: FileHeader }).header, path);
  return best;
}

function validateHeader(h: FileHeader, path: string): void {
  if (h.formatVersion > formatVersionMax) {
    throw hexxlaError('UnsupportedFormat', `format version ${h.formatVersion} is newer than this ` +
      `library supports (${formatVersionMax})`, { path, formatVersion: h.formatVersion });
  }
  const bad = (what: string): never => {
    throw hexxlaError('CorruptDatabase', `file header has an invalid ${what}`, { path });
  };
  if (h.formatVersion < 1) bad('format version');
  if (!(pageSizesAllowed as readonly number[]).includes(h.pageSize)) bad('page size');
  if (h.maxValueBytes < valueBytesMaxMin || h.maxValueBytes > valueBytesMaxMax) {
    bad('max value bytes');
  }
  if ((h.flags & ~headerFlagsKnown) !== 0) bad('flags');
  if (((h.flags & headerFlagMvcc) !== 0) !== (h.formatVersion === 2)) bad('MVCC flag');
  if (hasPageVersions(h) && ((h.flags & headerFlagEncrypted) === 0 || h.pageCount < 2)) {
    bad('page-versions flag');
  }
  if (h.reserveBytes >= h.pageSize / 2) bad('reserve size');
  if (h.pageCount < 1 || h.rootPage >= h.pageCount || h.freelistHead >= h.pageCount) {
    bad('page count or root');
  }
}
