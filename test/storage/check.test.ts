/**
 * Goal: the structural check (src/storage/check.ts, `Database.check`) finds every kind of damage
 * it promises to find, reports it instead of throwing, and stays quiet on healthy databases.
 * White-box: the damage cases build page graphs from the engine's own page classes and feed them
 * to `checkPages` through a `CheckSource`, because most of these states cannot be produced through
 * the public API (that is the point of the check); the on-disk cases damage bytes of a closed file.
 * Method: one healthy database grown through splits, overflow values, merges and freelist reuse;
 * then one synthetic graph per defect; then byte damage in a memory file system.
 * Properties checked:
 *   - healthy: ok, no errors or warnings, and the stats add up (1 + tree + overflow + free +
 *     trunk pages = pageCount) on a tree of depth ≥ 2;
 *   - each defect yields an error naming it: keys out of order in a page and across leaves, a key
 *     outside its separator bounds, leaves at different depths, an empty non-root page, an
 *     oversized page and entry, an overflow chain too short / too long / of the wrong kind, a child
 *     out of range, a page used twice, a leaked page, a freelist whose count disagrees with the
 *     header or whose chain reaches a non-trunk page, a value over maxValueBytes;
 *   - a page that does not decode (CorruptDatabase) is reported, an AssertionError propagates;
 *   - errorsMax caps the lines but errorCount counts them all;
 *   - a flipped byte in a closed file is reported by check() after reopening, not thrown;
 *   - the test harness (TmpDb.finish) reports a failing check.
 */
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/assert.js';
import { hexxlaError } from '../../src/errors.js';
import type { CheckOptions, CheckReport } from '../../src/index.js';
import { checkPages } from '../../src/storage/check.js';
import type { CheckSource } from '../../src/storage/check.js';
import {
  BranchNode, FreelistPage, LeafNode, OverflowPage, StoredValue, branchEntryBytes,
  leafEntryBytes, valueKindInline, valueKindOverflow,
} from '../../src/storage/page.js';
import type { PageNode } from '../../src/storage/page.js';
import { pageHeaderBytes } from '../../src/limits.js';
import { Prng } from '../fault/prng.js';
import { openTmpDb, useTmpDb } from '../harness/tmp-db.js';

const dbs = useTmpDb();
const usable = 4096;
const inlineMax = 699;

const k = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

function inline(n: number): StoredValue {
  return new StoredValue(valueKindInline, new Uint8Array(n), n, n, 0);
}

function overflow(storedLen: number, firstPage: number): StoredValue {
  return new StoredValue(valueKindOverflow, new Uint8Array(0), storedLen, storedLen, firstPage);
}

function leaf(keys: Uint8Array[], vals?: StoredValue[]): LeafNode {
  const vs = vals ?? keys.map(() => inline(4));
  let bytes = pageHeaderBytes;
  keys.forEach((key, i) => (bytes += leafEntryBytes(key, vs[i]!)));
  return new LeafNode(keys, vs, bytes);
}

function branch(keys: Uint8Array[], children: number[]): BranchNode {
  let bytes = pageHeaderBytes + 4;
  for (const key of keys) bytes += branchEntryBytes(key);
  return new BranchNode(keys, children, bytes);
}

/** A source over `pages` (index = page number); the header fields default to a clean state. */
function source(pages: (PageNode | undefined)[], over: Partial<CheckSource['state']> = {},
  extra: Partial<CheckSource> = {}): CheckSource {
  return {
    read: (pageNo) => {
      const page = pages[pageNo];
      if (page === undefined) {
        throw hexxlaError('CorruptDatabase', `page ${pageNo}: checksum mismatch`);
      }
      return page;
    },
    state: { commitSeq: 1n, commitTimeMs: 0n, rootPage: 1, pageCount: pages.length,
      freelistHead: 0, freelistCount: 0, ...over },
    usable, inlineMax, maxValueBytes: 8192,
    ...extra,
  };
}

function run(src: CheckSource, options?: CheckOptions): CheckReport {
  return checkPages(src, options);
}

function expectError(report: CheckReport, pattern: RegExp): void {
  expect(report.ok).toBe(false);
  expect(report.errors.some((e) => pattern.test(e)), report.errors.join('\n')).toBe(true);
}

/** A healthy two-level tree: root branch 1 over leaves 2 and 3. */
function twoLevel(): (PageNode | undefined)[] {
  return [undefined, branch([k(5)], [2, 3]), leaf([k(1), k(3)]), leaf([k(5), k(7)])];
}

describe('check on real databases', () => {
  it('passes a healthy database through splits, overflow, merges and reuse', async () => {
    const tmp = await dbs.open({ maxValueBytes: 20_000 });
    const prng = new Prng(11);
    for (let round = 0; round < 6; round++) {
      await tmp.db.update((tx) => {
        for (let i = 0; i < 400; i++) {
          const key = k(prng.int(8), prng.int(256), prng.int(256));
          if (prng.bool(0.3)) tx.delete(key);
          else tx.put(key, prng.bytes(prng.bool(0.1) ? 5000 + prng.int(10_000) : prng.int(300)));
        }
      });
      const report = tmp.db.check({ verifyValues: true });
      expect(report.errors).toEqual([]);
      expect(report.warnings).toEqual([]);
      const s = report.stats;
      expect(1 + s.leafPages + s.branchPages + s.overflowPages + s.freePages +
        s.freelistTrunkPages).toBe(s.pages);
      expect(s.entries).toBe(tmp.db.view((tx) => [...tx.range()].length));
    }
    const grown = tmp.db.check().stats;
    expect(grown.treeDepth).toBeGreaterThanOrEqual(2);
    expect(grown.overflowPages).toBeGreaterThan(0);
    await tmp.db.update((tx) => {
      for (const [key, value] of tx.range()) if (value.length > 1000) tx.delete(key);
    });
    const shrunk = tmp.db.check();
    expect(shrunk.errors).toEqual([]);
    expect(shrunk.stats.overflowPages).toBe(0);
    expect(shrunk.stats.freePages).toBeGreaterThanOrEqual(grown.overflowPages);
  });

  it('checks the durable state while a commit that frees pages is in flight', async () => {
    const tmp = await dbs.open({ maxValueBytes: 20_000 });
    const prng = new Prng(12);
    await tmp.db.update((tx) => {
      for (let i = 0; i < 40; i++) tx.put(k(i), prng.bytes(10_000));
    });
    const durable = tmp.db.check();
    const pending = tmp.db.update((tx) => {
      for (let i = 0; i < 40; i += 2) tx.delete(k(i));
      tx.put(k(100), prng.bytes(10_000));
    });
    const during = tmp.db.check();
    expect(during.errors).toEqual([]);
    expect(during.stats).toEqual(durable.stats);
    expect(during.warnings.join()).toMatch(/in-memory freelist .* differs/);
    await pending;
    const after = tmp.db.check();
    expect(after.errors).toEqual([]);
    expect(after.warnings).toEqual([]);
    expect(after.stats.freePages).toBeGreaterThan(0);
  });

  it('passes an empty database', async () => {
    const tmp = await dbs.open();
    const report = tmp.db.check();
    expect(report).toMatchObject({ ok: true, errors: [], errorCount: 0,
      stats: { pages: 1, treeDepth: 0, entries: 0 } });
  });

  it('reports a flipped byte in a closed file instead of throwing', async () => {
    const tmp = await dbs.open({ check: false });
    await tmp.db.update((tx) => tx.put(k(1), k(2)));
    await tmp.db.close();
    const mem = tmp.memory!;
    const image = mem.readFile(tmp.path);
    image[4096 + 100]! ^= 0x10; // page 1, the root leaf
    mem.writeFile(tmp.path, image);
    const db = await tmp.open();
    const report = db.check();
    expectError(report, /page 1 does not decode: .*checksum/);
    expect(() => db.view((tx) => tx.get(k(1)))).toThrow(/checksum/);
  });

  it('makes the harness report a failing check', async () => {
    const tmp = await openTmpDb();
    await tmp.db.update((tx) => tx.put(k(1), k(2)));
    await tmp.db.close();
    const image = tmp.memory!.readFile(tmp.path);
    image[4096 + 20]! ^= 1;
    tmp.memory!.writeFile(tmp.path, image);
    const failure = await tmp.finish();
    expect(failure?.stage).toBe('reopened');
    expect(failure?.report.ok).toBe(false);
  });
});

describe('check on damaged page graphs', () => {
  it('accepts the healthy synthetic tree', () => {
    const report = run(source(twoLevel()));
    expect(report.errors).toEqual([]);
    expect(report.stats).toMatchObject({ treeDepth: 2, leafPages: 2, branchPages: 1, entries: 4 });
  });

  it('finds keys out of order inside a page and across leaves', () => {
    const inPage = twoLevel();
    inPage[2] = leaf([k(3), k(1)]);
    expectError(run(source(inPage)), /leaf 2 entry 1 key 0x01 does not follow/);
    const duplicate = twoLevel();
    duplicate[2] = leaf([k(1), k(1)]);
    expectError(run(source(duplicate)), /does not follow/);
  });

  it('finds keys outside the bounds of their separators', () => {
    const pages = twoLevel();
    pages[2] = leaf([k(1), k(6)]); // 6 ≥ separator 5
    expectError(run(source(pages)), /leaf 2 entry 1 key 0x06 is not below its parent's bound 0x05/);
    const low = twoLevel();
    low[3] = leaf([k(4), k(7)]); // 4 < separator 5
    expectError(run(source(low)), /leaf 3 entry 0 key 0x04 lies below/);
  });

  it('finds branch keys out of order and bounds inherited from two levels up', () => {
    // root [10] over branch 2 [5, 20] (20 ≥ 10: out of bounds) and leaf-level below.
    const pages: (PageNode | undefined)[] = [undefined, branch([k(10)], [2, 6]),
      branch([k(5), k(20)], [3, 4, 5]), leaf([k(1)]), leaf([k(6)]), leaf([k(21)]),
      branch([k(12)], [7, 8]), leaf([k(11)]), leaf([k(13)])];
    const report = run(source(pages));
    expectError(report, /branch 2 key 1 key 0x14 is not below its parent's bound 0x0a/);
    expectError(report, /leaf 5 entry 0 key 0x15 is not below/);
  });

  it('finds leaves at different depths', () => {
    const pages: (PageNode | undefined)[] = [undefined, branch([k(5)], [2, 3]),
      leaf([k(1)]), branch([k(7)], [4, 5]), leaf([k(5)]), leaf([k(8)])];
    expectError(run(source(pages)), /leaf \d lies at depth 3, other leaves at 2/);
  });

  it('finds empty non-root pages but only warns about an empty root', () => {
    const pages = twoLevel();
    pages[3] = leaf([]);
    expectError(run(source(pages)), /leaf 3 is empty/);
    const emptyBranch = [undefined, branch([k(5)], [2, 3]), branch([], [4]), leaf([k(5)]),
      leaf([k(1)])];
    expectError(run(source(emptyBranch)), /branch 2 has no keys/);
    const root = run(source([undefined, leaf([])]));
    expect(root.ok).toBe(true);
    expect(root.warnings.join()).toMatch(/root leaf 1 is empty/);
  });

  it('finds oversized pages and entries', () => {
    const keys = Array.from({ length: 8 }, (_, i) => k(i));
    const big = leaf(keys, keys.map(() => inline(600)));
    expectError(run(source([undefined, big])), /leaf 1 encodes to \d+ bytes, over the usable/);
    const entry = leaf([k(1)], [inline(1100)]);
    const report = run(source([undefined, entry]));
    expectError(report, /entry 0 takes 1106 bytes, over a quarter page \(1020\)/);
    expectError(report, /exceeds the inline limit 699/);
  });

  it('finds a value over maxValueBytes', () => {
    const page = (next: number): OverflowPage => new OverflowPage(next, new Uint8Array(4080));
    const pages = [undefined, leaf([k(1)], [overflow(9000, 2)]), page(3), page(4), page(0)];
    expectError(run(source(pages)), /9000 bytes, over maxValueBytes 8192/);
  });

  it('checks overflow chains: length, kind and reachability', () => {
    const chain = (next2: number, next3: number): (PageNode | undefined)[] => [undefined,
      leaf([k(1)], [overflow(5000, 2)]), new OverflowPage(next2, new Uint8Array(4080)),
      new OverflowPage(next3, new Uint8Array(4080))];
    expect(run(source(chain(3, 0))).errors).toEqual([]);
    expectError(run(source(chain(3, 2))), /chain continues to page 2 past its 2 pages/);
    const shared = chain(3, 0);
    shared[1] = leaf([k(1), k(2)], [overflow(5000, 2), overflow(100, 3)]);
    expectError(run(source(shared)), /page 3 is used twice: as overflow page and as overflow/);
    expectError(run(source(chain(0, 0))), /overflow page 2\/2 refers to page 0.*outside/);
    const long = [...chain(3, 4), new OverflowPage(0, new Uint8Array(4080))];
    const report = run(source(long));
    expectError(report, /chain continues to page 4 past its 2 pages/);
    expectError(report, /page 4 is leaked/);
    const wrongKind = chain(3, 0);
    wrongKind[3] = leaf([k(9)]);
    expectError(run(source(wrongKind)), /page 3 is a leaf page, expected overflow/);
  });

  it('finds children out of range, pages used twice and leaked pages', () => {
    const outOfRange = twoLevel();
    outOfRange[1] = branch([k(5)], [2, 9]);
    expectError(run(source(outOfRange)), /branch 1 refers to page 9 as tree page, outside 1…3/);
    const twice = twoLevel();
    twice[1] = branch([k(5)], [2, 2]);
    const report = run(source(twice));
    expectError(report, /page 2 is used twice: as tree page and as tree page/);
    expectError(report, /page 3 is leaked/);
    const leaked = [...twoLevel(), leaf([k(100)])];
    expectError(run(source(leaked)), /^page 4 is leaked/);
    const zero = twoLevel();
    zero[1] = branch([k(5)], [0, 3]);
    expectError(run(source(zero)), /refers to page 0/);
  });

  it('checks the freelist chain and its count, and the free pages against the tree', () => {
    const pages = [...twoLevel(), new FreelistPage(6, [5]), undefined, new FreelistPage(0, [7]),
      undefined];
    const ok = run(source(pages, { freelistHead: 4, freelistCount: 2 }));
    expect(ok.errors).toEqual([]);
    expect(ok.stats).toMatchObject({ freePages: 2, freelistTrunkPages: 2 });
    expectError(run(source(pages, { freelistHead: 4, freelistCount: 3 })),
      /holds 2 ids, the header says 3/);
    const notTrunk = [...pages];
    notTrunk[6] = leaf([k(9)]);
    expectError(run(source(notTrunk, { freelistHead: 4, freelistCount: 2 })),
      /page 6 is a leaf page, expected a trunk/);
    const freeInTree = [...pages];
    freeInTree[4] = new FreelistPage(6, [3]);
    const report = run(source(freeInTree, { freelistHead: 4, freelistCount: 2 }));
    expectError(report, /page 3 is used twice: as tree page and as free page/);
    expectError(report, /page 5 is leaked/);
    const cycle = [...pages];
    cycle[6] = new FreelistPage(4, [7]);
    expectError(run(source(cycle, { freelistHead: 4, freelistCount: 2 })),
      /page 4 is used twice: as freelist trunk and as freelist trunk/);
  });

  it('warns when the in-memory freelist differs from the durable chain', () => {
    const pages = [...twoLevel(), new FreelistPage(0, [5]), undefined];
    const state = { freelistHead: 4, freelistCount: 1 };
    const same = run(source(pages, state, { memoryFreelist: { free: [5], trunks: [4] } }));
    expect(same.warnings).toEqual([]);
    const differs = run(source(pages, state, { memoryFreelist: { free: [], trunks: [4] } }));
    expect(differs.ok).toBe(true);
    expect(differs.warnings.join()).toMatch(/in-memory freelist/);
  });

  it('reports pages that do not decode and rethrows assertion failures', () => {
    const pages = twoLevel();
    pages[3] = undefined; // read throws CorruptDatabase
    expectError(run(source(pages)), /branch 1: page 3 does not decode: page 3: checksum mismatch/);
    const src = source(twoLevel());
    src.read = () => {
      throw new AssertionError('bug');
    };
    expect(() => run(src)).toThrow(AssertionError);
  });

  it('caps the error lines at errorsMax but counts every error', () => {
    const pages: (PageNode | undefined)[] = [undefined, leaf([k(1)])];
    for (let i = 0; i < 50; i++) pages.push(leaf([k(i)]));
    const report = run(source(pages), { errorsMax: 5 });
    expect(report.errors.length).toBe(5);
    expect(report.errorCount).toBe(50);
    expect(report.ok).toBe(false);
    expect(run(source(pages), { errorsMax: 0 })).toMatchObject({ errors: [], errorCount: 50 });
    expect(() => run(source(pages), { errorsMax: -1 })).toThrow(/errorsMax/);
  });

  it('inflates compressed values with verifyValues', () => {
    const bogus = new StoredValue(1, Uint8Array.of(0xff, 0xff, 0xff), 100, 3, 0);
    const pages = [undefined, leaf([k(1)], [bogus])];
    expect(run(source(pages)).ok).toBe(true);
    expectError(run(source(pages), { verifyValues: true }), /does not inflate/);
  });
});
