/**
 * Page-version nodes (page type 5): the pages of the page-version map of an encrypted database
 * (src/storage/page-versions.ts; layout in docs/format.md "Page versions").
 *
 * Header: the common page header with `flags` = level (0 = leaf) and `count` = entries encoded;
 * trailing empty entries are not encoded (a young map's pages are mostly empty, and a commit
 * logs only the used prefix of each page).
 * - leaf (level 0) body: count × u64 version, one per page number of its range;
 * - inner (level ≥ 1) body: count × (u32 child page, u64 version of that child); child 0 = none.
 *
 * Versions are commit seqs, held as JS numbers (exact below 2^53, far beyond any real seq); the
 * decoder refuses larger ones.
 */
import { pageHeaderBytes } from '../limits.js';

export const pageTypeVersions = 5;
/**
 * Entries per node, whatever the page size. A commit logs one node per level on the path of each
 * page it writes, so small nodes keep the log bytes a single-record commit adds low (~1 KiB
 * leaves instead of dense 4 KiB ones); 128 of them cost 0.8 % of the file in version leaves.
 */
export const versionFanoutMax = 128;
/** Levels above the leaves: 4 cover 128^4 × 128 = 2^35 pages, more than the u32 page numbers. */
export const versionLevelsMax = 4;

const two32 = 0x1_0000_0000;

/** Entries per leaf node (u64 versions). */
export function versionLeafCapacity(usable: number): number {
  return Math.min(versionFanoutMax, Math.floor((usable - pageHeaderBytes) / 8));
}

/** Entries per inner node (u32 child + u64 version). */
export function versionInnerCapacity(usable: number): number {
  return Math.min(versionFanoutMax, Math.floor((usable - pageHeaderBytes) / 12));
}

export class VersionNode {
  readonly type = pageTypeVersions;
  constructor(
    /** 0 for a leaf; an inner node's children are at level − 1. */
    public level: number,
    // Plain arrays, not typed ones: V8 gives every typed array its own backing store, and the
    // two copies per node a commit makes cost ~10 µs as typed arrays (a W3-style profile).
    /** Child page numbers (inner nodes); null for a leaf. */
    public children: number[] | null,
    /** Leaf: version of each page of the range. Inner: version of each child. 0 = never written. */
    public versions: number[],
  ) {}

  /** An empty node of `level` sized for pages of `usable` bytes. */
  static empty(level: number, usable: number): VersionNode {
    if (level === 0) return new VersionNode(0, null, zeros(versionLeafCapacity(usable)));
    const n = versionInnerCapacity(usable);
    return new VersionNode(level, zeros(n), zeros(n));
  }

  clone(): VersionNode {
    return new VersionNode(this.level, this.children?.slice() ?? null, this.versions.slice());
  }
}

function zeros(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(0);
  return out;
}

/** Writes the body (and the level and count header fields); returns the end offset. */
export function encodeVersionBody(node: VersionNode, dv: DataView, base: number): number {
  const { children, versions } = node;
  let count = versions.length;
  while (count > 0 && versions[count - 1] === 0 && (children?.[count - 1] ?? 0) === 0) count--;
  dv.setUint8(base + 5, node.level);
  dv.setUint16(base + 6, count, true);
  let p = base + pageHeaderBytes;
  for (let i = 0; i < count; i++) {
    if (children !== null) {
      dv.setUint32(p, children[i]!, true);
      p += 4;
    }
    const v = versions[i]!;
    dv.setUint32(p, v % two32, true);
    dv.setUint32(p + 4, Math.floor(v / two32), true);
    p += 8;
  }
  return p;
}

/** Decodes a version node; `corrupt` throws. */
export function decodeVersionNode(
  dv: DataView, usable: number, corrupt: (what: string) => never,
): VersionNode {
  const level = dv.getUint8(5);
  const count = dv.getUint16(6, true);
  if (level > versionLevelsMax) corrupt(`page-version node level ${level} out of range`);
  const node = VersionNode.empty(level, usable);
  if (count > node.versions.length) corrupt('page-version node count out of bounds');
  let p = pageHeaderBytes;
  for (let i = 0; i < count; i++) {
    if (node.children !== null) {
      node.children[i] = dv.getUint32(p, true);
      p += 4;
    }
    const hi = dv.getUint32(p + 4, true);
    if (hi >= 0x20_0000) corrupt('page version beyond 2^53');
    node.versions[i] = hi * two32 + dv.getUint32(p, true);
    p += 8;
  }
  return node;
}
