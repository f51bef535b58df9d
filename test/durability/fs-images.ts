/**
 * Helpers for the durability tests: copy a crash image so each fault case starts from the same
 * bytes, open an outcome without throwing, and map the WAL's frames.
 *
 * White-box on purpose: `walLayout` decodes the log with src/storage/wal/wal-format.ts, because
 * the corruption tests must know which commit a damaged byte belongs to, where the checksummed
 * part of a frame ends (the alignment padding after it is not covered) and what each commit
 * frame's `syncedThrough` proves. It only reads; it never writes the format.
 */
import { open } from '../../src/index.js';
import type { Database, OpenOptions } from '../../src/index.js';
import {
  commitPayloadBytes, decodeCommitPayload, decodeFrameHeader, decodeWalHeader, frameBytes,
  frameHeaderBytes, frameMagicCommit, frameMagicPage, walFramesStart, walHeaderSlotBytes,
  walHeaderSlotOffsets,
} from '../../src/storage/wal/wal-format.js';
import type { WalHeader } from '../../src/storage/wal/wal-format.js';
import { FaultyFileSystem } from '../fault/faulty-fs.js';

/** A fresh, fully durable FaultyFileSystem holding copies of the files of `dir` in `source`. */
export function copyImage(source: FaultyFileSystem, dir: string): FaultyFileSystem {
  const copy = new FaultyFileSystem({ seed: source.seed });
  copyInto(source, copy, dir);
  return copy;
}

/** Copies the files of `dir` in `source` into `target` (live) and makes everything durable. */
export function copyInto(source: FaultyFileSystem, target: FaultyFileSystem, dir: string): void {
  target.mkdirp(dir);
  for (const name of source.list(dir)) {
    const file = target.open(`${dir}/${name}`, { create: true });
    file.truncate(0);
    file.write(source.readFile(`${dir}/${name}`), 0);
    file.close();
  }
  target.flushAll();
}

/** Replaces the whole content of a file of a (live) FaultyFileSystem, durably. */
export function replaceFile(fs: FaultyFileSystem, path: string, bytes: Uint8Array): void {
  const file = fs.open(path, { create: true });
  file.truncate(0);
  file.write(bytes, 0);
  file.close();
  fs.flushAll();
}

/** Result of an open attempt: the database or the error it threw. */
export type OpenOutcome = { db: Database; error?: undefined } | { db?: undefined; error: unknown };

export async function tryOpen(path: string, options: OpenOptions): Promise<OpenOutcome> {
  try {
    return { db: await open(path, options) };
  } catch (error) {
    return { error };
  }
}

/** The error's code, or a description of a value that is not a coded error. */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : `uncoded ${String(error)}`;
}

/** One frame of the current log generation. */
export interface WalFrame {
  start: number;
  /** End of the checksummed bytes (header + payload). */
  sealedEnd: number;
  /** End including alignment padding. */
  end: number;
  kind: 'page' | 'commit';
  /** Seq of the commit the frame belongs to. */
  seq: bigint;
}

/** One complete commit of the current log generation. */
export interface WalCommit {
  seq: bigint;
  start: number;
  /** End of the commit frame's checksummed bytes (its padding follows). */
  sealedEnd: number;
  end: number;
  syncedThrough: number;
}

export interface WalLayout {
  header: WalHeader;
  slot: number;
  frames: WalFrame[];
  commits: WalCommit[];
  /** End of the last complete commit. */
  end: number;
}

function newestHeader(wal: Uint8Array): { header: WalHeader; slot: number } {
  let best: { header: WalHeader; slot: number } | null = null;
  walHeaderSlotOffsets.forEach((at, slot) => {
    const h = decodeWalHeader(wal.subarray(at, at + walHeaderSlotBytes));
    if (h !== null && (best === null || h.generation > best.header.generation)) {
      best = { header: h, slot };
    }
  });
  if (best === null) throw new Error('walLayout: no valid header');
  return best;
}

/** Maps the complete commits of the newest generation of a log (stops at the first bad frame). */
export function walLayout(wal: Uint8Array): WalLayout {
  const { header, slot } = newestHeader(wal);
  const frames: WalFrame[] = [];
  const commits: WalCommit[] = [];
  let pending: WalFrame[] = [];
  let at = walFramesStart;
  let index = 0;
  let commitStart = at;
  while (at + frameHeaderBytes <= wal.length) {
    const fh = decodeFrameHeader(wal.subarray(at, at + frameHeaderBytes));
    if (fh.salt0 !== header.salt0 || fh.salt1 !== header.salt1 || fh.frameIndex !== index) break;
    if (fh.magic !== frameMagicPage && fh.magic !== frameMagicCommit) break;
    const isPage = fh.magic === frameMagicPage;
    const length = isPage ? fh.length : commitPayloadBytes;
    if (at + frameBytes(length) > wal.length) break;
    const frame: WalFrame = { start: at, sealedEnd: at + frameHeaderBytes + length,
      end: at + frameBytes(length), kind: isPage ? 'page' : 'commit', seq: 0n };
    pending.push(frame);
    if (!isPage) {
      const c = decodeCommitPayload(wal.subarray(at + frameHeaderBytes, frame.sealedEnd));
      for (const f of pending) f.seq = c.commitSeq;
      frames.push(...pending);
      pending = [];
      commits.push({ seq: c.commitSeq, start: commitStart, sealedEnd: frame.sealedEnd,
        end: frame.end, syncedThrough: Number(c.syncedThrough) });
      commitStart = frame.end;
    }
    at = frame.end;
    index++;
  }
  return { header, slot, frames, commits, end: commitStart };
}

/**
 * The newest commit seq that a later commit frame proves was fsynced (its `syncedThrough` covers
 * the commit's last byte); `baseSeq` when none is proven.
 */
export function provenSeq(layout: WalLayout): bigint {
  let proven = layout.header.baseSeq;
  for (const c of layout.commits) {
    for (const later of layout.commits) {
      if (later.seq > c.seq && later.syncedThrough >= c.end && c.seq > proven) proven = c.seq;
    }
  }
  return proven;
}
