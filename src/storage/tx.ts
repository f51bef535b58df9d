/**
 * Store transactions over tree keys (internal byte keys; the public API namespaces them).
 *
 * A `StoreReadTx` reads the durable view. A `StoreWriteTx` reads the latest view through its own
 * dirty pages; the first write to a page clones it (cached nodes are never mutated). Both are valid
 * only inside their synchronous callback: every call after it returned throws TxClosed.
 */
import { hexxlaError } from '../errors.js';
import { copyBytes } from './bytes.js';
import type { CommitState } from './header.js';
import { Cursor } from './btree/cursor.js';
import { treeDelete, treePut } from './btree/modify.js';
import { findLeaf, lookup, lookupFrozen } from './btree/search.js';
import type { TreeReader, TreeWriter } from './btree/tree-access.js';
import { freeValue, loadValue, loadValueOf, storeValueBorrowed } from './btree/values.js';
import type { Freelist } from './freelist.js';
import {
  FreelistPage, OverflowPage, compareBytes, pageTypeBranch, pageTypeLeaf, pageTypeOverflow,
  pageTypeVersions,
} from './page.js';
import type { PageNode } from './page.js';
import { pageCountMax } from '../limits.js';

/** Options of a range scan. Keys are compared bytewise. */
export interface RangeOptions {
  /** Inclusive lower bound (default: the first key). */
  start?: Uint8Array;
  /** Exclusive upper bound (default: past the last key). */
  end?: Uint8Array;
  /** Iterate from the end backwards (default false). */
  reverse?: boolean;
  /** Stop after this many entries (default unbounded). */
  limit?: number;
}

export type Entry = [key: Uint8Array, value: Uint8Array];

/** How the store lets a transaction see pages. */
export interface TxHost {
  readonly usable: number;
  readonly inlineMax: number;
  /** `version`: what a page-version node must have been sealed with (its parent's entry). */
  readDurable(pageNo: number, version?: number): PageNode;
  readLatest(pageNo: number, version?: number): PageNode;
  readonly freelist: Freelist;
  readonly path: string;
}

abstract class BaseTx implements TreeReader {
  protected open = true;
  /** Bumped by every write, so iterators know to re-seek. */
  modCount = 0;

  constructor(
    protected readonly host: TxHost,
    public rootPage: number,
  ) {}

  get usable(): number {
    return this.host.usable;
  }

  abstract read(pageNo: number): PageNode;

  /** Marks the transaction finished; later calls throw TxClosed. */
  close(): void {
    this.open = false;
  }

  protected assertOpen(): void {
    if (!this.open) {
      throw hexxlaError('TxClosed', 'the transaction has ended (its callback returned)');
    }
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.assertOpen();
    const v = lookup(this, key);
    return v === undefined ? undefined : loadValue(this, v);
  }

  has(key: Uint8Array): boolean {
    this.assertOpen();
    return lookup(this, key) !== undefined;
  }

  /** Entries in key order (or reverse). Keys and values are fresh copies. */
  *range(opts: RangeOptions = {}): Generator<Entry> {
    this.assertOpen();
    const limit = opts.limit ?? Infinity;
    let cursor = this.seekStart(opts);
    let mod = this.modCount;
    for (let n = 0; n < limit && cursor.valid; n++) {
      if (opts.reverse === true) {
        if (opts.start !== undefined && cursor.compareKey(opts.start) < 0) return;
      } else if (opts.end !== undefined && cursor.compareKey(opts.end) >= 0) {
        return;
      }
      const entry: Entry = [cursor.copyKey(), cursor.loadValue()];
      yield entry;
      this.assertOpen();
      if (this.modCount !== mod) {
        mod = this.modCount;
        cursor = new Cursor(this);
        if (opts.reverse === true) cursor.seekLT(entry[0]);
        else cursor.seekGT(entry[0]);
      } else if (opts.reverse === true) {
        cursor.prev();
      } else {
        cursor.next();
      }
    }
  }

  private seekStart(opts: RangeOptions): Cursor {
    const cursor = new Cursor(this);
    if (opts.reverse === true) {
      if (opts.end !== undefined) cursor.seekLT(opts.end);
      else cursor.last();
    } else if (opts.start !== undefined) {
      cursor.seekGE(opts.start);
    } else {
      cursor.first();
    }
    return cursor;
  }
}

export class StoreReadTx extends BaseTx {
  read(pageNo: number): PageNode {
    return this.host.readDurable(pageNo);
  }

  /** Page-version node `pageNo`, which its parent says was written at `version`. */
  readVersionNode(pageNo: number, version: number): PageNode {
    this.assertOpen();
    return this.host.readDurable(pageNo, version);
  }

  // Durable pages never change (writers clone them), so lookups may index them (lookupFrozen).
  override get(key: Uint8Array): Uint8Array | undefined {
    this.assertOpen();
    const leaf = findLeaf(this, key, true);
    return leaf === null ? undefined : loadValueOf(this, leaf, key);
  }

  override has(key: Uint8Array): boolean {
    this.assertOpen();
    return lookupFrozen(this, key) !== undefined;
  }
}

export class StoreWriteTx extends BaseTx implements TreeWriter {
  readonly dirty = new Map<number, PageNode>();
  freelistTouched = false;

  constructor(
    host: TxHost,
    readonly state: CommitState,
  ) {
    super(host, state.rootPage);
  }

  read(pageNo: number): PageNode {
    return this.dirty.get(pageNo) ?? this.host.readLatest(pageNo);
  }

  committed(pageNo: number): boolean {
    return !this.dirty.has(pageNo);
  }

  write(pageNo: number): PageNode {
    const mine = this.dirty.get(pageNo);
    if (mine !== undefined) return mine;
    const node = cloneNode(this.host.readLatest(pageNo));
    this.dirty.set(pageNo, node);
    return node;
  }

  /** The writable copy of page-version node `pageNo` (see page-versions.ts stampVersions). */
  writeVersionNode(pageNo: number, version: number): PageNode {
    const mine = this.dirty.get(pageNo);
    if (mine !== undefined) return mine;
    const node = cloneNode(this.host.readLatest(pageNo, version));
    this.dirty.set(pageNo, node);
    return node;
  }

  create(node: PageNode): number {
    this.freelistTouched = true;
    const pageNo = this.host.freelist.pop() ?? this.extend();
    this.dirty.set(pageNo, node);
    return pageNo;
  }

  free(pageNo: number): void {
    this.freelistTouched = true;
    this.dirty.delete(pageNo);
    this.host.freelist.push(pageNo);
  }

  /** Allocates a fresh page at the end of the file. */
  extend(): number {
    if (this.state.pageCount >= pageCountMax) {
      throw hexxlaError('InvalidArgument', 'the database reached its maximum page count',
        { path: this.host.path });
    }
    return this.state.pageCount++;
  }

  putDirty(pageNo: number, node: PageNode): void {
    this.dirty.set(pageNo, node);
  }

  /** Stores `value` under `key`; both are copied. */
  put(key: Uint8Array, value: Uint8Array): void {
    this.putOwnedKey(copyBytes(key), value);
  }

  /**
   * Like put, but takes ownership of `key` (the caller built it and never changes it again),
   * saving a copy on the hot path. `value` is still copied.
   */
  putOwnedKey(key: Uint8Array, value: Uint8Array): void {
    this.assertOpen();
    const stored = storeValueBorrowed(this, value, this.host.inlineMax);
    const old = treePut(this, key, stored);
    if (old !== undefined) freeValue(this, old);
    this.state.rootPage = this.rootPage;
    this.modCount++;
  }

  delete(key: Uint8Array): boolean {
    this.assertOpen();
    const old = treeDelete(this, key);
    if (old === undefined) return false;
    freeValue(this, old);
    this.state.rootPage = this.rootPage;
    this.modCount++;
    return true;
  }
}

function cloneNode(node: PageNode): PageNode {
  switch (node.type) {
    case pageTypeLeaf:
    case pageTypeBranch:
    case pageTypeVersions:
      return node.clone();
    case pageTypeOverflow:
      return new OverflowPage(node.next, node.data);
    default:
      return new FreelistPage(node.next, node.ids.slice());
  }
}
