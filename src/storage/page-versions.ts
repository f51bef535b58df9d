/**
 * The page-version map of an encrypted database (header flag bit 2; docs/format.md "Page
 * versions"): why and how an old copy of a page is detected.
 *
 * AES-GCM with the page number in the additional data stops a page from being moved, swapped or
 * copied from another file, but an *older image of the same page* was sealed under the same key
 * and additional data, so it would verify. Every primary page is therefore sealed with its
 * *version* in the additional data too: the seq of the commit that last wrote it. A reader must
 * know the version it expects, so the versions live in a radix tree of version nodes rooted at
 * page 1, and each inner entry holds the version of its child node as well: a Merkle-style chain
 * of versions from the root to every page. The root's own version is the commit seq of the state
 * it belongs to (every commit rewrites the root), which the header (primary) or the WAL commit
 * frame (log) records. An old copy of any page, version node or root fails its tag.
 *
 * Pages never written since the file was created or rebuilt (compaction, bulk build) have no
 * entry: their version is 0. A version node's version is held by its parent only (its own page
 * number has no leaf entry, which would dirty a second leaf per commit): version nodes are always
 * read with the version their parent names (`readVersionNode`), never looked up by number.
 *
 * Images in the WAL are not looked up here: a frame's additional data binds the log generation's
 * salts and its frame index, so an older frame cannot stand in for a newer one.
 */
import { hexxlaError } from '../errors.js';
import { PageCipher } from './crypto/seal.js';
import type { EncryptionKeys } from './crypto/kdf.js';
import type { FileIdentity } from './header.js';
import { encodePage } from './page.js';
import type { PageNode } from './page.js';
import {
  VersionNode, pageTypeVersions, versionInnerCapacity, versionLeafCapacity,
} from './version-node.js';

/** Page 1 holds the root of the map in a versioned database. */
export const versionRootPage = 1;

/** Fan-outs of the map for pages of `usable` bytes. */
export interface VersionGeometry {
  readonly usable: number;
  readonly leafCap: number;
  readonly innerCap: number;
}

export function versionGeometry(usable: number): VersionGeometry {
  return { usable, leafCap: versionLeafCapacity(usable), innerCap: versionInnerCapacity(usable) };
}

/** Pages covered by a root of `level`. */
function capacity(geo: VersionGeometry, level: number): number {
  return geo.innerCap ** level * geo.leafCap;
}

/** The child slot at `level` on the path to leaf number `leafIdx`. */
function digit(geo: VersionGeometry, leafIdx: number, level: number): number {
  return Math.floor(leafIdx / geo.innerCap ** (level - 1)) % geo.innerCap;
}

function asVersionNode(node: PageNode, pageNo: number, path: string, level?: number): VersionNode {
  if (node.type !== pageTypeVersions || (level !== undefined && node.level !== level) ||
    (node.level === 0) !== (node.children === null)) {
    throw hexxlaError('CorruptDatabase', `page ${pageNo} is not the page-version node the map ` +
      'expects there', { path, page: pageNo });
  }
  return node;
}

/** Loads page `pageNo`, expected to be sealed with `version`. */
export type VersionedLoad = (pageNo: number, version: number) => PageNode;

/**
 * The version page `pageNo` must have been sealed with, in the state whose root version is
 * `rootSeq`. Reads only version nodes (through `load`, each with its parent's version).
 */
export function lookupVersion(
  geo: VersionGeometry, pageNo: number, rootSeq: number, load: VersionedLoad, path: string,
): number {
  if (pageNo === versionRootPage) return rootSeq;
  let node = asVersionNode(load(versionRootPage, rootSeq), versionRootPage, path);
  if (node.level === 0 || pageNo >= capacity(geo, node.level)) return 0;
  const leafIdx = Math.floor(pageNo / geo.leafCap);
  for (let level = node.level; level >= 1; level--) {
    const d = digit(geo, leafIdx, level);
    const child = node.children![d]!;
    if (child === 0) return 0;
    node = asVersionNode(load(child, node.versions[d]!), child, path, level - 1);
  }
  return node.versions[pageNo % geo.leafCap]!;
}

/** What stamping needs of a write transaction. */
export interface VersionStamper {
  readonly dirty: Map<number, PageNode>;
  /** The transaction's writable copy of version node `pageNo`, last written at `version`. */
  writeVersionNode(pageNo: number, version: number): PageNode;
  putDirty(pageNo: number, node: PageNode): void;
  /** A fresh page at the end of the file (version nodes never come from the freelist). */
  extend(): number;
}

/**
 * Records `seq` as the version of every page the transaction dirtied, and of the version nodes
 * this dirties in turn (in their parents). Runs last in a commit, after the freelist was
 * persisted, so every page the commit writes is covered.
 */
export function stampVersions(
  tx: VersionStamper, geo: VersionGeometry, seq: number, rootSeq: number, path: string,
): void {
  const pages = [...tx.dirty.keys()];
  const root = asVersionNode(tx.writeVersionNode(versionRootPage, rootSeq), versionRootPage, path);
  for (const pageNo of pages) stampPage(tx, geo, root, pageNo, seq, path);
}

function stampPage(
  tx: VersionStamper, geo: VersionGeometry, root: VersionNode, pageNo: number, seq: number,
  path: string,
): void {
  while (pageNo >= capacity(geo, root.level)) growRoot(tx, geo, root, seq);
  const leafIdx = Math.floor(pageNo / geo.leafCap);
  let node = root;
  for (let level = root.level; level >= 1; level--) {
    const d = digit(geo, leafIdx, level);
    let child = node.children![d]!;
    let next: VersionNode;
    if (child === 0) {
      child = tx.extend();
      next = VersionNode.empty(level - 1, geo.usable);
      tx.putDirty(child, next);
      node.children![d] = child;
    } else {
      next = asVersionNode(tx.writeVersionNode(child, node.versions[d]!), child, path, level - 1);
    }
    node.versions[d] = seq;
    node = next;
  }
  node.versions[pageNo % geo.leafCap] = seq;
}

/** Adds a level: the root's entries move to a new node, which becomes the root's first child. */
function growRoot(tx: VersionStamper, geo: VersionGeometry, root: VersionNode, seq: number): void {
  const moved = root.clone();
  const pageNo = tx.extend();
  tx.putDirty(pageNo, moved);
  root.children!.fill(0);
  root.versions.fill(0);
  root.children![0] = pageNo;
  root.versions[0] = seq;
  root.level++;
}

/** A version node met by `walkVersionNodes`, with the version its parent records for it. */
export interface VersionNodeVisit {
  pageNo: number;
  version: number;
  node: VersionNode;
  /** The inner node that points here (0 for the root). */
  parent: number;
  /** First page number of the range it covers. */
  firstPage: number;
}

/**
 * Visits every version node depth-first (the root first). `visit` returns false to skip a
 * node's children (e.g. a page already seen). Throws CorruptDatabase on a malformed map.
 */
export function walkVersionNodes(
  geo: VersionGeometry, rootSeq: number, load: VersionedLoad, path: string,
  visit: (v: VersionNodeVisit) => boolean,
): void {
  const root = asVersionNode(load(versionRootPage, rootSeq), versionRootPage, path);
  const stack: VersionNodeVisit[] = [
    { pageNo: versionRootPage, version: rootSeq, node: root, parent: 0, firstPage: 0 },
  ];
  while (stack.length > 0) {
    const at = stack.pop()!;
    if (!visit(at) || at.node.level === 0) continue;
    const span = geo.innerCap ** (at.node.level - 1) * geo.leafCap;
    const { children, versions } = at.node;
    for (let i = children!.length - 1; i >= 0; i--) {
      const child = children![i]!;
      if (child === 0) continue;
      const node = asVersionNode(load(child, versions[i]!), child, path, at.node.level - 1);
      stack.push({ pageNo: child, version: versions[i]!, node, parent: at.pageNo,
        firstPage: at.firstPage + i * span });
    }
  }
}

/** The version of every page 0 … pageCount − 1 (for re-sealing a whole file). */
export function versionTable(
  geo: VersionGeometry, pageCount: number, rootSeq: number, load: VersionedLoad, path: string,
): Float64Array {
  const table = new Float64Array(pageCount);
  walkVersionNodes(geo, rootSeq, load, path, ({ pageNo, version, node, firstPage }) => {
    if (pageNo < pageCount) table[pageNo] = version;
    if (node.level === 0) {
      const n = Math.min(node.versions.length, pageCount - firstPage);
      // Version nodes have no leaf entry of their own (0): keep what their parent said.
      for (let i = 0; i < n; i++) {
        if (node.versions[i] !== 0) table[firstPage + i] = node.versions[i]!;
      }
    }
    return true;
  });
  return table;
}

/**
 * The sealed image of an empty map root (page 1) for a new or rebuilt file: every other page
 * has version 0; the root's own version is the commit seq the file's header records.
 */
export function emptyVersionRoot(
  id: Pick<FileIdentity, 'fileId' | 'formatVersion' | 'pageSize' | 'flags' | 'reserveBytes'>,
  keys: EncryptionKeys, rootSeq: number,
): Uint8Array {
  const usable = id.pageSize - id.reserveBytes;
  const plain = new Uint8Array(usable);
  encodePage(VersionNode.empty(1, usable), versionRootPage, plain, new DataView(plain.buffer), 0,
    usable);
  return new PageCipher(keys, id, id.pageSize).seal(plain, versionRootPage, rootSeq);
}
