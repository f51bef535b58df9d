/**
 * WAL file format (`<primary>-wal`). Full description with rationale: docs/format.md.
 *
 * Header: two 64-byte slots at offsets 0 and 512. A reset (after a checkpoint) writes the next
 * generation into the slot not holding the current one, so a torn reset leaves the old header.
 *   0  8  magic "HXLAWAL1"
 *   8  u32 walVersion (1)
 *   12 u32 pageSize
 *   16 u64 generation          +1 at every reset
 *   24 u32 salt0, 28 u32 salt1 random per generation; every frame repeats them
 *   32 16  fileId              must equal the primary header's fileId
 *   48 u64 baseSeq             primary commitSeq when the generation started
 *   56 u32 zero
 *   60 u32 crc32 of bytes 0..60
 *
 * Frames start at `walFramesStart` (1024) and are 8-byte aligned. Frame header (32 bytes):
 *   0  u32 magic   "HXFP" page frame | "HXFC" commit frame
 *   4  u32 salt0, 8 u32 salt1
 *   12 u32 frameIndex           0, 1, 2 … within the generation, no gaps
 *   16 u32 pageNo (page frame) | payload length (commit frame)
 *   20 u32 page frame: payload length (the used prefix of the page image); commit frame: zero
 *   24 u32 zero
 *   28 u32 crc32 of header bytes 0..28 followed by the payload
 * Page frame payload: the page image up to the end of its body; the rest of the image is zero and
 *   is not logged (pages average ~2/3 full, so this cuts log bytes, the cost of a commit, by ~1/3).
 * Commit frame payload (48 bytes): u64 commitSeq, u64 commitTimeMs, u32 rootPage, u32 pageCount,
 *   u32 freelistHead, u32 freelistCount, u32 pageFrames (page frames of this commit, directly
 *   before it), u32 zero, u64 syncedThrough (WAL offset up to which every byte had been fsynced
 *   when this frame was written: recovery uses it to tell a torn tail from lost synced data).
 * Encrypted databases: every payload (page image or commit payload) is stored sealed, as
 *   nonce (12) ‖ AES-256-GCM ciphertext ‖ tag (16), additional data = file identity + header
 *   bytes 0..24 (src/storage/crypto/seal.ts); the lengths in the header are the sealed lengths
 *   (commit frames: 76). The checksum covers the sealed bytes, so a torn frame is still told
 *   from a damaged one without the key: a frame whose checksum holds but whose tag fails was
 *   not torn, it was altered (CorruptDatabase).
 */
import { crc32 } from 'node:zlib';
import { frameChecksum } from '../crc.js';
import type { CommitState } from '../header.js';

export const walMagic = 'HXLAWAL1';
export const walVersion = 1;
export const walHeaderSlotBytes = 64;
export const walHeaderSlotOffsets = [0, 512] as const;
export const walFramesStart = 1024;
export const frameHeaderBytes = 32;
export const commitPayloadBytes = 48;
export const frameMagicPage = 0x50465848; // "HXFP" little-endian
export const frameMagicCommit = 0x43465848; // "HXFC" little-endian

export interface WalHeader {
  pageSize: number;
  generation: bigint;
  salt0: number;
  salt1: number;
  fileId: Uint8Array;
  baseSeq: bigint;
}

export function encodeWalHeader(h: WalHeader): Uint8Array {
  const buf = new Uint8Array(walHeaderSlotBytes);
  const dv = new DataView(buf.buffer);
  buf.set(new TextEncoder().encode(walMagic), 0);
  dv.setUint32(8, walVersion, true);
  dv.setUint32(12, h.pageSize, true);
  dv.setBigUint64(16, h.generation, true);
  dv.setUint32(24, h.salt0, true);
  dv.setUint32(28, h.salt1, true);
  buf.set(h.fileId, 32);
  dv.setBigUint64(48, h.baseSeq, true);
  dv.setUint32(60, crc32(buf.subarray(0, 60)), true);
  return buf;
}

/** Decodes a header slot; null when it is not valid. */
export function decodeWalHeader(buf: Uint8Array): WalHeader | null {
  if (buf.length < walHeaderSlotBytes) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, walHeaderSlotBytes);
  if (new TextDecoder().decode(buf.subarray(0, 8)) !== walMagic) return null;
  if (dv.getUint32(60, true) !== crc32(buf.subarray(0, 60))) return null;
  if (dv.getUint32(8, true) !== walVersion) return null;
  return {
    pageSize: dv.getUint32(12, true),
    generation: dv.getBigUint64(16, true),
    salt0: dv.getUint32(24, true),
    salt1: dv.getUint32(28, true),
    fileId: buf.slice(32, 48),
    baseSeq: dv.getBigUint64(48, true),
  };
}

/** Bytes a frame occupies (header + payload, padded to 8). */
export function frameBytes(payloadBytes: number): number {
  return (frameHeaderBytes + payloadBytes + 7) & ~7;
}

export interface CommitRecord extends CommitState {
  pageFrames: number;
  syncedThrough: bigint;
}

/**
 * Writes the frame header fields (bytes 0 … 27) at `at` for a payload of `payloadBytes` that
 * is (or will be) placed right after it. `word`: page number (page frame) or payload length.
 */
export function writeFrameHeader(
  dv: DataView, at: number, magic: number, h: WalHeader, frameIndex: number, word: number,
  payloadBytes: number,
): void {
  dv.setUint32(at, magic, true);
  dv.setUint32(at + 4, h.salt0, true);
  dv.setUint32(at + 8, h.salt1, true);
  dv.setUint32(at + 12, frameIndex, true);
  dv.setUint32(at + 16, word, true);
  dv.setUint32(at + 20, magic === frameMagicPage ? payloadBytes : 0, true);
  dv.setUint32(at + 24, 0, true);
}

/** Stores the frame checksum over header bytes 0 … 27 and the payload that follows them. */
export function writeFrameChecksum(
  out: Uint8Array, dv: DataView, at: number, payloadBytes: number,
): void {
  dv.setUint32(at + 28, frameChecksum(out, at, payloadBytes), true);
}

/**
 * Writes a frame header into `out` (viewed by `dv`) at `at` for a payload already placed right
 * after it, and finishes it with the checksum over header and payload.
 */
export function finishFrame(
  out: Uint8Array, dv: DataView, at: number, magic: number, h: WalHeader, frameIndex: number,
  word: number, payloadBytes: number,
): void {
  writeFrameHeader(dv, at, magic, h, frameIndex, word, payloadBytes);
  writeFrameChecksum(out, dv, at, payloadBytes);
}

/**
 * Writes a commit payload at byte `at` of the buffer `dv` views. The two fields beyond
 * CommitState are separate arguments so that the commit path builds no record object.
 */
export function encodeCommitPayload(
  c: CommitState, pageFrames: number, syncedThrough: bigint, dv: DataView, at: number,
): void {
  dv.setBigUint64(at, c.commitSeq, true);
  dv.setBigUint64(at + 8, c.commitTimeMs, true);
  dv.setUint32(at + 16, c.rootPage, true);
  dv.setUint32(at + 20, c.pageCount, true);
  dv.setUint32(at + 24, c.freelistHead, true);
  dv.setUint32(at + 28, c.freelistCount, true);
  dv.setUint32(at + 32, pageFrames, true);
  dv.setUint32(at + 36, 0, true);
  dv.setBigUint64(at + 40, syncedThrough, true);
}

export function decodeCommitPayload(buf: Uint8Array): CommitRecord {
  const dv = new DataView(buf.buffer, buf.byteOffset, commitPayloadBytes);
  return {
    commitSeq: dv.getBigUint64(0, true),
    commitTimeMs: dv.getBigUint64(8, true),
    rootPage: dv.getUint32(16, true),
    pageCount: dv.getUint32(20, true),
    freelistHead: dv.getUint32(24, true),
    freelistCount: dv.getUint32(28, true),
    pageFrames: dv.getUint32(32, true),
    syncedThrough: dv.getBigUint64(40, true),
  };
}

export interface FrameHeader {
  magic: number;
  salt0: number;
  salt1: number;
  frameIndex: number;
  word: number;
  /** Page frames: payload length. */
  length: number;
  crc: number;
}

export function decodeFrameHeader(buf: Uint8Array): FrameHeader {
  const dv = new DataView(buf.buffer, buf.byteOffset, frameHeaderBytes);
  return {
    magic: dv.getUint32(0, true),
    salt0: dv.getUint32(4, true),
    salt1: dv.getUint32(8, true),
    frameIndex: dv.getUint32(12, true),
    word: dv.getUint32(16, true),
    length: dv.getUint32(20, true),
    crc: dv.getUint32(28, true),
  };
}

/** Verifies a frame's checksum given its header bytes and payload. */
export function frameChecksumOk(head: Uint8Array, payload: Uint8Array, crc: number): boolean {
  return crc32(payload, crc32(head.subarray(0, 28))) === crc;
}
