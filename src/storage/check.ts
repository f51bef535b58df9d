/**
 * The structural check of the storage layer (SPEC §11 "B+ tree structural checks"; bbolt's
 * `Tx.Check`).
 *
 * It walks the durable snapshot of the database and verifies, without changing anything:
 * - tree shape: every page reachable from the root decodes (checksum and page number are verified
 *   by the decoder), has a tree kind, and all leaves lie at the same depth (≤ treeDepthMax);
 * - order: keys strictly increase within every page and across the whole tree, and the keys under
 *   child i of a branch lie in [key i−1, key i) of that branch (and of every branch above it);
 * - size: every non-root page holds ≥ 1 entry, encodes to ≤ usable bytes, and no entry exceeds a
 *   quarter page (what the split logic relies on, see limits.pageFanoutMin);
 * - values: lengths agree with their kind, inline values fit the inline limit, raw lengths stay
 *   within maxValueBytes, overflow chains have exactly ceil(storedLen / capacity) pages of the
 *   overflow kind and end with next = 0; with `verifyValues` every compressed value is inflated;
 * - freelist: the trunk chain from the header's head holds trunk pages only and exactly
 *   `freelistCount` ids;
 * - page versions (encrypted files with a map, page-versions.ts): the map's nodes from page 1
 *   down decode with the versions their parents name, have consistent levels, and hold no
 *   version newer than the checked commit; every page read was opened with its mapped version;
 * - reachability: tree pages, overflow pages, trunk pages, free ids and page-version nodes
 *   together are exactly {1 … pageCount−1}, each exactly once: anything else is a leaked or a
 *   doubly-used page.
 *
 * Corruption is reported, never thrown: a CorruptDatabase error raised while decoding a page is
 * caught and turned into an error line. Programming errors (AssertionError) and I/O errors are not
 * corruption and propagate. Pages already in the page cache were verified when they were loaded.
 */
import { hexxlaError, isHexxlaError } from '../errors.js';
import {
  compressBytesMin, pageFanoutMin, pageHeaderBytes, treeDepthMax, treeKeyBytesMax,
} from '../limits.js';
import { decompressValue } from './compress.js';
import type { CommitState } from './header.js';
import {
  branchEntryBytes, compareBytes, freelistCapacity, leafEntryBytes, overflowCapacity,
  pageTypeBranch, pageTypeFreelist, pageTypeLeaf, pageTypeOverflow, pageTypeVersions,
  valueKindInline,
  valueKindInlineDeflate, valueKindOverflow, valueKindOverflowDeflate,
} from './page.js';
import type { BranchNode, LeafNode, PageNode, StoredValue } from './page.js';
import type { Store } from './store.js';
import { hasPageVersions } from './header.js';
import { versionGeometry, walkVersionNodes } from './page-versions.js';
import { booleanOption } from './store-options.js';

/** Options of {@link checkStore} and `Database.check`. */
export interface CheckOptions {
  /**
   * Most error (and, separately, warning) lines kept in the report; default 100. The count of
   * errors is always complete (`errorCount`).
   */
  errorsMax?: number;
  /**
   * Also inflate every compressed value and compare its length with the recorded one (reads every
   * overflow page's bytes; slower). Default false.
   */
  verifyValues?: boolean;
}

/** Counts gathered by the check (over what could be read). */
export interface CheckStats {
  /** Pages in the file, page 0 (the header) included: the header's pageCount. */
  pages: number;
  /** Levels of the tree: 0 for an empty tree, 1 for a root leaf. */
  treeDepth: number;
  leafPages: number;
  branchPages: number;
  overflowPages: number;
  /** Page ids held by the freelist. */
  freePages: number;
  /** Trunk pages of the freelist chain. */
  freelistTrunkPages: number;
  /** Key/value entries in the leaves. */
  entries: number;
}

/** Result of a structural check. Plain data: safe to log or serialise. */
export interface CheckReport {
  /** True when no error was found (warnings do not count). */
  ok: boolean;
  /** Error lines, at most `errorsMax`; `errorCount` tells how many there were in all. */
  errors: string[];
  errorCount: number;
  /** Oddities that are not corruption (e.g. an empty root page), at most `errorsMax`. */
  warnings: string[];
  /** Commit seq of the snapshot that was checked. */
  commitSeq: bigint;
  stats: CheckStats;
}

/**
 * What the check reads. `read` returns the decoded page of the checked snapshot and throws
 * CorruptDatabase for a page that does not decode. `memoryFreelist` is the store's in-memory
 * freelist, compared with the durable chain when given.
 */
export interface CheckSource {
  read(pageNo: number): PageNode;
  state: CommitState;
  usable: number;
  inlineMax: number;
  maxValueBytes: number;
  memoryFreelist?: { free: readonly number[]; trunks: readonly number[] };
  /** Commits are in flight: the in-memory freelist may legitimately differ from the chain. */
  commitsPending?: boolean;
  /** The file's page-version map (rooted at page 1): reads its nodes by parent version. */
  readVersionNode?: (pageNo: number, version: number) => PageNode;
}

/** How a page is used; index into `useNames`. */
const Use = { None: 0, Tree: 1, Overflow: 2, Trunk: 3, Free: 4, Versions: 5 } as const;
type Use = (typeof Use)[keyof typeof Use];
const useNames = ['unused', 'tree page', 'overflow page', 'freelist trunk', 'free page',
  'page-version node'];

const errorsMaxDefault = 100;

interface Ctx {
  src: CheckSource;
  opts: Required<CheckOptions>;
  report: CheckReport;
  uses: Uint8Array;
  entryMax: number;
  leafDepth: number;
  lastKey: Uint8Array | null;
}

/**
 * Checks the newest durable commit of `store` (a read transaction: writers are not blocked and
 * nothing is written). Throws DatabaseClosed after close; corruption is reported, not thrown.
 */
export function checkStore(store: Store, options: CheckOptions = {}): CheckReport {
  return store.view((tx) => checkPages({
    read: (pageNo) => tx.read(pageNo),
    state: store.durableCommitState(),
    usable: store.usable,
    inlineMax: store.inlineMax,
    maxValueBytes: store.maxValueBytes,
    memoryFreelist: store.freelist.pages(),
    commitsPending: store.commitsPending,
    ...(hasPageVersions(store.identity)
      ? { readVersionNode: (p: number, v: number) => tx.readVersionNode(p, v) } : {}),
  }, options));
}

/**
 * Runs every check over `src`; see the module comment for what is verified. Throws
 * InvalidArgument for a bad `errorsMax` or a `verifyValues` that is not a boolean.
 */
export function checkPages(src: CheckSource, options: CheckOptions = {}): CheckReport {
  const { state } = src;
  const errorsMax = options.errorsMax ?? errorsMaxDefault;
  if (!Number.isSafeInteger(errorsMax) || errorsMax < 0) {
    throw hexxlaError('InvalidArgument', 'option errorsMax: must be a non-negative integer',
      { option: 'errorsMax', value: String(errorsMax) });
  }
  booleanOption('verifyValues', options.verifyValues, false);
  const report: CheckReport = {
    ok: true, errors: [], errorCount: 0, warnings: [], commitSeq: state.commitSeq,
    stats: { pages: state.pageCount, treeDepth: 0, leafPages: 0, branchPages: 0,
      overflowPages: 0, freePages: 0, freelistTrunkPages: 0, entries: 0 },
  };
  const ctx: Ctx = {
    src, report,
    opts: { errorsMax, verifyValues: options.verifyValues ?? false },
    uses: new Uint8Array(Math.max(1, state.pageCount)),
    entryMax: Math.floor((src.usable - pageHeaderBytes) / pageFanoutMin),
    leafDepth: -1,
    lastKey: null,
  };
  if (state.rootPage !== 0) {
    walkTree(ctx, { pageNo: state.rootPage, depth: 1, lo: null, hi: null, parent: 0 });
  }
  report.stats.treeDepth = Math.max(0, ctx.leafDepth);
  checkFreelist(ctx);
  if (src.readVersionNode !== undefined) checkVersionMap(ctx, src.readVersionNode);
  checkReachability(ctx);
  report.ok = report.errorCount === 0;
  return report;
}

function error(ctx: Ctx, line: string): void {
  ctx.report.errorCount++;
  if (ctx.report.errors.length < ctx.opts.errorsMax) ctx.report.errors.push(line);
}

function warning(ctx: Ctx, line: string): void {
  if (ctx.report.warnings.length < ctx.opts.errorsMax) ctx.report.warnings.push(line);
}

/**
 * Records that `pageNo` is used as `use` (by `by`, for the message). Returns false, after
 * reporting, when the page is out of range or already used: the caller must not descend into it.
 */
function claim(ctx: Ctx, pageNo: number, use: Use, by: string): boolean {
  if (!Number.isSafeInteger(pageNo) || pageNo < 1 || pageNo >= ctx.src.state.pageCount) {
    error(ctx, `${by} refers to page ${pageNo} as ${useNames[use]}, outside 1…` +
      `${ctx.src.state.pageCount - 1}`);
    return false;
  }
  const prior = ctx.uses[pageNo]!;
  if (prior !== Use.None) {
    error(ctx, `page ${pageNo} is used twice: as ${useNames[prior]} and as ${useNames[use]} ` +
      `(${by})`);
    return false;
  }
  ctx.uses[pageNo] = use;
  return true;
}

/** Reads a page; reports a decoding failure (CorruptDatabase) and returns null instead. */
function readPage(ctx: Ctx, pageNo: number, by: string): PageNode | null {
  try {
    return ctx.src.read(pageNo);
  } catch (err) {
    if (!isHexxlaError(err, 'CorruptDatabase')) throw err;
    error(ctx, `${by}: page ${pageNo} does not decode: ${err.message}`);
    return null;
  }
}

const kindNames: Record<number, string> = {
  [pageTypeLeaf]: 'leaf', [pageTypeBranch]: 'branch', [pageTypeOverflow]: 'overflow',
  [pageTypeFreelist]: 'freelist trunk', [pageTypeVersions]: 'page-version',
};

/** Position of a tree page: its depth (root = 1) and the key bounds [lo, hi) from above. */
interface TreeStep {
  pageNo: number;
  depth: number;
  lo: Uint8Array | null;
  hi: Uint8Array | null;
  /** The branch that points here (0 for the root). */
  parent: number;
}

function walkTree(ctx: Ctx, step: TreeStep): void {
  const by = step.parent === 0 ? 'the header (root)' : `branch ${step.parent}`;
  if (!claim(ctx, step.pageNo, Use.Tree, by)) return;
  const node = readPage(ctx, step.pageNo, by);
  if (node === null) return;
  if (node.type === pageTypeLeaf) {
    checkLeaf(ctx, step, node);
  } else if (node.type === pageTypeBranch) {
    checkBranch(ctx, step, node);
  } else {
    error(ctx, `page ${step.pageNo} (${by}) is a ${kindNames[node.type]} page, expected a ` +
      'leaf or branch');
  }
}

function checkBranch(ctx: Ctx, step: TreeStep, node: BranchNode): void {
  const { pageNo, depth } = step;
  ctx.report.stats.branchPages++;
  if (depth >= treeDepthMax) {
    error(ctx, `branch ${pageNo} lies at depth ${depth}: the tree exceeds ${treeDepthMax} levels`);
    return;
  }
  if (node.children.length !== node.keys.length + 1) {
    error(ctx, `branch ${pageNo} has ${node.keys.length} keys but ${node.children.length} ` +
      'children');
    return;
  }
  if (node.keys.length === 0) {
    if (step.parent === 0) warning(ctx, `root branch ${pageNo} has a single child`);
    else error(ctx, `branch ${pageNo} has no keys (a non-root page needs ≥ 1 entry)`);
  }
  let bytes = pageHeaderBytes + 4;
  for (let i = 0; i < node.keys.length; i++) {
    const key = node.keys[i]!;
    bytes += branchEntryBytes(key);
    const where = `branch ${pageNo} key ${i}`;
    checkKeyShape(ctx, key, where);
    if (i > 0 && compareBytes(node.keys[i - 1]!, key) >= 0) {
      error(ctx, `${where} does not increase: ${hex(node.keys[i - 1]!)} ≥ ${hex(key)}`);
    }
    checkBounds(ctx, key, step, where);
  }
  if (bytes > ctx.src.usable) {
    error(ctx, `branch ${pageNo} encodes to ${bytes} bytes, over the usable ${ctx.src.usable}`);
  }
  for (let i = 0; i < node.children.length; i++) {
    walkTree(ctx, {
      pageNo: node.children[i]!,
      depth: depth + 1,
      lo: i === 0 ? step.lo : node.keys[i - 1]!,
      hi: i === node.keys.length ? step.hi : node.keys[i]!,
      parent: pageNo,
    });
  }
}

function checkLeaf(ctx: Ctx, step: TreeStep, node: LeafNode): void {
  const { pageNo } = step;
  const { stats } = ctx.report;
  stats.leafPages++;
  if (ctx.leafDepth === -1) ctx.leafDepth = step.depth;
  else if (ctx.leafDepth !== step.depth) {
    error(ctx, `leaf ${pageNo} lies at depth ${step.depth}, other leaves at ${ctx.leafDepth}`);
  }
  if (node.keys.length === 0) {
    if (step.parent === 0) warning(ctx, `root leaf ${pageNo} is empty`);
    else error(ctx, `leaf ${pageNo} is empty (a non-root page needs ≥ 1 entry)`);
  }
  if (node.vals.length !== node.keys.length) {
    error(ctx, `leaf ${pageNo} has ${node.keys.length} keys but ${node.vals.length} values`);
    return;
  }
  let bytes = pageHeaderBytes;
  for (let i = 0; i < node.keys.length; i++) {
    const key = node.keys[i]!;
    const val = node.vals[i]!;
    const where = `leaf ${pageNo} entry ${i}`;
    const entryBytes = leafEntryBytes(key, val);
    bytes += entryBytes;
    stats.entries++;
    checkKeyShape(ctx, key, where);
    if (entryBytes > ctx.entryMax) {
      error(ctx, `${where} takes ${entryBytes} bytes, over a quarter page (${ctx.entryMax})`);
    }
    checkBounds(ctx, key, step, where);
    if (ctx.lastKey !== null && compareBytes(ctx.lastKey, key) >= 0) {
      error(ctx, `${where} key ${hex(key)} does not follow the previous key ${hex(ctx.lastKey)}`);
    }
    ctx.lastKey = key;
    checkValue(ctx, val, where);
  }
  if (bytes > ctx.src.usable) {
    error(ctx, `leaf ${pageNo} encodes to ${bytes} bytes, over the usable ${ctx.src.usable}`);
  }
}

function checkKeyShape(ctx: Ctx, key: Uint8Array, where: string): void {
  if (key.length === 0) error(ctx, `${where} has an empty key`);
  if (key.length > treeKeyBytesMax) {
    error(ctx, `${where} key has ${key.length} bytes, over the limit ${treeKeyBytesMax}`);
  }
}

function checkBounds(ctx: Ctx, key: Uint8Array, step: TreeStep, where: string): void {
  if (step.lo !== null && compareBytes(key, step.lo) < 0) {
    error(ctx, `${where} key ${hex(key)} lies below its parent's bound ${hex(step.lo)}`);
  }
  if (step.hi !== null && compareBytes(key, step.hi) >= 0) {
    error(ctx, `${where} key ${hex(key)} is not below its parent's bound ${hex(step.hi)}`);
  }
}

function checkValue(ctx: Ctx, v: StoredValue, where: string): void {
  const deflated = v.kind === valueKindInlineDeflate || v.kind === valueKindOverflowDeflate;
  if (v.rawLen > ctx.src.maxValueBytes) {
    error(ctx, `${where} value has ${v.rawLen} bytes, over maxValueBytes ${ctx.src.maxValueBytes}`);
  }
  if (deflated && v.rawLen < compressBytesMin) {
    warning(ctx, `${where} value of ${v.rawLen} bytes is compressed (threshold ` +
      `${compressBytesMin})`);
  }
  if (v.kind === valueKindInline || v.kind === valueKindInlineDeflate) {
    if (v.data.length !== v.storedLen) {
      error(ctx, `${where} inline value holds ${v.data.length} bytes, recorded ${v.storedLen}`);
    }
    if (v.kind === valueKindInline && v.rawLen !== v.storedLen) {
      error(ctx, `${where} raw inline value has raw length ${v.rawLen} ≠ ${v.storedLen}`);
    }
    if (v.storedLen > ctx.src.inlineMax) {
      error(ctx, `${where} inline value of ${v.storedLen} bytes exceeds the inline limit ` +
        `${ctx.src.inlineMax}`);
    }
    if (ctx.opts.verifyValues && deflated) verifyInflate(ctx, v.data, v.rawLen, where);
    return;
  }
  if (v.kind === valueKindOverflow && v.rawLen !== v.storedLen) {
    error(ctx, `${where} raw overflow value has raw length ${v.rawLen} ≠ ${v.storedLen}`);
  }
  if (v.storedLen <= ctx.src.inlineMax) {
    warning(ctx, `${where} value of ${v.storedLen} stored bytes is in overflow pages but fits ` +
      `inline (${ctx.src.inlineMax})`);
  }
  const data = checkOverflowChain(ctx, v, where);
  if (data !== null && deflated) verifyInflate(ctx, data, v.rawLen, where);
}

/**
 * Walks an overflow chain, claiming its pages. Returns the stored bytes when `verifyValues` is on
 * and the chain is sound, else null.
 */
function checkOverflowChain(ctx: Ctx, v: StoredValue, where: string): Uint8Array | null {
  const cap = overflowCapacity(ctx.src.usable);
  const count = Math.ceil(v.storedLen / cap);
  if (count === 0) {
    error(ctx, `${where} overflow value has stored length 0`);
    return null;
  }
  const out = ctx.opts.verifyValues ? new Uint8Array(v.storedLen) : null;
  let pageNo = v.firstPage;
  for (let i = 0; i < count; i++) {
    const by = `${where} overflow page ${i + 1}/${count}`;
    if (!claim(ctx, pageNo, Use.Overflow, by)) return null;
    const page = readPage(ctx, pageNo, by);
    if (page === null) return null;
    if (page.type !== pageTypeOverflow) {
      error(ctx, `${by}: page ${pageNo} is a ${kindNames[page.type]} page, expected overflow`);
      return null;
    }
    ctx.report.stats.overflowPages++;
    const n = Math.min(cap, v.storedLen - i * cap);
    if (page.data.length < n) {
      error(ctx, `${by}: page ${pageNo} holds ${page.data.length} bytes, needs ${n}`);
      return null;
    }
    out?.set(page.data.subarray(0, n), i * cap);
    pageNo = page.next;
  }
  if (pageNo !== 0) {
    error(ctx, `${where} overflow chain continues to page ${pageNo} past its ${count} pages`);
    return null;
  }
  return out;
}

function verifyInflate(ctx: Ctx, stored: Uint8Array, rawLen: number, where: string): void {
  try {
    const raw = decompressValue(stored, rawLen);
    if (raw.length !== rawLen) error(ctx, `${where} inflates to ${raw.length} ≠ ${rawLen} bytes`);
  } catch (err) {
    if (!isHexxlaError(err, 'CorruptDatabase')) throw err;
    error(ctx, `${where} compressed value does not inflate: ${err.message}`);
  }
}

/** Walks the durable trunk chain, claims trunks and free ids, compares with the header. */
function checkFreelist(ctx: Ctx): void {
  const { state } = ctx.src;
  const cap = freelistCapacity(ctx.src.usable);
  const trunks: number[] = [];
  const ids: number[] = [];
  let by = 'the header (freelist head)';
  for (let pageNo = state.freelistHead; pageNo !== 0;) {
    if (!claim(ctx, pageNo, Use.Trunk, by)) break;
    const page = readPage(ctx, pageNo, by);
    if (page === null) break;
    if (page.type !== pageTypeFreelist) {
      error(ctx, `${by}: page ${pageNo} is a ${kindNames[page.type]} page, expected a trunk`);
      break;
    }
    if (page.ids.length > cap) {
      error(ctx, `freelist trunk ${pageNo} holds ${page.ids.length} ids, capacity ${cap}`);
    }
    trunks.push(pageNo);
    for (const id of page.ids) ids.push(id);
    by = `freelist trunk ${pageNo} (next)`;
    pageNo = page.next;
  }
  ctx.report.stats.freelistTrunkPages = trunks.length;
  ctx.report.stats.freePages = ids.length;
  if (ids.length !== state.freelistCount) {
    error(ctx, `the freelist holds ${ids.length} ids, the header says ${state.freelistCount}`);
  }
  if (trunks.length > Math.ceil(ids.length / cap) + 1) {
    warning(ctx, `the freelist uses ${trunks.length} trunks for ${ids.length} ids`);
  }
  for (const id of ids) claim(ctx, id, Use.Free, 'the freelist');
  compareMemoryFreelist(ctx, trunks, ids);
}

/**
 * The in-memory freelist equals the durable chain unless commits are in flight (their changes are
 * applied in memory before their fsync): a difference is an error when none is, else a warning.
 */
function compareMemoryFreelist(ctx: Ctx, trunks: number[], ids: number[]): void {
  const memory = ctx.src.memoryFreelist;
  if (memory === undefined) return;
  if (!sameNumbers(memory.trunks, trunks) || !sameNumbers(memory.free, ids)) {
    const report = ctx.src.commitsPending === false ? error : warning;
    report(ctx, `the in-memory freelist (${memory.free.length} ids, ${memory.trunks.length} ` +
      `trunks) differs from the durable chain (${ids.length} ids, ${trunks.length} trunks); ` +
      'expected only while commits are in flight');
  }
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Walks the page-version map (each node opened with the version its parent names) and checks
 * what the store relies on: levels, node kinds, no version newer than the checked commit.
 */
function checkVersionMap(ctx: Ctx, load: (pageNo: number, version: number) => PageNode): void {
  const geo = versionGeometry(ctx.src.usable);
  const seq = Number(ctx.src.state.commitSeq);
  try {
    walkVersionNodes(geo, seq, load, 'check', ({ pageNo, version, node, parent }) => {
      const by = parent === 0 ? 'the header (page versions)' : `page-version node ${parent}`;
      if (!claim(ctx, pageNo, Use.Versions, by)) return false;
      if (version > seq || node.versions.some((v) => v > seq)) {
        error(ctx, `page-version node ${pageNo} (${by}) holds a version newer than commit ${seq}`);
      }
      return true;
    });
  } catch (err) {
    if (!isHexxlaError(err, 'CorruptDatabase')) throw err;
    error(ctx, `the page-version map does not decode: ${err.message}`);
  }
}

/** Every page 1 … pageCount−1 must have been claimed exactly once. */
function checkReachability(ctx: Ctx): void {
  let leaked = 0;
  let first = -1;
  for (let pageNo = 1; pageNo < ctx.src.state.pageCount; pageNo++) {
    if (ctx.uses[pageNo] !== Use.None) continue;
    if (leaked === 0) first = pageNo;
    leaked++;
    error(ctx, `page ${pageNo} is leaked: neither in the tree nor in the freelist`);
  }
  if (leaked > 1) warning(ctx, `${leaked} leaked pages in all, the first is ${first}`);
}

/** A short hex rendering of a key for messages (first 24 bytes). */
function hex(key: Uint8Array): string {
  const shown = Buffer.from(key.subarray(0, 24)).toString('hex');
  return key.length > 24 ? `${shown}…(${key.length} bytes)` : `0x${shown}`;
}
