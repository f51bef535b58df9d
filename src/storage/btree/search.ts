/** Binary searches over sorted key arrays and point lookup in the tree. */
import { hexxlaError } from '../../errors.js';
import { treeDepthMax } from '../../limits.js';
import { pageTypeBranch, pageTypeLeaf } from '../page.js';
import type { LeafNode, StoredValue } from '../page.js';
import { KeyIndex } from '../key-index.js';
import { lowerBound, upperBound } from '../leaf-node.js';
import type { TreeReader } from './tree-access.js';

// The binary searches over key arrays live beside compareKeys (leaf-node.ts), which a leaf's
// own search uses too; they are part of this module's interface.
export { lowerBound, upperBound };

/**
 * The leaf that holds or would hold `key`, or null for an empty tree. `frozen`: every page is
 * committed and never changes again (a read-only view), so each branch is searched through a
 * KeyIndex (its keys copied into one buffer) built on first use instead of its array of small
 * key objects. Leaves (packed once committed) search their page buffer either way.
 */
export function findLeaf(t: TreeReader, key: Uint8Array, frozen = false): LeafNode | null {
  let pageNo = t.rootPage;
  if (pageNo === 0) return null;
  for (let depth = 0; depth < treeDepthMax; depth++) {
    const node = t.read(pageNo);
    if (node.type === pageTypeLeaf) return node;
    if (node.type !== pageTypeBranch) throw treeCorrupt(`page ${pageNo} is not a tree page`);
    pageNo = node.children[frozen ? (node.index ??= KeyIndex.of(node.keys)).upperBound(key)
      : upperBound(node.keys, key)]!;
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

/** `lookup` for a read-only view (findLeaf with `frozen`). */
export function lookupFrozen(t: TreeReader, key: Uint8Array): StoredValue | undefined {
  const leaf = findLeaf(t, key, true);
  return leaf === null ? undefined : leaf.find(key);
}
