/**
 * Where each page's current image lives, for the two views the engine needs:
 * - `durable`: what readers see: the newest fsynced image of each page;
 * - `latest`: what the next writer builds on: durable plus commits still waiting for their fsync.
 * A page absent from a map lives in the primary file. Both maps point at WAL frames; a checkpoint
 * copies the durable images into the primary and empties the maps when the log is reset.
 *
 * Images of commits not yet durable may not be on disk at all (they are written with their batch),
 * so their decoded node is pinned in the ref until the batch is durable.
 *
 * Encrypted stores (`cipher` set): primary pages are sealed images (nonce ‖ ciphertext ‖ tag,
 * pageSize bytes) and WAL page frames carry sealed payloads; both are opened, tag first, before
 * decoding. The checkpoint re-seals each image under the pages subkey with a fresh nonce. Plain
 * stores take the original code paths, untouched.
 *
 * Page versions (encrypted stores created since the map exists; page-versions.ts): a primary
 * page is opened with the version the map records for it, looked up through the durable view;
 * the checkpoint seals each image with the seq of the commit that logged it (`PageRef.seq`),
 * which is the version the map records for it.
 */
import { crc32 } from 'node:zlib';
import { hexxlaError, ioError } from '../errors.js';
import type { StoreCipher } from './crypto/seal.js';
import type { StorageFile } from './file.js';
import { decodePage, encodePage, pageTypeLeaf } from './page.js';
import type { PageNode } from './page.js';
import { PageCache, walCacheKey } from './page-cache.js';
import { lookupVersion, versionGeometry } from './page-versions.js';
import type { VersionGeometry } from './page-versions.js';
import { decodeFrameHeader, frameHeaderBytes, frameMagicPage } from './wal/wal-format.js';

export interface PageRef {
  readonly pageNo: number;
  readonly frameId: number;
  readonly offset: number;
  /** Logged bytes of the image (the rest of the page is zero). */
  readonly length: number;
  /** The node while its commit is not durable yet; null afterwards (read via cache or file). */
  node: PageNode | null;
  /** Seq of the commit that logged this image: the page's version. */
  readonly seq: number;
}

/** Most bytes the checkpoint writes with one call (a run of consecutive pages). */
const copyRunBytes = 256 * 1024;

export class PageStore {
  readonly durable = new Map<number, PageRef>();
  latest = new Map<number, PageRef>();
  private frameIdNext = 0;
  pageReads = 0;
  /** Fan-outs of the page-version map; null when the file has none. */
  private readonly versions: VersionGeometry | null;
  /** Version of the map's root in the primary: the commit seq of the last checkpoint. */
  private primarySeq: number;
  /** The checkpoint's buffer for a run of consecutive pages (kept: fresh memory is dear). */
  private copyRun: Uint8Array | null = null;

  constructor(
    private readonly primary: StorageFile,
    private readonly wal: StorageFile,
    readonly cache: PageCache,
    private readonly pageSize: number,
    private readonly usable: number,
    private readonly cipher: StoreCipher | null = null,
    primarySeq = 0n,
  ) {
    this.versions = cipher?.pages.versioned === true ? versionGeometry(usable) : null;
    this.primarySeq = Number(primarySeq);
  }

  nextFrameId(): number {
    return this.frameIdNext++;
  }

  /** `version`: the version a page-version node was sealed with (its parent's entry). */
  readDurable(pageNo: number, version?: number): PageNode {
    const hit = this.cache.getDurable(pageNo);
    if (hit !== undefined) return hit;
    const ref = this.durable.get(pageNo);
    const node = this.load(pageNo, ref, version);
    if (ref === undefined || ref.node === null) {
      this.cache.linkDurable(pageNo, ref === undefined ? pageNo : walCacheKey(ref.frameId));
    }
    return node;
  }

  readLatest(pageNo: number, version?: number): PageNode {
    return this.load(pageNo, this.latest.get(pageNo), version);
  }

  /** `version`: the version a primary page must have, when the caller knows it. */
  private load(pageNo: number, ref: PageRef | undefined, version?: number): PageNode {
    if (ref !== undefined && ref.node !== null) return ref.node;
    const key = ref === undefined ? pageNo : walCacheKey(ref.frameId);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const node = this.cipher === null ? this.readPlain(pageNo, ref)
      : this.readSealed(pageNo, ref, this.cipher, version);
    this.cache.set(key, node);
    return node;
  }

  /** The version primary page `pageNo` was sealed with (0 when the file has no map). */
  private expectedVersion(pageNo: number): number {
    if (this.versions === null) return 0;
    return lookupVersion(this.versions, pageNo, this.primarySeq,
      (p, v) => this.load(p, this.durable.get(p), v), this.primary.path);
  }

  private readPlain(pageNo: number, ref: PageRef | undefined): PageNode {
    const buf = new Uint8Array(this.pageSize);
    const file = ref === undefined ? this.primary : this.wal;
    const position = ref === undefined ? pageNo * this.pageSize : ref.offset + frameHeaderBytes;
    const want = ref === undefined ? this.pageSize : ref.length;
    let n: number;
    try {
      n = file.read(ref === undefined ? buf : buf.subarray(0, want), position);
    } catch (err) {
      throw ioError('page read', file.path, err);
    }
    this.pageReads++;
    if (n < Math.min(want, this.usable)) {
      throw hexxlaError('CorruptDatabase', `page ${pageNo} lies beyond the end of the file`,
        { path: file.path, page: pageNo });
    }
    return decodePage(buf, pageNo, this.usable, file.path);
  }

  /** Reads a sealed image (primary page, or WAL frame header + payload) and opens it. */
  private readSealed(
    pageNo: number, ref: PageRef | undefined, cipher: StoreCipher, version?: number,
  ): PageNode {
    const file = ref === undefined ? this.primary : this.wal;
    const position = ref === undefined ? pageNo * this.pageSize : ref.offset;
    const buf = new Uint8Array(ref === undefined ? this.pageSize : frameHeaderBytes + ref.length);
    let n: number;
    try {
      n = file.read(buf, position);
    } catch (err) {
      throw ioError('page read', file.path, err);
    }
    this.pageReads++;
    if (n < buf.length) {
      throw hexxlaError('CorruptDatabase', `page ${pageNo} lies beyond the end of the file`,
        { path: file.path, page: pageNo });
    }
    const plain = ref === undefined
      ? cipher.pages.open(buf, pageNo, version ?? this.expectedVersion(pageNo))
      : this.openFrame(buf, pageNo, cipher);
    if (plain === null) throw tagFailure(file.path, pageNo, 'image');
    return decodePage(plain, pageNo, this.usable, file.path);
  }

  /**
   * Opens the sealed WAL frame `frame` (header + payload) of page `pageNo` into a zero-filled
   * usable-sized plaintext; CorruptDatabase when it is not that page's frame or its tag fails.
   */
  private openFrame(frame: Uint8Array, pageNo: number, cipher: StoreCipher): Uint8Array {
    const head = frame.subarray(0, frameHeaderBytes);
    const fh = decodeFrameHeader(head);
    const plain = fh.magic === frameMagicPage && fh.word === pageNo
      ? cipher.wal.open(frame.subarray(frameHeaderBytes), head, this.usable) : null;
    if (plain === null) throw tagFailure(this.wal.path, pageNo, 'log image');
    return plain;
  }

  /** Registers the durable image of a page recovered from the log. */
  addRecovered(pageNo: number, offset: number, length: number, seq: bigint): void {
    const ref: PageRef = { pageNo, frameId: this.nextFrameId(), offset, length, node: null,
      seq: Number(seq) };
    this.cache.unlinkDurable(pageNo); // a primary image read before recovery is not durable
    this.durable.set(pageNo, ref);
    this.latest.set(pageNo, ref);
  }

  /** A commit's images became durable: readers may see them now. */
  markDurable(refs: PageRef[]): void {
    for (const ref of refs) {
      // The image this one replaces can never be read again (views are synchronous and read the
      // durable map): drop it from the cache, where it would only push out live pages, and
      // recycle its buffer.
      const prev = this.durable.get(ref.pageNo);
      this.cache.unlinkDurable(ref.pageNo);
      const dead = this.cache.take(prev === undefined ? ref.pageNo : walCacheKey(prev.frameId));
      if (dead?.type === pageTypeLeaf) dead.release();
      this.durable.set(ref.pageNo, ref);
      if (ref.node !== null) this.cache.set(walCacheKey(ref.frameId), ref.node);
      ref.node = null;
    }
  }

  /** Forgets every non-durable image (a batch write failed). */
  rollbackToDurable(): void {
    this.latest = new Map(this.durable);
  }

  /**
   * Copies into the primary file every durable image that `copied` does not already record
   * (checkpoint steps 1 and 2; see Store.runCheckpoint), in page order, runs of consecutive
   * pages with one write call each (a call costs ~5 µs here, as much as the 4 KiB it moves), and
   * records each image copied. An image whose node is still cached is encoded from it: that
   * node is what readers of the durable state see, cached nodes never change, and encoding
   * costs less than the read call. Other images are read from the log and checked first, so a
   * damaged log never reaches the primary. Returns the number of images written.
   *
   * Writing a durable image early is safe: until the checkpoint's header is durable, recovery
   * replays the log, which holds every image copied here, over whatever the primary has.
   */
  copyToPrimary(copied: Map<number, PageRef>): number {
    const refs: PageRef[] = [];
    for (const ref of this.durable.values()) if (copied.get(ref.pageNo) !== ref) refs.push(ref);
    refs.sort((a, b) => a.pageNo - b.pageNo);
    if (this.cipher !== null) return this.copySealed(refs, this.cipher, copied);
    const size = this.pageSize;
    const runMax = Math.max(1, Math.floor(copyRunBytes / size));
    const run = this.copyRun ??= new Uint8Array(runMax * size);
    const dv = new DataView(run.buffer, run.byteOffset, run.length);
    let first = 0;
    let count = 0;
    for (const ref of refs) {
      if (count > 0 && (ref.pageNo !== first + count || count === runMax)) {
        this.primary.write(run.subarray(0, count * size), first * size);
        count = 0;
      }
      if (count === 0) first = ref.pageNo;
      this.imageInto(ref, run, dv, count * size);
      copied.set(ref.pageNo, ref);
      count++;
    }
    if (count > 0) this.primary.write(run.subarray(0, count * size), first * size);
    return refs.length;
  }

  /** Puts the durable image of `ref` into `out` at `base` (pageSize bytes; see copyToPrimary). */
  private imageInto(ref: PageRef, out: Uint8Array, dv: DataView, base: number): void {
    const node = this.cache.peek(walCacheKey(ref.frameId));
    if (node !== undefined) {
      // encodePage zeroes the usable area; the reserved tail is zeroed here.
      encodePage(node, ref.pageNo, out, dv, base, this.usable);
      out.fill(0, base + this.usable, base + this.pageSize);
      return;
    }
    out.fill(0, base, base + this.pageSize);
    this.wal.read(out.subarray(base, base + ref.length), ref.offset + frameHeaderBytes);
    if (dv.getUint32(base, true) !== crc32(out.subarray(base + 4, base + this.usable))) {
      throw hexxlaError('CorruptDatabase', `log image of page ${ref.pageNo} is damaged`,
        { path: this.wal.path, page: ref.pageNo });
    }
  }

  /** copyToPrimary for an encrypted store: open each log image, re-seal it for the primary. */
  private copySealed(refs: PageRef[], cipher: StoreCipher, copied: Map<number, PageRef>): number {
    for (const ref of refs) {
      const frame = new Uint8Array(frameHeaderBytes + ref.length);
      this.wal.read(frame, ref.offset);
      const plain = this.openFrame(frame, ref.pageNo, cipher);
      // The tag proved the bytes are the ones sealed; the page checksum guards the encoder.
      const crc = new DataView(plain.buffer).getUint32(0, true);
      if (crc !== crc32(plain.subarray(4, this.usable))) {
        throw hexxlaError('CorruptDatabase', `log image of page ${ref.pageNo} is damaged`,
          { path: this.wal.path, page: ref.pageNo });
      }
      this.primary.write(cipher.pages.seal(plain, ref.pageNo, ref.seq),
        ref.pageNo * this.pageSize);
      copied.set(ref.pageNo, ref);
    }
    return refs.length;
  }

  /**
   * After the log reset: all images live in the primary now, which holds the commit `seq`;
   * keep their cached nodes.
   */
  afterReset(seq: bigint): void {
    this.primarySeq = Number(seq);
    for (const ref of this.durable.values()) {
      this.cache.rekey(walCacheKey(ref.frameId), ref.pageNo);
    }
    this.durable.clear();
    this.latest = new Map();
  }
}

function tagFailure(path: string, pageNo: number, what: string): Error {
  return hexxlaError('CorruptDatabase', `${what} of page ${pageNo} fails its authentication tag ` +
    '(damaged, tampered with, or moved from another page or file)', { path, page: pageNo });
}
