/**
 * WAL recovery on open: find the newest valid header, replay every complete commit, and decide
 * whether the place where the log stops is a torn tail (a normal crash outcome: discarded) or
 * damage to data that had been fsynced (CorruptDatabase, never silently dropped).
 *
 * The rule: the log ends at the first frame that is missing, has another salt, a gap in its frame
 * index or a bad checksum. Group commit writes a batch only after the previous batch's fsync, and
 * every commit frame records `syncedThrough`. If any valid commit frame of this generation lies
 * beyond the stop with `syncedThrough` past the end of the last complete commit, bytes that were
 * once durable are gone: corruption. Otherwise the stop is within the last, unsynced batch.
 * Likewise, when the log starts with committed frames of another generation that go past what
 * the chosen header explains, that generation's header slot was damaged: corruption.
 *
 * Encrypted logs: a frame is first checked as above (the checksum covers the sealed bytes), then
 * its tag is verified. A frame with a valid checksum and a failing tag cannot be a torn write: it
 * is CorruptDatabase wherever it lies.
 */
import { hexxlaError } from '../../errors.js';
import { sealOverheadBytes } from '../crypto/seal.js';
import type { FrameCipher } from '../crypto/seal.js';
import type { StorageFile } from '../file.js';
import type { CommitState, FileHeader } from '../header.js';
import { compareBytes } from '../page.js';
import {
  commitPayloadBytes, decodeCommitPayload, decodeFrameHeader, decodeWalHeader, frameBytes,
  frameChecksumOk, frameHeaderBytes, frameMagicCommit, frameMagicPage, walFramesStart,
  walHeaderSlotBytes, walHeaderSlotOffsets,
} from './wal-format.js';
import type { FrameHeader, WalHeader } from './wal-format.js';

export interface RecoveredWal {
  /** The valid header, or null for a missing/empty log. */
  header: WalHeader | null;
  /** Slot index of `header`. */
  slot: number;
  /**
   * Latest WAL frame (offset, logged length) of each page after the last complete commit, and
   * the seq of the commit that logged it (the page's version).
   */
  pageOffsets: Map<number, { offset: number; length: number; seq: bigint }>;
  /** State of the last complete commit, or null when the log holds none. */
  lastState: CommitState | null;
  commits: number;
}

/** What every frame read needs: the file, its size, the page size and the cipher (if any). */
interface LogReader {
  file: StorageFile;
  size: number;
  pageSize: number;
  cipher: FrameCipher | null;
  /** Stored payload length of a commit frame (48, or 76 when sealed). */
  commitStored: number;
  path: string;
}

interface ScanState {
  offset: number;
  frameIndex: number;
  seq: bigint;
  lastCommitEnd: number;
}

/**
 * Recovers the log of `primary`. `cipher` opens the frames of an encrypted database (null for a
 * plain one). Throws CorruptDatabase as described in the module comment.
 */
export function recoverWal(
  file: StorageFile, primary: FileHeader, path: string, cipher: FrameCipher | null = null,
): RecoveredWal {
  const size = file.size();
  const empty: RecoveredWal = { header: null, slot: 1, pageOffsets: new Map(), lastState: null,
    commits: 0 };
  const found = readWalHeader(file);
  if (found === null) {
    if (anyFrameMagic(file, size)) throw walCorrupt(path, 'log has frames but no valid header');
    return empty;
  }
  const { header, slot } = found;
  checkPairing(header, primary, path);
  const log: LogReader = { file, size, pageSize: primary.pageSize, cipher, path,
    commitStored: commitPayloadBytes + (cipher === null ? 0 : sealOverheadBytes) };
  const result: RecoveredWal = { ...empty, header, slot };
  const scan: ScanState = { offset: walFramesStart, frameIndex: 0, seq: header.baseSeq,
    lastCommitEnd: walFramesStart };
  scanFrames(log, header, scan, result);
  checkTail(log, header, scan);
  const lastSeq = result.lastState?.commitSeq ?? header.baseSeq;
  checkForeignStart(log, header, lastSeq);
  if (lastSeq < primary.commitSeq) {
    throw walCorrupt(path, `log ends at seq ${lastSeq} but the primary holds ${primary.commitSeq}`);
  }
  return result;
}

function readWalHeader(file: StorageFile): { header: WalHeader; slot: number } | null {
  const buf = new Uint8Array(walFramesStart);
  file.read(buf, 0);
  let best: { header: WalHeader; slot: number } | null = null;
  walHeaderSlotOffsets.forEach((at, slot) => {
    const h = decodeWalHeader(buf.subarray(at, at + walHeaderSlotBytes));
    if (h !== null && (best === null || h.generation > best.header.generation)) {
      best = { header: h, slot };
    }
  });
  return best;
}

function checkPairing(h: WalHeader, primary: FileHeader, path: string): void {
  if (h.pageSize !== primary.pageSize || compareBytes(h.fileId, primary.fileId) !== 0) {
    throw walCorrupt(path, 'the log belongs to another database (file id or page size differ)');
  }
  if (h.baseSeq > primary.commitSeq) {
    throw walCorrupt(path, `the log starts after seq ${h.baseSeq} but the primary holds only ` +
      `${primary.commitSeq}: the files come from different instants`);
  }
}

/** A frame read from the log: header, plaintext payload and where the next frame starts. */
interface Frame {
  fh: FrameHeader;
  isPage: boolean;
  payload: Uint8Array;
  /** Payload bytes as stored (sealed length when encrypted). */
  stored: number;
  next: number;
}

/**
 * Reads the frame at `offset` when it is a complete, checksummed frame of the generation with
 * salts (salt0, salt1) and index `frameIndex`; null otherwise (the place where the log stops).
 * A sealed frame whose checksum holds but whose tag fails throws CorruptDatabase.
 */
function readFrame(
  log: LogReader, offset: number, salt: { salt0: number; salt1: number }, frameIndex: number,
): Frame | null {
  const { file, size } = log;
  if (offset + frameHeaderBytes > size) return null;
  const head = new Uint8Array(frameHeaderBytes);
  file.read(head, offset);
  const fh = decodeFrameHeader(head);
  if (fh.salt0 !== salt.salt0 || fh.salt1 !== salt.salt1 || fh.frameIndex !== frameIndex) {
    return null;
  }
  const isPage = fh.magic === frameMagicPage;
  if (!isPage && fh.magic !== frameMagicCommit) return null;
  const stored = isPage ? fh.length : fh.word;
  const pageMin = 16 + (log.cipher === null ? 0 : sealOverheadBytes);
  if (isPage ? stored < pageMin || stored > log.pageSize : stored !== log.commitStored) {
    return null;
  }
  if (offset + frameBytes(stored) > size) return null;
  const raw = new Uint8Array(stored);
  file.read(raw, offset + frameHeaderBytes);
  if (!frameChecksumOk(head, raw, fh.crc)) return null;
  const payload = openPayload(log, raw, head, offset);
  return { fh, isPage, payload, stored, next: offset + frameBytes(stored) };
}

/** The plaintext of a checksummed payload (itself when the log is plain). */
function openPayload(log: LogReader, raw: Uint8Array, head: Uint8Array, offset: number,
): Uint8Array {
  if (log.cipher === null) return raw;
  const plain = log.cipher.open(raw, head);
  if (plain === null) {
    throw walCorrupt(log.path, `frame at offset ${offset} fails its authentication tag ` +
      '(its checksum holds, so it was altered, not torn)');
  }
  return plain;
}

function scanFrames(log: LogReader, h: WalHeader, s: ScanState, out: RecoveredWal): void {
  let pending: Array<{ pageNo: number; offset: number; length: number }> = [];
  for (;;) {
    const frame = readFrame(log, s.offset, h, s.frameIndex);
    if (frame === null) return;
    const { fh, payload } = frame;
    if (frame.isPage) {
      pending.push({ pageNo: fh.word, offset: s.offset, length: frame.stored });
    } else {
      const c = decodeCommitPayload(payload);
      if (c.pageFrames !== pending.length || c.commitSeq !== s.seq + 1n) {
        throw walCorrupt(log.path, `commit frame ${fh.frameIndex} does not match its page frames`);
      }
      for (const p of pending) {
        out.pageOffsets.set(p.pageNo, { offset: p.offset, length: p.length, seq: c.commitSeq });
      }
      pending = [];
      out.lastState = c;
      out.commits++;
      s.seq = c.commitSeq;
      s.lastCommitEnd = frame.next;
    }
    s.frameIndex++;
    s.offset = frame.next;
  }
}

/**
 * Throws when the log starts with a chain of frames of another generation that commits past
 * `lastSeq`: the frames of a newer generation whose header slot is damaged.
 *
 * A generation's frames are written only after its header was fsynced, and every commit of an
 * older generation is at most the base seq of the newer ones (a reset follows a checkpoint or a
 * recovery that covered them). So frames at the start of the log with a foreign salt are either
 * stale frames of an older generation (all their commits ≤ lastSeq) or frames of a generation
 * whose header was lost after it became durable. Without this check a damaged newest header
 * whose older slot has the same base seq (a reset at open with nothing to recover) would silently
 * drop every commit of the newest generation.
 */
function checkForeignStart(log: LogReader, h: WalHeader, lastSeq: bigint): void {
  const head = new Uint8Array(frameHeaderBytes);
  if (log.file.read(head, walFramesStart) < frameHeaderBytes) return;
  const first = decodeFrameHeader(head);
  if (first.salt0 === h.salt0 && first.salt1 === h.salt1) return;
  let offset = walFramesStart;
  for (let index = 0; ; index++) {
    const frame = readFrame(log, offset, first, index);
    if (frame === null) return;
    if (!frame.isPage) {
      const seq = decodeCommitPayload(frame.payload).commitSeq;
      if (seq > lastSeq) {
        throw walCorrupt(log.path, `the log holds commit ${seq} of a generation whose header is ` +
          `damaged (the valid header explains only up to seq ${lastSeq})`);
      }
      return;
    }
    offset = frame.next;
  }
}

/** Throws when a valid commit frame past the stop proves that synced bytes were lost. */
function checkTail(log: LogReader, h: WalHeader, s: ScanState): void {
  const { file, size, commitStored } = log;
  const chunkBytes = 1 << 20;
  const chunk = new Uint8Array(chunkBytes + frameBytes(commitStored));
  for (let base = s.offset + 8; base + frameHeaderBytes <= size; base += chunkBytes) {
    const n = file.read(chunk, base);
    const dv = new DataView(chunk.buffer, 0, n);
    for (let at = 0; at + frameBytes(commitStored) <= n && at < chunkBytes; at += 8) {
      if (dv.getUint32(at, true) !== frameMagicCommit) continue;
      if (dv.getUint32(at + 4, true) !== h.salt0 || dv.getUint32(at + 8, true) !== h.salt1) {
        continue;
      }
      const head = chunk.subarray(at, at + frameHeaderBytes);
      const raw = chunk.subarray(at + frameHeaderBytes, at + frameHeaderBytes + commitStored);
      const fh = decodeFrameHeader(head);
      if (fh.word !== commitStored || !frameChecksumOk(head, raw, fh.crc)) continue;
      const payload = openPayload(log, raw, head, base + at);
      const synced = decodeCommitPayload(payload).syncedThrough;
      if (synced > BigInt(s.lastCommitEnd)) {
        throw walCorrupt(log.path, `log damaged at offset ${s.offset}, inside data that was ` +
          `synced (a later commit records ${synced} bytes durable)`);
      }
    }
  }
}

/** True when the area after the header holds anything that looks like a frame. */
function anyFrameMagic(file: StorageFile, size: number): boolean {
  const chunk = new Uint8Array(1 << 20);
  for (let base = walFramesStart; base < size; base += chunk.length) {
    const n = file.read(chunk, base);
    const dv = new DataView(chunk.buffer, 0, n);
    for (let at = 0; at + 4 <= n; at += 8) {
      const m = dv.getUint32(at, true);
      if (m === frameMagicPage || m === frameMagicCommit) return true;
    }
  }
  return false;
}

function walCorrupt(path: string, what: string): Error {
  return hexxlaError('CorruptDatabase', `write-ahead log: ${what}`, { path });
}
