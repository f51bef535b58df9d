/**
 * Byte layout of the changelog sidecar `<primary>-changelog` (SPEC §7; docs/changelog.md).
 *
 * Header, 64 bytes at offset 0 (integers little-endian):
 *   0   8  magic "HXXLACL\0"
 *   8   u32 version (1)
 *   12  u32 flags: bit 0 = frames are sealed (encrypted database)
 *   16  16  fileId of the primary the log belongs to (a log of another database is refused)
 *   32  u64 baseSeq: the primary's commit seq when the log was started (frames follow it)
 *   40  20  zero
 *   60  u32 crc32 of bytes 0..60
 * Frames follow, one per commit, back to back:
 *   0   u32 payload length n
 *   4   u32 crc32 of bytes 0..4 followed by the n payload bytes
 *   8   n   payload; sealed databases store seal(plain payload, ad = fileId ‖ seq u64)
 *           and keep the seq in clear in front of it: u64 seq ‖ sealed bytes
 * Plain payload:
 *   u64 seq, u64 commit time ms (unsigned), u32 entry count, then per entry:
 *   u8 op code (changeOps), u16 key length, key bytes, u32 value length + 1 (0 = no value), value
 * The key is the logical record key, so its first byte is the record family.
 */
import { crc32 } from 'node:zlib';
import { hexxlaError } from '../errors.js';
import type { ChangeOp } from '../model/context.js';
import { changeOps } from '../model/context.js';

export const changelogMagic = Uint8Array.from([0x48, 0x58, 0x58, 0x4c, 0x41, 0x43, 0x4c, 0]);
export const changelogVersion = 1;
export const changelogHeaderBytes = 64;
export const frameHeaderBytes = 8;
/** Largest frame payload accepted when reading: guards against a corrupt length. */
export const framePayloadBytesMax = 256 * 1024 * 1024;

export interface ChangelogHeader {
  readonly sealed: boolean;
  readonly fileId: Uint8Array;
  readonly baseSeq: bigint;
}

export type { ChangelogEntry, ChangelogFrame } from '../types/changelog.js';
import type { ChangelogEntry, ChangelogFrame } from '../types/changelog.js';

const opByCode = new Map<number, ChangeOp>(
  Object.entries(changeOps).map(([name, code]) => [code, name as ChangeOp]));

export function encodeHeader(h: ChangelogHeader): Uint8Array {
  const buf = new Uint8Array(changelogHeaderBytes);
  const dv = new DataView(buf.buffer);
  buf.set(changelogMagic, 0);
  dv.setUint32(8, changelogVersion, true);
  dv.setUint32(12, h.sealed ? 1 : 0, true);
  buf.set(h.fileId.subarray(0, 16), 16);
  dv.setBigUint64(32, h.baseSeq, true);
  dv.setUint32(60, crc32(buf.subarray(0, 60)), true);
  return buf;
}

/** Decodes a header; throws ChangelogCorrupt (lastGoodSeq unknown: -1) when it is damaged. */
export function decodeHeader(buf: Uint8Array, path: string): ChangelogHeader {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const bad = (what: string): never => {
    throw hexxlaError('ChangelogCorrupt', `changelog header: ${what}`, { path, lastGoodSeq: -1 });
  };
  if (buf.length < changelogHeaderBytes) bad('too short');
  for (let i = 0; i < changelogMagic.length; i++) if (buf[i] !== changelogMagic[i]) bad('magic');
  if (dv.getUint32(60, true) !== crc32(buf.subarray(0, 60))) bad('checksum');
  const version = dv.getUint32(8, true);
  if (version > changelogVersion) {
    throw hexxlaError('UnsupportedFormat', `changelog version ${version} is newer than ` +
      `${changelogVersion}`, { path, version });
  }
  return { sealed: (dv.getUint32(12, true) & 1) === 1, fileId: buf.slice(16, 32),
    baseSeq: dv.getBigUint64(32, true) };
}

/** Plain payload of one commit's frame. */
export function encodePayload(seq: bigint, timeMs: number,
  entries: readonly { op: ChangeOp; key: Uint8Array; value?: Uint8Array }[]): Uint8Array {
  let size = 20;
  for (const e of entries) size += 7 + e.key.length + (e.value?.length ?? 0);
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  dv.setBigUint64(0, seq, true);
  dv.setBigUint64(8, BigInt(Math.max(0, timeMs)), true);
  dv.setUint32(16, entries.length, true);
  let at = 20;
  for (const e of entries) {
    buf[at] = changeOps[e.op];
    dv.setUint16(at + 1, e.key.length, true);
    buf.set(e.key, at + 3);
    at += 3 + e.key.length;
    dv.setUint32(at, e.value === undefined ? 0 : e.value.length + 1, true);
    at += 4;
    if (e.value !== undefined) {
      buf.set(e.value, at);
      at += e.value.length;
    }
  }
  return buf;
}

/** Decodes a plain payload; returns null when it is malformed. */
export function decodePayload(buf: Uint8Array): ChangelogFrame | null {
  if (buf.length < 20) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const seq = dv.getBigUint64(0, true);
  const timeMs = Number(dv.getBigUint64(8, true));
  const count = dv.getUint32(16, true);
  const entries: ChangelogEntry[] = [];
  let at = 20;
  for (let i = 0; i < count; i++) {
    if (at + 3 > buf.length) return null;
    const op = opByCode.get(buf[at]!);
    const keyLength = dv.getUint16(at + 1, true);
    at += 3;
    if (op === undefined || keyLength === 0 || at + keyLength + 4 > buf.length) return null;
    const key = buf.slice(at, at + keyLength);
    at += keyLength;
    const stored = dv.getUint32(at, true);
    at += 4;
    if (stored > 0 && at + stored - 1 > buf.length) return null;
    const value = stored === 0 ? undefined : buf.slice(at, at + stored - 1);
    at += Math.max(0, stored - 1);
    entries.push({ seq, timeMs, op, family: key[0]!, key,
      ...(value === undefined ? {} : { value }) });
  }
  return at === buf.length ? { seq, timeMs, entries } : null;
}

/** A stored frame: header (length, crc) and payload. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const buf = new Uint8Array(frameHeaderBytes + payload.length);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, payload.length, true);
  buf.set(payload, frameHeaderBytes);
  dv.setUint32(4, frameCrc(buf), true);
  return buf;
}

/** crc32 of the length field and the payload of a whole stored frame. */
export function frameCrc(frame: Uint8Array): number {
  return crc32(frame.subarray(frameHeaderBytes), crc32(frame.subarray(0, 4)));
}
