/**
 * B+ tree mutations: insert/replace with splits, delete with merge or redistribution.
 *
 * Invariants kept (checked by check.ts):
 * - every page's encoded size ≤ usable bytes; every non-root page ≥ 1 entry;
 * - keys strictly increase within a page and across the tree; branch key i separates child i
 *   (keys < key i) from child i+1 (keys ≥ key i);
 * - an entry is at most a quarter of a page, so any split of an over-full page into two halves by
 *   bytes yields two pages that fit (see limits.pageFanoutMin).
 * Splits keep the left half on the original page; a page that overflows because an entry was
 * appended at its end (sequential inserts) splits just before that entry, leaving the left page
 * full.
 */
import { pageHeaderBytes, treeDepthMax } from '../../limits.js';
import {
  BranchNode, LeafNode, branchEntryBytes, compareBytes, leafEntryBytes, pageTypeBranch,
  pageTypeLeaf, valuePartBytes,
} from '../page.js';
import type { StoredValue } from '../page.js';
import { lowerBound, treeCorrupt, upperBound } from './search.js';
import { copyBytes } from '../bytes.js';
import { KeyIndex } from '../key-index.js';
import type { TreeWriter } from './tree-access.js';

interface PathStep {
  pageNo: number;
  /** Index of the child taken in this branch. */
  idx: number;
}

/** Descends to the leaf for `key`, recording the branch path. */
function descend(t: TreeWriter, key: Uint8Array): { path: PathStep[]; leafNo: number } {
  const path: PathStep[] = [];
  let pageNo = t.rootPage;
  for (;;) {
    const node = t.read(pageNo);
    if (node.type === pageTypeLeaf) return { path, leafNo: pageNo };
    if (node.type !== pageTypeBranch || path.length >= treeDepthMax) {
      throw treeCorrupt(`bad page ${pageNo} on the path to a key`);
    }
    // A committed branch never changes (write clones it, without the index): search its KeyIndex.
    const idx = t.committed?.(pageNo) === true
      ? (node.index ??= KeyIndex.of(node.keys)).upperBound(key) : upperBound(node.keys, key);
    path.push({ pageNo, idx });
    pageNo = node.children[idx]!;
  }
}

/**
 * Inserts or replaces `key`; returns the replaced value (so its overflow pages can be freed).
 * `val`'s inline bytes may be borrowed (storeValueBorrowed): they are copied here.
 */
export function treePut(t: TreeWriter, key: Uint8Array, val: StoredValue): StoredValue | undefined {
  if (t.rootPage === 0) {
    val = val.owned();
    t.rootPage = t.create(new LeafNode([key], [val], pageHeaderBytes + leafEntryBytes(key, val)));
    return undefined;
  }
  const { path, leafNo } = descend(t, key);
  const leaf = t.write(leafNo) as LeafNode;
  if (leaf.isPacked) {
    // Common case: the entry fits, so the page bytes change in place (no arrays, no re-encode).
    const replaced = leaf.putPacked(key, val, t.usable);
    if (replaced !== null) return replaced;
    // Full: split the bytes (no unpacking), then put again into the half that now has room.
    splitPackedLeaf(t, path, leafNo, leaf, key);
    return treePut(t, key, val);
  }
  val = val.owned();
  const i = lowerBound(leaf.keys, key);
  let old: StoredValue | undefined;
  if (i < leaf.keys.length && compareBytes(leaf.keys[i]!, key) === 0) {
    old = leaf.vals[i]!;
    leaf.vals[i] = val;
    leaf.bytes += valuePartBytes(val) - valuePartBytes(old);
  } else {
    leaf.keys.splice(i, 0, key);
    leaf.vals.splice(i, 0, val);
    leaf.bytes += leafEntryBytes(key, val);
  }
  if (leaf.bytes > t.usable) splitLeaf(t, path, leafNo, leaf, i);
  return old;
}

function leafBytes(keys: Uint8Array[], vals: StoredValue[]): number {
  let bytes = pageHeaderBytes;
  for (let i = 0; i < keys.length; i++) bytes += leafEntryBytes(keys[i]!, vals[i]!);
  return bytes;
}

function branchBytes(keys: Uint8Array[]): number {
  let bytes = pageHeaderBytes + 4;
  for (const k of keys) bytes += branchEntryBytes(k);
  return bytes;
}

/** Index at which the cumulative size first reaches half the total (clamped to [lo, hi]). */
function midpoint(sizes: number[], lo: number, hi: number): number {
  let total = 0;
  for (const s of sizes) total += s;
  let acc = 0;
  for (let i = 0; i < sizes.length; i++) {
    acc += sizes[i]!;
    if (acc >= total / 2) return Math.min(Math.max(i + 1, lo), hi);
  }
  return hi;
}

/**
 * Splits a full packed leaf before `key` goes in, with splitLeaf's policy: an entry that would be
 * appended at the end goes alone to a new right page (sequential loads leave full pages), one
 * prepended at the start alone to the left, any other cut is at the byte midpoint. Every entry is
 * at most a quarter page, so the half that receives `key` has room for it afterwards.
 */
function splitPackedLeaf(
  t: TreeWriter, path: PathStep[], leafNo: number, leaf: LeafNode, key: Uint8Array,
): void {
  const n = leaf.packedCount;
  const at = leaf.packedSearch(key);
  const found = (at & 1) === 1;
  const i = at >>> 1;
  const cut = !found && i === n ? n : !found && i === 0 ? 0 : leaf.packedMidpoint();
  const right = leaf.splitPacked(cut);
  const sep = cut === n ? copyBytes(key) : right.packedKey(0);
  insertIntoParent(t, path, leafNo, sep, t.create(right));
}

function splitLeaf(t: TreeWriter, path: PathStep[], leafNo: number, leaf: LeafNode, at: number) {
  const n = leaf.keys.length;
  let cut: number;
  if (at === n - 1) cut = n - 1; // appended at the end: left keeps everything that fit before
  else if (at === 0) cut = 1; // prepended: the new entry goes alone to the left
  else cut = midpoint(leaf.keys.map((k, i) => leafEntryBytes(k, leaf.vals[i]!)), 1, n - 1);
  const rightKeys = leaf.keys.splice(cut);
  const rightVals = leaf.vals.splice(cut);
  leaf.bytes = leafBytes(leaf.keys, leaf.vals);
  const right = new LeafNode(rightKeys, rightVals, leafBytes(rightKeys, rightVals));
  if (leaf.bytes > t.usable || right.bytes > t.usable) {
    // Only possible after a prepend/append cut with an oversized neighbour: fall back to bytes.
    leaf.keys.push(...right.keys.splice(0));
    leaf.vals.push(...right.vals.splice(0));
    return splitLeaf(t, path, leafNo, leaf, -1);
  }
  const rightNo = t.create(right);
  insertIntoParent(t, path, leafNo, rightKeys[0]!, rightNo);
}

function insertIntoParent(
  t: TreeWriter, path: PathStep[], leftNo: number, sep: Uint8Array, rightNo: number,
): void {
  const step = path.pop();
  if (step === undefined) {
    const keys = [sep];
    t.rootPage = t.create(new BranchNode(keys, [leftNo, rightNo], branchBytes(keys)));
    return;
  }
  const parent = t.write(step.pageNo) as BranchNode;
  parent.keys.splice(step.idx, 0, sep);
  parent.children.splice(step.idx + 1, 0, rightNo);
  parent.bytes += branchEntryBytes(sep);
  if (parent.bytes > t.usable) splitBranch(t, path, step.pageNo, parent);
}

function splitBranch(t: TreeWriter, path: PathStep[], pageNo: number, node: BranchNode): void {
  const n = node.keys.length;
  const m = midpoint(node.keys.map(branchEntryBytes), 1, n - 2);
  const up = node.keys[m]!;
  const rightKeys = node.keys.splice(m + 1);
  node.keys.length = m;
  const rightChildren = node.children.splice(m + 1);
  node.bytes = branchBytes(node.keys);
  const right = new BranchNode(rightKeys, rightChildren, branchBytes(rightKeys));
  const rightNo = t.create(right);
  insertIntoParent(t, path, pageNo, up, rightNo);
}

/** Deletes `key`; returns its value or undefined when absent (then nothing is written). */
export function treeDelete(t: TreeWriter, key: Uint8Array): StoredValue | undefined {
  if (t.rootPage === 0) return undefined;
  const { path, leafNo } = descend(t, key);
  const probe = t.read(leafNo) as LeafNode;
  const i = lowerBound(probe.keys, key);
  if (i >= probe.keys.length || compareBytes(probe.keys[i]!, key) !== 0) return undefined;
  const leaf = t.write(leafNo) as LeafNode;
  const old = leaf.vals[i]!;
  leaf.bytes -= leafEntryBytes(key, old);
  leaf.keys.splice(i, 1);
  leaf.vals.splice(i, 1);
  rebalance(t, path, leafNo, leaf);
  return old;
}

function rebalance(t: TreeWriter, path: PathStep[], pageNo: number, node: LeafNode | BranchNode) {
  if (path.length === 0) return collapseRoot(t, pageNo, node);
  if (node.bytes >= t.usable / 4 && node.keys.length > 0) return;
  const step = path.pop()!;
  const parent = t.write(step.pageNo) as BranchNode;
  const leftIdx = step.idx > 0 ? step.idx - 1 : 0;
  if (parent.children.length < 2) throw treeCorrupt(`branch ${step.pageNo} has one child`);
  const leftNo = parent.children[leftIdx]!;
  const rightNo = parent.children[leftIdx + 1]!;
  const left = t.write(leftNo) as LeafNode | BranchNode;
  const right = t.write(rightNo) as LeafNode | BranchNode;
  if (left.type !== right.type) throw treeCorrupt(`siblings ${leftNo}/${rightNo} differ in kind`);
  const sep = parent.keys[leftIdx]!;
  const merged = left.type === pageTypeLeaf
    ? left.bytes + right.bytes - pageHeaderBytes
    : left.bytes + right.bytes - pageHeaderBytes + 2 + sep.length;
  if (merged <= t.usable) {
    mergeInto(left, right, sep);
    parent.keys.splice(leftIdx, 1);
    parent.children.splice(leftIdx + 1, 1);
    parent.bytes -= branchEntryBytes(sep);
    t.free(rightNo);
  } else {
    const newSep = redistribute(left, right, sep);
    parent.keys[leftIdx] = newSep;
    parent.bytes += newSep.length - sep.length;
  }
  if (parent.bytes > t.usable) splitBranch(t, path, step.pageNo, parent);
  else rebalance(t, path, step.pageNo, parent);
}

function collapseRoot(t: TreeWriter, pageNo: number, node: LeafNode | BranchNode): void {
  if (node.keys.length > 0) return;
  if (node.type === pageTypeLeaf) {
    t.rootPage = 0;
  } else {
    t.rootPage = node.children[0]!;
  }
  t.free(pageNo);
}

function mergeInto(left: LeafNode | BranchNode, right: LeafNode | BranchNode, sep: Uint8Array) {
  if (left.type === pageTypeLeaf && right.type === pageTypeLeaf) {
    left.keys.push(...right.keys);
    left.vals.push(...right.vals);
    left.bytes = leafBytes(left.keys, left.vals);
  } else if (left.type === pageTypeBranch && right.type === pageTypeBranch) {
    left.keys.push(sep, ...right.keys);
    left.children.push(...right.children);
    left.bytes = branchBytes(left.keys);
  }
}

/** Evens out two siblings by bytes; returns the new separator between them. */
function redistribute(
  left: LeafNode | BranchNode, right: LeafNode | BranchNode, sep: Uint8Array,
): Uint8Array {
  if (left.type === pageTypeLeaf && right.type === pageTypeLeaf) {
    const keys = [...left.keys, ...right.keys];
    const vals = [...left.vals, ...right.vals];
    const cut = midpoint(keys.map((k, i) => leafEntryBytes(k, vals[i]!)), 1, keys.length - 1);
    left.keys = keys.slice(0, cut);
    left.vals = vals.slice(0, cut);
    right.keys = keys.slice(cut);
    right.vals = vals.slice(cut);
    left.bytes = leafBytes(left.keys, left.vals);
    right.bytes = leafBytes(right.keys, right.vals);
    return right.keys[0]!;
  }
  const l = left as BranchNode;
  const r = right as BranchNode;
  const keys = [...l.keys, sep, ...r.keys];
  const children = [...l.children, ...r.children];
  const m = midpoint(keys.map(branchEntryBytes), 1, keys.length - 2);
  l.keys = keys.slice(0, m);
  l.children = children.slice(0, m + 1);
  r.keys = keys.slice(m + 1);
  r.children = children.slice(m + 1);
  l.bytes = branchBytes(l.keys);
  r.bytes = branchBytes(r.keys);
  return keys[m]!;
}
