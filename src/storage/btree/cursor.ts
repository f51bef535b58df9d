/**
 * Ordered iteration over the tree with a stack of (branch, child index) from the root, so no
 * sibling links are needed on disk. Leaves are walked in the form they have: a packed leaf is read
 * in its page buffer, not unpacked into an object per entry. A cursor is only valid while the
 * tree does not change; the store's range iterator re-seeks after the last returned key when its
 * transaction wrote in between.
 */
import { treeDepthMax } from '../../limits.js';
import { pageTypeBranch, pageTypeLeaf } from '../page.js';
import type { BranchNode, LeafNode, StoredValue } from '../page.js';
import { lowerBound, treeCorrupt, upperBound } from './search.js';
import type { TreeReader } from './tree-access.js';
import { loadValueAt } from './values.js';

interface Frame {
  node: BranchNode;
  idx: number;
}

export class Cursor {
  private stack: Frame[] = [];
  private leaf: LeafNode | null = null;
  private idx = 0;

  constructor(private readonly t: TreeReader) {}

  /** True when positioned on an entry. */
  get valid(): boolean {
    return this.leaf !== null && this.idx >= 0 && this.idx < this.leaf.count;
  }

  /** The current key: a view, valid only until the cursor or the tree changes. */
  get key(): Uint8Array {
    return this.leaf!.keyAt(this.idx);
  }

  get value(): StoredValue {
    return this.leaf!.valueAt(this.idx);
  }

  /** Compares the current key with `key`. */
  compareKey(key: Uint8Array): number {
    return this.leaf!.compareKeyAt(this.idx, key);
  }

  /** A copy of the current key. */
  copyKey(): Uint8Array {
    return this.leaf!.copyKeyAt(this.idx);
  }

  /** The current value as a fresh copy. */
  loadValue(): Uint8Array {
    return loadValueAt(this.t, this.leaf!, this.idx);
  }

  /** Positions on the first key ≥ `key` (invalid when none). */
  seekGE(key: Uint8Array): void {
    if (!this.descend((n) => upperBound(n.keys, key))) return;
    this.idx = this.leaf!.lowerBound(key);
    if (this.idx >= this.leaf!.count) this.nextLeaf();
  }

  /** Positions on the first key > `key`. */
  seekGT(key: Uint8Array): void {
    this.seekGE(key);
    if (this.valid && this.compareKey(key) === 0) this.next();
  }

  /** Positions on the last key < `key`. */
  seekLT(key: Uint8Array): void {
    if (!this.descend((n) => lowerBound(n.keys, key))) return;
    this.idx = this.leaf!.lowerBound(key) - 1;
    if (this.idx < 0) this.prevLeaf();
  }

  first(): void {
    if (!this.descend(() => 0)) return;
    this.idx = 0;
    if (this.leaf!.count === 0) this.nextLeaf();
  }

  last(): void {
    if (!this.descend((n) => n.children.length - 1)) return;
    this.idx = this.leaf!.count - 1;
    if (this.idx < 0) this.prevLeaf();
  }

  next(): void {
    if (this.leaf === null) return;
    this.idx++;
    if (this.idx >= this.leaf.count) this.nextLeaf();
  }

  prev(): void {
    if (this.leaf === null) return;
    this.idx--;
    if (this.idx < 0) this.prevLeaf();
  }

  /** Walks from the root choosing children with `pick`; false for an empty tree. */
  private descend(pick: (n: BranchNode) => number): boolean {
    this.stack = [];
    this.leaf = null;
    let pageNo = this.t.rootPage;
    if (pageNo === 0) return false;
    for (;;) {
      const node = this.t.read(pageNo);
      if (node.type === pageTypeLeaf) {
        this.leaf = node;
        return true;
      }
      if (node.type !== pageTypeBranch || this.stack.length >= treeDepthMax) {
        throw treeCorrupt(`bad page ${pageNo} under a cursor`);
      }
      const idx = pick(node);
      this.stack.push({ node, idx });
      pageNo = node.children[idx]!;
    }
  }

  private nextLeaf(): void {
    for (;;) {
      let top = this.stack[this.stack.length - 1];
      while (top !== undefined && top.idx >= top.node.children.length - 1) {
        this.stack.pop();
        top = this.stack[this.stack.length - 1];
      }
      if (top === undefined) {
        this.leaf = null;
        return;
      }
      top.idx++;
      this.descendEdge(top.node.children[top.idx]!, true);
      if (this.leaf!.count > 0) return;
    }
  }

  private prevLeaf(): void {
    for (;;) {
      let top = this.stack[this.stack.length - 1];
      while (top !== undefined && top.idx <= 0) {
        this.stack.pop();
        top = this.stack[this.stack.length - 1];
      }
      if (top === undefined) {
        this.leaf = null;
        return;
      }
      top.idx--;
      this.descendEdge(top.node.children[top.idx]!, false);
      if (this.leaf!.count > 0) return;
    }
  }

  /** Descends to the leftmost (or rightmost) leaf under `pageNo`. */
  private descendEdge(pageNo: number, leftmost: boolean): void {
    for (;;) {
      const node = this.t.read(pageNo);
      if (node.type === pageTypeLeaf) {
        this.leaf = node;
        this.idx = leftmost ? 0 : node.count - 1;
        return;
      }
      if (node.type !== pageTypeBranch || this.stack.length >= treeDepthMax) {
        throw treeCorrupt(`bad page ${pageNo} under a cursor`);
      }
      const idx = leftmost ? 0 : node.children.length - 1;
      this.stack.push({ node, idx });
      pageNo = node.children[idx]!;
    }
  }
}
