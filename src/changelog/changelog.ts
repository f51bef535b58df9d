/**
 * The changelog sidecar `<primary>-changelog` (SPEC §7): one checksummed frame per commit with
 * the commit's logical mutations, appended in commit order. Layout: format.ts, docs/changelog.md.
 *
 * Consistency with the primary (the store calls `sync` before it fsyncs the WAL for a group of
 * commits, so a commit's frame is durable before the commit is):
 * - never lost once acknowledged: the frame was synced before the WAL commit record;
 * - never present without the commit: on open, frames with seq > the primary's commit seq (staged
 *   for commits that never became durable) are truncated away; `rollbackTo` does the same at run
 *   time when a commit fails.
 * Damage: an unreadable frame at the end of the file is a torn append and is truncated; a frame
 * that fails its checksum while its (clear) seq says it belongs to a durable commit, or any
 * damage before valid frames, is `ChangelogCorrupt` with the last good seq: never skipped.
 */
import { dirname } from 'node:path';
import { assert } from '../assert.js';
import { hexxlaError, ioError } from '../errors.js';
import type { Change } from '../model/context.js';
import type { FileSystem, StorageFile } from '../storage/file.js';
import {
  changelogHeaderBytes, decodeHeader, decodePayload, encodeFrame, encodeHeader, encodePayload,
  frameCrc, frameHeaderBytes, framePayloadBytesMax, type ChangelogEntry, type ChangelogFrame,
} from './format.js';

/** Seals frame payloads of an encrypted database (AES-256-GCM under the changelog subkey). */
export interface FrameSealer {
  seal(plain: Uint8Array, ad: Uint8Array): Uint8Array;
  /** The plain bytes, or null when the tag does not verify. */
  open(sealed: Uint8Array, ad: Uint8Array): Uint8Array | null;
}

export interface ChangelogOpenOptions {
  readonly fs: FileSystem;
  readonly path: string;
  /** The primary's file id: a log of another database is refused. */
  readonly fileId: Uint8Array;
  /** The primary's durable commit seq after recovery. */
  readonly commitSeq: bigint;
  readonly sealer?: FrameSealer;
}

/** Filter of readFiltered. */
export type { ChangelogFilter } from '../types/changelog.js';
import type { ChangelogFilter } from '../types/changelog.js';

/** Sent to listeners when the log closes (seq −1 never names a commit). */
export const closedFrame: ChangelogFrame = { seq: -1n, timeMs: 0, entries: [] };

/** Every `indexEvery`-th frame's offset is kept in memory to seek reads near a seq. */
const indexEvery = 64;

interface Scan {
  frames: Array<{ seq: bigint; offset: number }>;
  end: number;
  lastSeq: bigint;
}

export class Changelog {
  private appendOffset: number;
  /** Frames staged since the last durable point, with their offsets. */
  private staged: Array<{ seq: bigint; offset: number; frame: ChangelogFrame }> = [];
  private readonly listeners = new Set<(frame: ChangelogFrame) => void>();
  private durableSeqValue: bigint;
  /** Indexed frames, with the seq of the frame before each (for lastGoodSeq). */
  private readonly index: Array<{ seq: bigint; offset: number; prevSeq: bigint }> = [];
  /** Seq of the newest frame noted (the base seq before the first). */
  private lastNotedSeq: bigint;
  private framesSinceIndex = 0;
  private closed = false;

  private constructor(
    private readonly file: StorageFile,
    private readonly opts: ChangelogOpenOptions,
    private readonly baseSeq: bigint,
    scan: Scan,
  ) {
    this.appendOffset = scan.end;
    this.durableSeqValue = scan.lastSeq;
    this.lastNotedSeq = baseSeq;
    for (const f of scan.frames) this.noteFrame(f.seq, f.offset);
  }

  /**
   * Opens (creating when missing) and recovers the log; see the module comment. A new log's
   * header and directory entry are synced before it is used: a commit's frame must not vanish
   * with an unsynced file.
   */
  static async open(opts: ChangelogOpenOptions): Promise<Changelog> {
    const { fs, path } = opts;
    const existed = fs.exists(path);
    let file: StorageFile;
    try {
      file = fs.open(path, { create: true });
    } catch (err) {
      throw ioError('changelog open', path, err);
    }
    try {
      if (file.size() < changelogHeaderBytes) {
        // New (or a creation that died before its header was complete: it held no frames).
        file.truncate(0);
        file.write(encodeHeader({ sealed: opts.sealer !== undefined, fileId: opts.fileId,
          baseSeq: opts.commitSeq }), 0);
        await syncNew(fs, file, path, existed);
      }
      const head = new Uint8Array(changelogHeaderBytes);
      file.read(head, 0);
      const header = decodeHeader(head, path);
      checkPairing(header, opts);
      const scan = scanFrames(file, opts, header.baseSeq);
      if (scan.end < file.size()) file.truncate(scan.end);
      return new Changelog(file, opts, header.baseSeq, scan);
    } catch (err) {
      file.close();
      throw err;
    }
  }

  /** Seq of the newest frame known durable (or the base seq when there is none). */
  get durableSeq(): bigint {
    return this.durableSeqValue > this.baseSeq ? this.durableSeqValue : this.baseSeq;
  }

  /**
   * Writes the frame of commit `seq` (not yet synced). Frames staged earlier for seq ≥ `seq`
   * belonged to commits that failed and are dropped first.
   */
  stage(seq: bigint, timeMs: number, changes: readonly Change[]): void {
    this.assertOpen();
    assert(seq > this.durableSeqValue, 'changelog: staging a seq that is already durable');
    const stale = this.staged.findIndex((s) => s.seq >= seq);
    if (stale >= 0) this.rollbackToOffset(this.staged[stale]!.offset, stale);
    const payload = this.sealPayload(seq, encodePayload(seq, timeMs, changes));
    const frame = encodeFrame(payload);
    try {
      this.file.write(frame, this.appendOffset);
    } catch (err) {
      throw ioError('changelog write', this.opts.path, err);
    }
    const entries = changes.map((c) => ({ seq, timeMs, op: c.op, family: c.key[0]!, key: c.key,
      ...(c.value === undefined ? {} : { value: c.value }) }));
    this.staged.push({ seq, offset: this.appendOffset, frame: { seq, timeMs, entries } });
    this.appendOffset += frame.length;
  }

  /** Makes every staged frame durable (called before the WAL fsync of the same commits). */
  async sync(): Promise<void> {
    if (this.staged.length === 0 || this.closed) return;
    try {
      await this.file.sync();
    } catch (err) {
      throw ioError('changelog sync', this.opts.path, err);
    }
  }

  /**
   * Commit `seq` is durable: its frame and earlier staged ones become readable and go to the
   * listeners, in commit order whatever order callers report durability in.
   */
  markDurable(seq: bigint): void {
    const ready: ChangelogFrame[] = [];
    while (this.staged.length > 0 && this.staged[0]!.seq <= seq) {
      const s = this.staged.shift()!;
      this.noteFrame(s.seq, s.offset);
      ready.push(s.frame);
    }
    if (seq > this.durableSeqValue) this.durableSeqValue = seq;
    for (const frame of ready) for (const listener of this.listeners) listener(frame);
  }

  /** Calls `fn` with every frame that becomes durable from now on; returns the unsubscribe. */
  listen(fn: (frame: ChangelogFrame) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The log opened in place of this one after it closed for a live swap or rotation (set by
   * the database), so that a subscriber can tell a direct successor from one further along.
   */
  replacedBy: Changelog | null = null;

  /** Drops staged frames of commits after `durableSeq` (they failed). */
  rollbackTo(durableSeq: bigint): void {
    const first = this.staged.findIndex((s) => s.seq > durableSeq);
    if (first >= 0) this.rollbackToOffset(this.staged[first]!.offset, first);
  }

  /** Entries of durable commits with seq > `since`, in commit order. */
  readSince(since: bigint, limit = Infinity): ChangelogEntry[] {
    return this.readFiltered(since, { limit });
  }

  /** Like readSince, keeping entries whose op and key prefix match. */
  readFiltered(since: bigint, filter: ChangelogFilter = {}): ChangelogEntry[] {
    const limit = filter.limit ?? Infinity;
    const out: ChangelogEntry[] = [];
    if (limit <= 0) return out;
    for (const frame of this.frames(since)) {
      for (const e of frame.entries) {
        if (filter.ops !== undefined && !filter.ops.includes(e.op)) continue;
        if (filter.keyPrefix !== undefined && !hasPrefix(e.key, filter.keyPrefix)) continue;
        out.push(e);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /** Seq of the newest durable frame (the start seq when there is none). */
  get lastFrameSeq(): bigint {
    return this.lastNotedSeq;
  }

  /** The seq the log starts after: commits up to it are not in it (0 when it covers all). */
  get startSeq(): bigint {
    return this.baseSeq;
  }

  /**
   * Durable frames with seq > `since`, read lazily from the file, in order. PreconditionFailed
   * when `since` is before the log's start: the commits in between are not in it, and
   * returning what follows would skip them silently.
   */
  *frames(since: bigint): Generator<ChangelogFrame> {
    this.assertOpen();
    if (since < this.baseSeq) {
      throw hexxlaError('PreconditionFailed', `the changelog starts after seq ${this.baseSeq} ` +
        `(it was started or restarted then); commits after ${since} up to it are not in it`,
        { reason: 'changelog-starts-later', startSeq: this.baseSeq, since });
    }
    const limitSeq = this.durableSeqValue;
    const start = this.seekEntry(since);
    let offset = start.offset;
    let lastGood = start.prevSeq;
    while (offset < this.appendOffset) {
      // A subscriber's replay resumes here after awaits: when the log closed meanwhile, its
      // file is gone and the replay ends (the subscriber then sees the close).
      if (this.closed) return;
      const read = readFrame(this.file, offset, this.appendOffset, this.opts);
      if (read === null || read.frame === null) {
        throw corruptAt(this.opts, offset, lastGood);
      }
      const frame = read.frame;
      if (frame.seq > limitSeq) return;
      offset += read.length;
      lastGood = frame.seq;
      if (frame.seq > since) yield frame;
    }
  }

  /** Closes the file and ends the listeners (also when the close fails: IoError). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.file.close();
    } catch (err) {
      throw ioError('changelog close', this.opts.path, err);
    } finally {
      for (const listener of [...this.listeners]) listener(closedFrame);
      this.listeners.clear();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw hexxlaError('DatabaseClosed', 'the changelog is closed');
  }

  private rollbackToOffset(offset: number, stagedIndex: number): void {
    this.staged.length = stagedIndex;
    this.appendOffset = offset;
    try {
      this.file.truncate(offset);
    } catch (err) {
      throw ioError('changelog truncate', this.opts.path, err);
    }
  }

  private noteFrame(seq: bigint, offset: number): void {
    if (this.framesSinceIndex++ % indexEvery === 0) {
      this.index.push({ seq, offset, prevSeq: this.lastNotedSeq });
    }
    this.lastNotedSeq = seq;
    if (seq > this.durableSeqValue) this.durableSeqValue = seq;
  }

  /** The last indexed frame with seq ≤ since (or the first frame) and the seq before it. */
  private seekEntry(since: bigint): { offset: number; prevSeq: bigint } {
    let lo = 0;
    let hi = this.index.length - 1;
    let best: { offset: number; prevSeq: bigint } =
      { offset: changelogHeaderBytes, prevSeq: this.baseSeq };
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const entry = this.index[mid]!;
      if (entry.seq <= since) {
        best = entry;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return best;
  }

  private sealPayload(seq: bigint, plain: Uint8Array): Uint8Array {
    const sealer = this.opts.sealer;
    if (sealer === undefined) return plain;
    const sealed = sealer.seal(plain, frameAd(this.opts.fileId, seq));
    const out = new Uint8Array(8 + sealed.length);
    new DataView(out.buffer).setBigUint64(0, seq, true);
    out.set(sealed, 8);
    return out;
  }
}

async function syncNew(fs: FileSystem, file: StorageFile, path: string,
  existed: boolean): Promise<void> {
  try {
    await file.sync();
    if (!existed) await fs.syncDirectory(dirname(path));
  } catch (err) {
    throw ioError('changelog create', path, err);
  }
}

function hasPrefix(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

function frameAd(fileId: Uint8Array, seq: bigint): Uint8Array {
  const ad = new Uint8Array(fileId.length + 8);
  ad.set(fileId);
  new DataView(ad.buffer).setBigUint64(fileId.length, seq, true);
  return ad;
}

function checkPairing(h: { sealed: boolean; fileId: Uint8Array }, o: ChangelogOpenOptions): void {
  const same = h.fileId.length === o.fileId.length && h.fileId.every((b, i) => b === o.fileId[i]);
  if (!same) {
    throw hexxlaError('ChangelogCorrupt', 'the changelog belongs to another database (file id); ' +
      'move it away to start a new one', { path: o.path, lastGoodSeq: -1 });
  }
  if (h.sealed !== (o.sealer !== undefined)) {
    throw hexxlaError('ChangelogCorrupt', 'the changelog encryption does not match the database',
      { path: o.path, lastGoodSeq: -1 });
  }
}

/** A frame read at `offset`: null when its bytes are incomplete; frame null when damaged. */
interface ReadResult {
  length: number;
  /** The clear seq of the frame when its header and first 8 payload bytes are present. */
  clearSeq: bigint | null;
  frame: ChangelogFrame | null;
}

function readFrame(file: StorageFile, offset: number, end: number,
  o: ChangelogOpenOptions): ReadResult | null {
  if (offset + frameHeaderBytes + 8 > end) return null;
  const head = new Uint8Array(frameHeaderBytes + 8);
  file.read(head, offset);
  const dv = new DataView(head.buffer);
  const n = dv.getUint32(0, true);
  const clearSeq = dv.getBigUint64(frameHeaderBytes, true);
  if (n < 8 || n > framePayloadBytesMax) return { length: 0, clearSeq, frame: null };
  if (offset + frameHeaderBytes + n > end) return null;
  const buf = new Uint8Array(frameHeaderBytes + n);
  file.read(buf, offset);
  const length = buf.length;
  if (new DataView(buf.buffer).getUint32(4, true) !== frameCrc(buf)) {
    return { length, clearSeq, frame: null };
  }
  let plain: Uint8Array = buf.subarray(frameHeaderBytes);
  if (o.sealer !== undefined) {
    const opened = o.sealer.open(plain.subarray(8), frameAd(o.fileId, clearSeq));
    if (opened === null) return { length, clearSeq, frame: null };
    plain = opened;
  }
  const frame = decodePayload(plain);
  return { length, clearSeq, frame: frame !== null && frame.seq === clearSeq ? frame : null };
}

/** True when every byte from `offset` to `end` is zero (an extension a crash left unfilled). */
function zeroFrom(file: StorageFile, offset: number, end: number): boolean {
  const chunk = new Uint8Array(Math.min(65536, end - offset));
  for (let at = offset; at < end; at += chunk.length) {
    const n = file.read(chunk, at);
    for (let i = 0; i < n; i++) if (chunk[i] !== 0) return false;
  }
  return true;
}

function corruptAt(o: ChangelogOpenOptions, offset: number, lastSeq: bigint): Error {
  return hexxlaError('ChangelogCorrupt', `changelog frame at ${offset} is damaged; the last ` +
    `good commit seq is ${lastSeq}`, { path: o.path, offset, lastGoodSeq: lastSeq });
}

/** Recovery scan: see the module comment for what is truncated and what is corruption. */
function scanFrames(file: StorageFile, o: ChangelogOpenOptions, baseSeq: bigint): Scan {
  const end = file.size();
  const frames: Scan['frames'] = [];
  let offset = changelogHeaderBytes;
  let lastSeq = baseSeq;
  while (offset < end) {
    const read = readFrame(file, offset, end, o);
    if (read === null) break; // torn append at the end
    if (read.frame === null && zeroFrom(file, offset, end)) break;
    const seq = read.frame?.seq ?? read.clearSeq!;
    if (seq > o.commitSeq) break; // staged for a commit that never became durable
    if (read.frame === null || seq <= lastSeq) throw corruptAt(o, offset, lastSeq);
    frames.push({ seq, offset });
    lastSeq = seq;
    offset += read.length;
  }
  return { frames, end: offset, lastSeq };
}
