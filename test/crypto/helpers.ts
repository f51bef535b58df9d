/**
 * Helpers of the encryption tests: credentials, opening without throwing, and a reader of the
 * sealed images in a primary and its log (white-box: it decodes the layouts of docs/format.md
 * "Encryption" to collect nonces and to tamper with chosen bytes).
 */
import { createHash, randomBytes } from 'node:crypto';
import { open } from '../../src/index.js';
import type { OpenOptions } from '../../src/index.js';
import { decodeHeaderSlot } from '../../src/storage/header.js';
import {
  decodeFrameHeader, decodeWalHeader, frameBytes, frameHeaderBytes, frameMagicCommit,
  frameMagicPage, walFramesStart, walHeaderSlotBytes, walHeaderSlotOffsets,
} from '../../src/storage/wal/wal-format.js';

export const keyA = new Uint8Array(randomBytes(32));
export const keyB = new Uint8Array(randomBytes(32));
/** Test-only scrypt cost (2^10): fast; production uses the default 2^17. */
export const kdfCost = 10;

/** The error code an open (or any promise) fails with, or 'ok'. */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    const v = await p;
    if (v !== null && typeof v === 'object' && 'close' in v) {
      await (v as { close(): Promise<void> }).close();
    }
    return 'ok';
  } catch (err) {
    return String((err as { code?: unknown }).code ?? err);
  }
}

export function openOutcome(path: string, options: OpenOptions): Promise<string> {
  return outcome(open(path, options));
}

/** One sealed object found in a file image: where, its nonce, and a digest of all its bytes. */
export interface SealSighting {
  where: string;
  nonce: string;
  digest: string;
}

function digest(parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Page size and page count of the newest valid header in a primary image. */
export function primaryGeometry(image: Uint8Array): { pageSize: number; pageCount: number } {
  const slots = [0, 2048].map((at) => decodeHeaderSlot(image.subarray(at, at + 256)));
  const best = slots.filter((h) => h !== null)
    .sort((a, b) => Number(b!.headerSeq - a!.headerSeq))[0];
  if (best === undefined || best === null) throw new Error('no valid header');
  return { pageSize: best.pageSize, pageCount: best.pageCount };
}

/** The sealed pages 1 … pageCount−1 of a primary image. */
export function primarySeals(image: Uint8Array): SealSighting[] {
  const { pageSize, pageCount } = primaryGeometry(image);
  const out: SealSighting[] = [];
  for (let p = 1; p < pageCount && (p + 1) * pageSize <= image.length; p++) {
    const page = image.subarray(p * pageSize, (p + 1) * pageSize);
    out.push({ where: `page ${p}`, nonce: Buffer.from(page.subarray(0, 12)).toString('hex'),
      digest: digest([page]) });
  }
  return out;
}

/** A frame of the current generation of a log image. */
export interface LogFrame {
  offset: number;
  kind: 'page' | 'commit';
  /** Stored (sealed) payload length. */
  stored: number;
}

/** The frames of the newest generation, in order, as far as they are contiguous. */
export function logFrames(image: Uint8Array): LogFrame[] {
  const headers = walHeaderSlotOffsets.map((at) =>
    decodeWalHeader(image.subarray(at, at + walHeaderSlotBytes)));
  const h = headers.filter((x) => x !== null)
    .sort((a, b) => Number(b!.generation - a!.generation))[0];
  if (h === undefined || h === null) return [];
  const out: LogFrame[] = [];
  let offset = walFramesStart;
  while (offset + frameHeaderBytes <= image.length) {
    const fh = decodeFrameHeader(image.subarray(offset, offset + frameHeaderBytes));
    if (fh.salt0 !== h.salt0 || fh.salt1 !== h.salt1 || fh.frameIndex !== out.length) break;
    const isPage = fh.magic === frameMagicPage;
    if (!isPage && fh.magic !== frameMagicCommit) break;
    const stored = isPage ? fh.length : fh.word;
    if (offset + frameBytes(stored) > image.length) break;
    out.push({ offset, kind: isPage ? 'page' : 'commit', stored });
    offset += frameBytes(stored);
  }
  return out;
}

/** The sealed payloads of a log image (current generation). */
export function logSeals(image: Uint8Array): SealSighting[] {
  return logFrames(image).map((f) => {
    const head = image.subarray(f.offset, f.offset + 24);
    const payload = image.subarray(f.offset + frameHeaderBytes,
      f.offset + frameHeaderBytes + f.stored);
    return { where: `log frame at ${f.offset}`, nonce: Buffer.from(payload.subarray(0, 12))
      .toString('hex'), digest: digest([head, payload]) };
  });
}

/** True when `needle` occurs in `hay`. */
export function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(Buffer.from(needle)) >= 0;
}

/** Incompressible bytes from a seed: values that DEFLATE cannot shrink to nothing. */
export { seededBytes as noise } from '../fault/prng.js';
