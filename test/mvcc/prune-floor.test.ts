/**
 * Goal: reads below the prune floor (docs/mvcc.md "Prune floor") fail with ReadSeqPruned instead
 * of answering from pruned history, while reads at protected seqs and at seqs ≥ the floor stay
 * exact; the floor is persisted with the deletions of the pass that raised it.
 * Method: one cell rewritten commit after commit, a snapshot and a snapshot tag at old seqs, then
 * a prune pass; every read entry point (viewAt, viewAtTime, snapshotDiff, snapshot(seq), pinSeq)
 * is called below, at and above the floor, before and after a reopen. Crash consistency: the
 * same history plus a prune runs on the fault file system (test/fault), cut by a power loss at
 * every sync boundary; each image must hold the floor exactly when it holds the deletions. A
 * compacted copy is opened to check that it carries the floor.
 * Properties: ReadSeqPruned (context seq, floor) below the floor unless protected; exact reads
 * elsewhere; a pass that removes nothing neither raises the floor nor commits; a beforeSeq past
 * the data head raises the floor to the data head only; floor and deletions land together.
 */
import { describe, expect, it } from 'vitest';
import { isHexxlaError, open, type Database, type ErrorCode } from '../../src/index.js';
import { cellKey, metaKey, prefixEnd } from '../../src/engine/keys.js';
import { pruneFloorMetaName } from '../../src/mvcc/prune-floor.js';
import type { FaultyFileSystem } from '../fault/faulty-fs.js';
import { forEachSyncBoundary } from '../fault/sync-boundaries.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmp = useTmpDb({ mvcc: true });
const at = { q: 0, r: 0 };

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

function expectCode(run: () => unknown, code: ErrorCode): void {
  const err = thrown(run);
  expect(isHexxlaError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
}

const content = (db: Database, seq: bigint): string | undefined =>
  db.viewAt(seq, (tx) => tx.getCell(at)?.rawContent);

/** Puts v1 … vN at one coord; returns the seq of each version (index 0 = v1). */
async function rewrite(db: Database, n: number, tagAt = -1): Promise<bigint[]> {
  const seqs: bigint[] = [];
  for (let v = 1; v <= n; v++) {
    await db.putCell({ coord: at, rawContent: `v${v}` });
    seqs.push(db.commitSeq());
    if (v === tagAt) await db.tagSnapshot('keep');
  }
  return seqs;
}

describe('prune floor: reads below it are refused', () => {
  it('viewAt, viewAtTime, snapshotDiff, snapshot and pinSeq below the floor', async () => {
    const { db } = await tmp.open();
    const [s1, s2, s3, s4, s5] = await rewrite(db, 5, 3) as [bigint, bigint, bigint, bigint,
      bigint];
    const snap = db.snapshot(s2);
    expect(content(db, s1)).toBe('v1');
    expect(db.pruneFloor()).toBe(0n);
    // v1 is seen only at s1 (unprotected); v2 by the snapshot, v3 by the tag.
    expect(await db.pruneCellVersions(s4, 100)).toBeGreaterThan(0);
    expect(db.pruneFloor()).toBe(s4);
    const err = thrown(() => content(db, s1));
    expect(isHexxlaError(err, 'ReadSeqPruned')).toBe(true);
    expect((err as { context: object }).context).toEqual({ seq: s1, floor: s4 });
    // Seq 0 (before the first commit) is the empty state whatever was pruned: always exact.
    expect(db.viewAtTime(0, (tx) => tx.getCell(at))).toBeUndefined();
    expect(db.snapshotDiff(0n, s5).added).toEqual([at]);
    expectCode(() => db.snapshotDiff(s1, s5), 'ReadSeqPruned');
    expectCode(() => db.snapshotDiff(0n, s1), 'ReadSeqPruned');
    expectCode(() => db.pinSeq(s1), 'ReadSeqPruned');
    expectCode(() => db.snapshot(s1), 'ReadSeqPruned');
    // Protected seqs and seqs at or after the floor read exactly.
    expect([s2, s3, s4, s5].map((s) => content(db, s))).toEqual(['v2', 'v3', 'v4', 'v5']);
    expect(snap.view((tx) => tx.getCell(at)?.rawContent)).toBe('v2');
    expect(db.viewAtTag('keep', (tx) => tx.getCell(at)?.rawContent)).toBe('v3');
    expect(db.viewAtTime(Number.MAX_SAFE_INTEGER, (tx) => tx.getCell(at)?.rawContent)).toBe('v5');
    expect(db.snapshotDiff(s2, s5).modified).toEqual([at]);
    const unpin = db.pinSeq(s2); // pinning a protected seq is allowed
    unpin();
    snap.release();
    expectCode(() => content(db, s2), 'ReadSeqPruned'); // no longer protected
    expect(content(db, s3)).toBe('v3');
  });

  it('the floor survives a reopen; a file without the meta row has floor 0', async () => {
    const t = await tmp.open();
    const seqs = await rewrite(t.db, 4);
    const floorRow = (): Uint8Array | undefined =>
      t.db.storage.view((tx) => tx.get(metaKey(pruneFloorMetaName)));
    expect(floorRow()).toBeUndefined();
    expect(await t.db.pruneCellVersions(seqs[2]!, 100)).toBeGreaterThanOrEqual(2);
    expect(floorRow()).toHaveLength(8);
    const db = await t.reopen();
    expect(db.pruneFloor()).toBe(seqs[2]);
    expectCode(() => content(db, seqs[1]!), 'ReadSeqPruned');
    expect(content(db, seqs[2]!)).toBe('v3');
  });

  it('a pass that removes nothing neither raises the floor nor commits', async () => {
    const { db } = await tmp.open();
    const [s1, s2] = await rewrite(db, 3) as [bigint, bigint];
    const head = db.commitSeq();
    expect(await db.pruneCellVersions(s1, 100)).toBe(0); // nothing is shadowed at s1
    // v1 is seen in [s1, s2): a pin at s1 keeps it, so a pass before s2 removes nothing.
    const unpin = db.pinSeq(s1);
    expect(await db.pruneCellVersions(s2, 100)).toBe(0);
    unpin();
    expect(db.pruneFloor()).toBe(0n);
    expect(db.commitSeq()).toBe(head);
    expect(content(db, s1)).toBe('v1');
  });

  it('a beforeSeq past the head raises the floor to the data head only', async () => {
    const { db } = await tmp.open();
    const seqs = await rewrite(db, 3);
    expect(await db.pruneCellVersions(1000n, 100)).toBeGreaterThanOrEqual(2);
    expect(db.pruneFloor()).toBe(seqs[2]);
    expect(db.commitSeq()).toBeGreaterThan(seqs[2]!); // the pass committed
    expect(await db.pruneCellVersions(1000n, 100)).toBe(0);
    expect(content(db, seqs[2]!)).toBe('v3'); // the data head is never refused
    expectCode(() => content(db, seqs[1]!), 'ReadSeqPruned');
  });

  it('a compacted copy keeps the floor', async () => {
    const t = await tmp.open();
    const seqs = await rewrite(t.db, 4);
    expect(await t.db.pruneCellVersions(seqs[2]!, 100)).toBeGreaterThan(0);
    const dest = `${t.path}-copy`;
    await t.db.compact(dest, { fs: t.fs });
    const copy = await open(dest, { fs: t.fs });
    try {
      expect(copy.pruneFloor()).toBe(seqs[2]);
      expectCode(() => content(copy, seqs[1]!), 'ReadSeqPruned');
      expect([seqs[2]!, seqs[3]!].map((s) => content(copy, s))).toEqual(['v3', 'v4']);
    } finally {
      await copy.close();
    }
  });

  it('without MVCC pinSeq still works (the floor is always 0)', async () => {
    const { db } = await tmp.open({ mvcc: false });
    await db.putCell({ coord: at, rawContent: 'x' });
    db.pinSeq(db.commitSeq())();
    expect(db.pruneFloor()).toBe(0n);
  });
});

describe('prune floor: crash consistency', () => {
  const dir = '/db';
  const path = `${dir}/floor.db`;
  const versions = 6;

  it('every power-loss image holds the floor exactly when it holds the deletions', async () => {
    let cases = 0;
    await forEachSyncBoundary({
      setup: (fs) => {
        fs.mkdirp(dir);
        fs.flushAll();
      },
      workload: async (fs) => {
        const db = await open(path, { fs, mvcc: true });
        await rewrite(db, versions);
        await db.pruneCellVersions(db.commitSeq(), 100);
        await db.close();
      },
      when: 'both',
      check: async (image: FaultyFileSystem) => {
        cases++;
        const db = await open(path, { fs: image, mvcc: true });
        try {
          const key = cellKey(at);
          const rows = db.storage.view((tx) =>
            [...tx.range({ start: key, end: prefixEnd(key) })].length);
          const head = db.commitSeq();
          if (head <= BigInt(versions)) {
            // The prune commit is not in this image: nothing removed, no floor.
            expect(db.pruneFloor()).toBe(0n);
            expect(rows).toBe(Number(head));
            if (head > 1n) expect(content(db, 1n)).toBe('v1');
          } else {
            expect(db.pruneFloor()).toBe(BigInt(versions));
            expect(rows).toBe(1);
            expectCode(() => content(db, 1n), 'ReadSeqPruned');
          }
          expect(content(db, head)).toBe(head === 0n ? undefined : `v${Math.min(Number(head),
            versions)}`);
        } finally {
          await db.close();
        }
      },
    });
    expect(cases).toBeGreaterThan(4);
  });
});
