/**
 * What the B+ tree algorithms need from a transaction: page reads in the transaction's view,
 * copy-on-first-write of pages, allocation and freeing. Implemented by the read and write
 * transactions of the store; the tree code itself holds no state.
 */
import type { PageNode } from '../page.js';

export interface TreeReader {
  /** Usable bytes per page (page size minus encryption reserve). */
  readonly usable: number;
  /** Root page of the tree, 0 when empty. */
  readonly rootPage: number;
  /** The node of `pageNo` as this transaction sees it. Never mutate the result. */
  read(pageNo: number): PageNode;
}

export interface TreeWriter extends TreeReader {
  rootPage: number;
  /**
   * Whether `pageNo` is committed as `read` sees it (not dirty in this transaction), so its node
   * never changes again and may carry a search index. Absent: treat every page as changing.
   */
  committed?(pageNo: number): boolean;
  /** A private, mutable copy of `pageNo` registered as dirty in this transaction. */
  write(pageNo: number): PageNode;
  /** Allocates a page for `node` (registered dirty) and returns its number. */
  create(node: PageNode): number;
  /** Returns `pageNo` to the freelist. */
  free(pageNo: number): void;
}
