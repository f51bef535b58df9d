/**
 * Where each page's current image lives, for the two views the engine needs:
 * - `durable`: what readers see: the newest fsynced image of each page;
 * - `latest`: what the next writer builds on: durable plus commits still waiting for their fsync.
 * A page absent from a map lives in the primary file. Both maps point at WAL frames; a checkpoint
 * copies the durable images into the primary and empties the maps when the log is reset.
 *
 * Images of commits not yet durable may not be on disk at all (they are written with their batch),
 * so their decoded node is pinned in the ref until the batch is durable.
 */
import { crc32 } from 'node:zlib';
import { hexxlaError, ioError } from '../errors.js';
import type { StorageFile } from './file.js';
import { decodePage } from './page.js';
import type { PageNode } from './page.js';
import { PageCache, walCacheKey } from './page-cache.js';
import { frameHeaderBytes } from './wal/wal-format.js';

export interface PageRef {
  readonly pageNo: number;
  readonly frameId: number;
  readonly offset: number;
  /** Logged bytes of the image (the rest of the page is zero). */
  readonly length: number;
  /** The node while its commit is not durable yet; null afterwards (read via cache or file). */
  node: PageNode | null;
}

export class PageStore {
  readonly durable = new Map<number, PageRef>();
  latest = new Map<number, PageRef>();
  private frameIdNext = 0;
  pageReads = 0;

  constructor(
    private readonly primary: StorageFile,
    private readonly wal: StorageFile,
    readonly cache: PageCache,
    private readonly pageSize: number,
    private readonly usable: number,
  ) {}

  nextFrameId(): number {
    return this.frameIdNext++;
  }

  readDurable(pageNo: number): PageNode {
    return this.load(pageNo, this.durable.get(pageNo));
  }

  readLatest(pageNo: number): PageNode {
    return this.load(pageNo, this.latest.get(pageNo));
  }

  private load(pageNo: number, ref: PageRef | undefined): PageNode {
    if (ref !== undefined && ref.node !== null) return ref.node;
    const key = ref === undefined ? pageNo : walCacheKey(ref.frameId);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
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
    const node = decodePage(buf, pageNo, this.usable, file.path);
    this.cache.set(key, node);
    return node;
  }

  /** Registers the durable image of a page recovered from the log. */
  addRecovered(pageNo: number, offset: number, length: number): void {
    const ref: PageRef = { pageNo, frameId: this.nextFrameId(), offset, length, node: null };
    this.durable.set(pageNo, ref);
    this.latest.set(pageNo, ref);
  }

  /** A commit's images became durable: readers may see them now. */
  markDurable(refs: PageRef[]): void {
    for (const ref of refs) {
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
   * Copies every durable image from the log into the primary file (checkpoint step 1). Each image
   * is checked before it is copied, so a damaged log never reaches the primary.
   */
  copyToPrimary(): number {
    const refs = [...this.durable.values()].sort((a, b) => a.pageNo - b.pageNo);
    const buf = new Uint8Array(this.pageSize);
    for (const ref of refs) {
      buf.fill(0);
      this.wal.read(buf.subarray(0, ref.length), ref.offset + frameHeaderBytes);
      const crc = new DataView(buf.buffer).getUint32(0, true);
      if (crc !== crc32(buf.subarray(4, this.usable))) {
        throw hexxlaError('CorruptDatabase', `log image of page ${ref.pageNo} is damaged`,
          { path: this.wal.path, page: ref.pageNo });
      }
      this.primary.write(buf, ref.pageNo * this.pageSize);
    }
    return refs.length;
  }

  /** After the log reset: all images live in the primary now; keep their cached nodes. */
  afterReset(): void {
    for (const ref of this.durable.values()) {
      this.cache.rekey(walCacheKey(ref.frameId), ref.pageNo);
    }
    this.durable.clear();
    this.latest = new Map();
  }
}
