/** Binary searches over sorted key arrays and point lookup in the tree. */
import { hexxlaError } from '../../errors.js';
import { treeDepthMax } from '../../limits.js';
import { compareBytes, pageTypeBranch, pageTypeLeaf } from '../page.js';
import type { LeafNode, StoredValue } from '../page.js';
import { KeyIndex } from '../key-index.js';
import type { TreeReader } from './tree-access.js';

/** First index whose key is ≥ `key` (keys.length when none). */
export function lowerBound(keys: Uint8Array[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is > `key`: the child of a branch that may hold `key`. */
export function upperBound(keys: Uint8Array[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(keys[mid]!, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The leaf that holds or would hold `key`, or null for an empty tree. */
export function findLeaf(t: TreeReader, key: Uint8Array): LeafNode | null {
  let pageNo = t.rootPage;
  if (pageNo === 0) return null;
  for (let depth = 0; depth < treeDepthMax; depth++) {
    const node = t.read(pageNo);
    if (node.type === pageTypeLeaf) return node;
    if (node.type !== pageTypeBranch) throw treeCorrupt(`page ${pageNo} is not a tree page`);
    pageNo = node.children[upperBound(node.keys, key)]!;
  }
  throw treeCorrupt('tree deeper than the depth limit: cycle in page links');
}

/** The error for a tree whose page links are inconsistent. */
export function treeCorrupt(what: string): Error {
  return hexxlaError('CorruptDatabase', `B+ tree: ${what}`);
}

/** The stored value of `key`, or undefined. */
export function lookup(t: TreeReader, key: Uint8Array): StoredValue | undefined {
  const leaf = findLeaf(t, key);
  return leaf === null ? undefined : leaf.find(key);
}

/**
 * `findLeaf` for a read-only view, whose pages are all committed and never change again: searches
 * each branch through a KeyIndex (its keys copied into one buffer) built on first use, instead
 * of its array of small key objects. Leaves (packed once committed) search their page buffer.
 */
export function findLeafFrozen(t: TreeReader, key: Uint8Array): LeafNode | null {
  let pageNo = t.rootPage;
  if (pageNo === 0) return null;
  for (let depth = 0; depth < treeDepthMax; depth++) {
    const node = t.read(pageNo);
    if (node.type === pageTypeLeaf) return node;
    if (node.type !== pageTypeBranch) throw treeCorrupt(`page ${pageNo} is not a tree page`);
    node.index ??= KeyIndex.of(node.keys);
    pageNo = node.children[node.index.upperBound(key)]!;
  }
  throw treeCorrupt('tree deeper than the depth limit: cycle in page links');
}

/** `lookup` for a read-only view (see findLeafFrozen). */
export function lookupFrozen(t: TreeReader, key: Uint8Array): StoredValue | undefined {
  const leaf = findLeafFrozen(t, key);
  return leaf === null ? undefined : leaf.find(key);
}
