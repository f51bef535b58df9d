/**
 * Bulk builder: writes a new primary file bottom-up from a sorted stream of tree entries
 * (compaction and hot backup, SPEC §8–9).
 *
 * Entries arrive in strictly increasing key order with their values as readers see them
 * (decompressed). Each value goes through the same encoding as a normal put (`storeValue`:
 * DEFLATE when it helps, inline up to the inline limit, else an overflow chain), so the new file
 * is indistinguishable from one built by puts, only packed: leaves are filled until the next
 * entry would not fit, and branches likewise. Page numbers are handed out densely from 1, so the
 * file has no free pages and an empty freelist.
 *
 * Branch construction is streaming, one pending node per level: a node that is full stays in
 * memory ("held") until the next node of its level has two children. If the stream ends with a
 * lone child in the last node of a level, the held node lends it its last child, so no non-root
 * branch is written without a key (the structural check requires ≥ 1 entry per page). A held
 * node was full, so it keeps ≥ 3 children (fanout ≥ 4, limits.pageFanoutMin).
 *
 * Separators are the full first key of each child (child i+1 holds keys ≥ key i), the same
 * invariant the tree code and the check use.
 *
 * Encrypted sources (header flag bit 1): the caller passes the source's unlocked keys. The new
 * file keeps the source's encryption area (KDF id, cost, salt: the same key or passphrase opens
 * it, and the same master key yields the same subkeys) except the key verifier, which is bound
 * to the file id and is recomputed for the new id. Every page is sealed under the pages subkey
 * with the NEW file id in its additional data (docs/format.md "Sealed page"), so the file id is
 * drawn when the builder is made, before the first page is written. An encrypted file always
 * gets a page-version map (header flag bit 2, page-versions.ts), also from a source without one:
 * page 1 is its empty root, sealed with the header's commit seq; every other page has version 0.
 *
 * Lifetime: the builder owns the file handle's write positions until `finish`; the caller fsyncs,
 * closes and renames the file. Keys passed to `add` are kept (not copied) until `finish`.
 */
import { randomBytes } from 'node:crypto';
import { assert } from '../assert.js';
import { ioError } from '../errors.js';
import { pageHeaderBytes } from '../limits.js';
import { inlineValueBytesMax, storeValue } from './btree/values.js';
import type { TreeWriter } from './btree/tree-access.js';
import { computeVerifier, decodeEncryptionArea, encodeEncryptionArea } from './crypto/kdf.js';
import type { EncryptionKeys } from './crypto/kdf.js';
import { PageCipher } from './crypto/seal.js';
import type { StorageFile } from './file.js';
import {
  encodeHeader, headerFlagEncrypted, headerFlagPageVersions, headerSlotOffsets,
} from './header.js';
import { emptyVersionRoot, versionRootPage } from './page-versions.js';
import type { FileHeader, FileIdentity } from './header.js';
import {
  BranchNode, LeafNode, branchEntryBytes, compareBytes, leafEntryBytes, pageTypeOverflow,
} from './page.js';
import type { OverflowPage, PageNode, StoredValue } from './page.js';
import { encodePage } from './page.js';

/** What the new file inherits from its source: everything fixed at creation but the file id. */
export type BulkBuildIdentity = Omit<FileIdentity, 'fileId'>;

/** The commit the new file's header records (the snapshot that was copied). */
export interface BulkBuildCommit {
  commitSeq: bigint;
  commitTimeMs: bigint;
}

/** What `finish` wrote. */
export interface BulkBuildResult {
  /** Pages in the file, page 0 included. */
  pageCount: number;
  rootPage: number;
  entries: number;
  /** The new file's random id (names its WAL and backups). */
  fileId: Uint8Array;
  /** File length in bytes (pageCount × pageSize). */
  bytes: number;
}

interface Child {
  minKey: Uint8Array;
  pageNo: number;
}

interface Level {
  cur: Child[];
  curBytes: number;
  held: Child[] | null;
  written: number;
}

/** Pages per sequential write: 64 pages of 4 KiB = 256 KiB per write call. */
const runPagesMax = 64;

/**
 * Collects consecutive page images into one buffer so that the mostly sequential output is
 * written in large calls.
 */
class PageRunWriter {
  private readonly buf: Uint8Array;
  private readonly dv: DataView;
  private runStart = 0;
  private runPages = 0;
  /** Plaintext page of an encrypted build (usable bytes), sealed into `buf`. */
  private readonly plain: Uint8Array;
  private readonly plainView: DataView;
  bytesWritten = 0;

  constructor(
    private readonly file: StorageFile,
    private readonly pageSize: number,
    private readonly usable: number,
    private readonly cipher: PageCipher | null,
  ) {
    this.buf = new Uint8Array(pageSize * runPagesMax);
    this.dv = new DataView(this.buf.buffer);
    this.plain = new Uint8Array(cipher === null ? 0 : usable);
    this.plainView = new DataView(this.plain.buffer);
  }

  put(pageNo: number, node: PageNode): void {
    if (this.runPages > 0 && (pageNo !== this.runStart + this.runPages ||
      this.runPages === runPagesMax)) {
      this.flush();
    }
    if (this.runPages === 0) this.runStart = pageNo;
    const base = this.runPages * this.pageSize;
    if (this.cipher === null) {
      encodePage(node, pageNo, this.buf, this.dv, base, this.usable);
      // The reserve at the end of the page (encryption) stays zero.
      this.buf.fill(0, base + this.usable, base + this.pageSize);
    } else {
      // Same plaintext as a checkpoint seals: the encoded page over its usable bytes.
      encodePage(node, pageNo, this.plain, this.plainView, 0, this.usable);
      const sealed = this.cipher.seal(this.plain, pageNo);
      assert(sealed.length === this.pageSize, 'a sealed page fills its page');
      this.buf.set(sealed, base);
    }
    this.runPages++;
  }

  flush(): void {
    if (this.runPages === 0) return;
    const bytes = this.runPages * this.pageSize;
    try {
      this.file.write(this.buf.subarray(0, bytes), this.runStart * this.pageSize);
    } catch (err) {
      throw ioError('compaction write', this.file.path, err);
    }
    this.bytesWritten += bytes;
    this.runPages = 0;
  }
}

/** Builds a packed B+ tree file; see the module comment. */
export class BulkBuilder implements TreeWriter {
  readonly usable: number;
  rootPage = 0;
  private readonly inlineMax: number;
  private readonly out: PageRunWriter;
  private nextPage = 1;
  private leafKeys: Uint8Array[] = [];
  private leafVals: StoredValue[] = [];
  private leafBytes = pageHeaderBytes;
  private readonly levels: Level[] = [];
  /** Overflow pages created by storeValue during the current `add`. */
  private readonly overflow = new Map<number, OverflowPage>();
  private lastKey: Uint8Array | null = null;
  private entryCount = 0;
  private finished = false;
  /** The new file's random id, drawn up front: sealed pages bind it in their additional data. */
  private readonly fileId = new Uint8Array(randomBytes(16));
  /** The header's encryption area (source's, with the verifier for the new id). */
  private readonly encryption: Uint8Array;
  private readonly identity: BulkBuildIdentity;
  private readonly keys: EncryptionKeys | null;

  /**
   * `keys`: the unlocked keys of an encrypted source (required exactly when `identity` has the
   * encrypted flag); the new file is sealed under them.
   */
  constructor(
    private readonly file: StorageFile,
    source: BulkBuildIdentity,
    keys: EncryptionKeys | null = null,
  ) {
    this.usable = source.pageSize - source.reserveBytes;
    this.inlineMax = inlineValueBytesMax(this.usable);
    const encrypted = (source.flags & headerFlagEncrypted) !== 0;
    assert(encrypted === (keys !== null), 'bulk build keys must match the encryption flag');
    const identity = encrypted
      ? { ...source, flags: source.flags | headerFlagPageVersions } : source;
    this.identity = identity;
    this.keys = keys;
    let cipher: PageCipher | null = null;
    this.encryption = identity.encryption;
    if (keys !== null) {
      this.nextPage = versionRootPage + 1;
      const params = decodeEncryptionArea(identity.encryption, file.path);
      params.verifier = computeVerifier(keys, this.fileId);
      this.encryption = encodeEncryptionArea(params);
      cipher = new PageCipher(keys, { ...identity, fileId: this.fileId }, identity.pageSize);
    }
    this.out = new PageRunWriter(file, identity.pageSize, this.usable, cipher);
  }

  /** Entries added so far. */
  get entries(): number {
    return this.entryCount;
  }

  /** Bytes of pages written so far (page 0 excluded). */
  get bytesWritten(): number {
    return this.out.bytesWritten;
  }

  /** Appends one entry; `key` must sort after the previous key. `value` is encoded (copied). */
  add(key: Uint8Array, value: Uint8Array): void {
    assert(!this.finished, 'bulk builder already finished');
    assert(this.lastKey === null || compareBytes(this.lastKey, key) < 0,
      'bulk builder keys must strictly increase');
    const stored = storeValue(this, value, this.inlineMax);
    this.writeOverflowPages();
    const bytes = leafEntryBytes(key, stored);
    if (this.leafKeys.length > 0 && this.leafBytes + bytes > this.usable) this.flushLeaf();
    this.leafKeys.push(key);
    this.leafVals.push(stored);
    this.leafBytes += bytes;
    this.lastKey = key;
    this.entryCount++;
  }

  /**
   * Writes the remaining pages and the header (slot 0) for `commit`. Does not fsync: the caller
   * syncs the file before publishing it.
   */
  finish(commit: BulkBuildCommit): BulkBuildResult {
    assert(!this.finished, 'bulk builder already finished');
    this.finished = true;
    if (this.leafKeys.length > 0) this.flushLeaf();
    this.rootPage = this.finishLevels();
    this.out.flush();
    const fileId = this.fileId;
    const header: FileHeader = {
      ...this.identity, encryption: this.encryption, fileId, ...commit, rootPage: this.rootPage,
      pageCount: this.nextPage, freelistHead: 0, freelistCount: 0, headerSeq: 1n,
    };
    const page0 = new Uint8Array(this.identity.pageSize);
    page0.set(encodeHeader(header, this.keys?.subkey('header') ?? null), headerSlotOffsets[0]);
    const bytes = this.nextPage * this.identity.pageSize;
    try {
      this.file.write(page0, 0);
      if (this.keys !== null) {
        const root = emptyVersionRoot({ ...this.identity, fileId }, this.keys,
          Number(commit.commitSeq));
        this.file.write(root, versionRootPage * this.identity.pageSize);
      }
      if (this.file.size() !== bytes) this.file.truncate(bytes);
    } catch (err) {
      throw ioError('compaction header write', this.file.path, err);
    }
    return { pageCount: this.nextPage, rootPage: this.rootPage, entries: this.entryCount, fileId,
      bytes };
  }

  // TreeWriter, for storeValue: only overflow pages are ever created through it.

  read(pageNo: number): PageNode {
    const page = this.overflow.get(pageNo);
    assert(page !== undefined, 'bulk builder reads only its pending overflow pages');
    return page;
  }

  write(pageNo: number): PageNode {
    return this.read(pageNo);
  }

  create(node: PageNode): number {
    assert(node.type === pageTypeOverflow, 'bulk builder creates overflow pages only');
    const pageNo = this.allocate();
    this.overflow.set(pageNo, node);
    return pageNo;
  }

  free(): void {
    assert(false, 'bulk builder never frees pages');
  }

  private allocate(): number {
    // Page numbers are u32 on disk; a file this large cannot come from a valid source.
    assert(this.nextPage < 0xffff_ffff, 'bulk build exceeds the page count limit');
    return this.nextPage++;
  }

  private writeOverflowPages(): void {
    for (const [pageNo, page] of this.overflow) this.out.put(pageNo, page);
    this.overflow.clear();
  }

  private flushLeaf(): void {
    const pageNo = this.allocate();
    const leaf = new LeafNode(this.leafKeys, this.leafVals, this.leafBytes);
    this.out.put(pageNo, leaf);
    const minKey = this.leafKeys[0]!;
    this.leafKeys = [];
    this.leafVals = [];
    this.leafBytes = pageHeaderBytes;
    this.pushChild(0, { minKey, pageNo });
  }

  private level(i: number): Level {
    let level = this.levels[i];
    if (level === undefined) {
      level = { cur: [], curBytes: pageHeaderBytes + 4, held: null, written: 0 };
      this.levels[i] = level;
    }
    return level;
  }

  /** Adds a finished child page to the branch being built at level `i` (0 = above leaves). */
  private pushChild(i: number, child: Child): void {
    const level = this.level(i);
    const bytes = branchEntryBytes(child.minKey);
    if (level.cur.length > 0 && level.curBytes + bytes > this.usable) {
      if (level.held !== null) this.writeBranch(i, level.held);
      level.held = level.cur;
      level.cur = [];
      level.curBytes = pageHeaderBytes + 4;
    }
    if (level.cur.length > 0) level.curBytes += bytes;
    level.cur.push(child);
    if (level.held !== null && level.cur.length >= 2) {
      this.writeBranch(i, level.held);
      level.held = null;
    }
  }

  private writeBranch(i: number, children: Child[]): void {
    assert(children.length >= 2, 'a written branch has at least one key');
    const keys = children.slice(1).map((c) => c.minKey);
    const bytes = pageHeaderBytes + 4 + keys.reduce((n, k) => n + branchEntryBytes(k), 0);
    const node = new BranchNode(keys, children.map((c) => c.pageNo), bytes);
    const pageNo = this.allocate();
    this.out.put(pageNo, node);
    this.level(i).written++;
    this.pushChild(i + 1, { minKey: children[0]!.minKey, pageNo });
  }

  /** Closes every level bottom-up; returns the root page (0 for an empty tree). */
  private finishLevels(): number {
    for (let i = 0; i < this.levels.length; i++) {
      const level = this.levels[i]!;
      if (level.held === null && level.written === 0 && level.cur.length === 1) {
        return level.cur[0]!.pageNo;
      }
      if (level.held !== null) {
        // The last node has a lone child (else the held node would have been written): borrow.
        level.cur.unshift(level.held.pop()!);
        this.writeBranch(i, level.held);
        level.held = null;
      }
      this.writeBranch(i, level.cur);
      level.cur = [];
    }
    return 0;
  }
}
