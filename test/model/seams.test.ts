/**
 * Goal: seams (SPEC §3.4) behave as documented through the public API on format v1 and on MVCC
 * format v2: mark conflict / supersedes with defaults, resolve, get, seams of a cell, find within
 * a radius (unresolved only, as of a time, deduplicated, oldest first), listings by id, source and
 * week with paging, the after-put hook, facet 2 notes, typed errors that write nothing, seams
 * outliving their cells, and persistence across reopen.
 * Method: a temporary database per test (checked and reopened by the harness after each test);
 * the wall clock is faked (Date only) so that detectedAtMs and week buckets are known exactly.
 * Expected results of findSeams come from a direct model: distance of each seam's cells.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coord, distance, type Coord } from '../../src/coord/index.js';
import type { Seam } from '../../src/engine/records.js';
import type { WriteTx } from '../../src/engine/tx.js';
import { ulidTimeMs, ulidToString } from '../../src/engine/ulid.js';
import { weekBucket } from '../../src/engine/week-bucket.js';
import { findSeamsRadiusMax } from '../../src/model/seams.js';
import { expectErrorCode } from '../engine/helpers.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();
const t0 = Date.UTC(2024, 5, 3, 12, 0, 0); // a Monday
const week = 7 * 86_400_000;
const a = coord(0, 0);
const b = coord(1, -1);
const c = coord(3, 0);
const d = coord(-6, 2);
const nowhere = coord(50, 50);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(t0);
});
afterEach(() => {
  vi.useRealTimers();
});

function putCells(tx: WriteTx, coords: readonly Coord[], sourceId = ''): void {
  for (const at of coords) {
    tx.putCell({ coord: at, rawContent: `cell ${at.q},${at.r}`, provenance: { sourceId } });
  }
}

const ids = (seams: readonly Seam[]): string[] => seams.map((s) => ulidToString(s.id));

describe.each([false, true])('seams (mvcc %s)', (mvcc) => {
  it('marks a conflict with defaults and finds it from both cells', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const seam = await tmp.db.update((tx) => {
      putCells(tx, [a, b]);
      return tx.markConflict(a, b);
    });
    expect(seam).toMatchObject({ cellA: a, cellB: b, seamType: 'conflict', reason: '',
      confidenceDelta: 0, detectedAtMs: t0, resolutionStatus: 'unresolved', resolutionNote: '' });
    expect(seam.id).toHaveLength(16);
    expect(ulidTimeMs(seam.id)).toBeGreaterThanOrEqual(t0);
    await tmp.reopen();
    tmp.db.view((tx) => {
      expect(tx.getSeam(seam.id)).toEqual(seam);
      expect(tx.seamsOfCell(a)).toEqual([seam]);
      expect(tx.seamsOfCell(b)).toEqual([seam]);
      expect(tx.seamsOfCell(c)).toEqual([]);
      expect(tx.listSeams()).toEqual([seam]);
      expect(tx.listSeamsByWeek(weekBucket(t0))).toEqual([seam]);
      expect(tx.listSeamsByWeek(weekBucket(t0) + 1)).toEqual([]);
    });
  });

  it('marks supersedes with cellA = newer and keeps the given details', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const seam = await tmp.db.update((tx) => {
      putCells(tx, [a, b]);
      return tx.markSupersedes(b, a, { reason: 'newer fact', confidenceDelta: -0.5 });
    });
    expect(seam).toMatchObject({ cellA: b, cellB: a, seamType: 'supersedes',
      reason: 'newer fact', confidenceDelta: -0.5 });
    expect(tmp.db.view((tx) => tx.getSeam(seam.id))).toEqual(seam);
  });

  it('notes the seam in facet 2 of both cells', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      putCells(tx, [a, b]);
      tx.markConflict(a, b, { reason: 'disagree' });
    });
    tmp.db.view((tx) => {
      expect(tx.getFacet(a, 2)).toBeDefined();
      expect(tx.getFacet(b, 2)).toBeDefined();
      expect(tx.getFacet(c, 2)).toBeUndefined();
    });
  });

  it('resolves a seam, also again, and keeps the old state in older snapshots', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const seam = await tmp.db.update((tx) => {
      putCells(tx, [a, b]);
      return tx.markConflict(a, b);
    });
    const seqMarked = tmp.db.commitSeq();
    const merged = await tmp.db.update((tx) => tx.resolveSeam(seam.id, 'merged', 'same fact'));
    expect(merged).toEqual({ ...seam, resolutionStatus: 'merged', resolutionNote: 'same fact' });
    const archived = await tmp.db.update((tx) => tx.resolveSeam(seam.id, 'archived'));
    expect(archived).toEqual({ ...seam, resolutionStatus: 'archived', resolutionNote: '' });
    expect(tmp.db.view((tx) => tx.getSeam(seam.id))).toEqual(archived);
    // Indexes are unaffected by the status.
    expect(tmp.db.view((tx) => tx.seamsOfCell(a))).toEqual([archived]);
    if (mvcc) {
      expect(tmp.db.viewAt(seqMarked, (tx) => tx.getSeam(seam.id))).toEqual(seam);
    }
  });

  it('rejects bad resolutions with typed errors', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const seam = await tmp.db.update((tx) => {
      putCells(tx, [a, b]);
      return tx.markConflict(a, b);
    });
    await tmp.db.update((tx) => {
      const unknown = seam.id.slice();
      unknown[15] = (unknown[15] ?? 0) ^ 0xff;
      expectErrorCode(() => tx.resolveSeam(unknown, 'merged'), 'NotFound');
      for (const status of ['unresolved', 'bogus', '', undefined]) {
        expectErrorCode(() => tx.resolveSeam(seam.id, status as never), 'InvalidArgument');
      }
      expectErrorCode(() => tx.resolveSeam(seam.id, 'merged', '\udc00'), 'InvalidArgument');
      expectErrorCode(() => tx.resolveSeam(seam.id, 'merged', 5 as never), 'InvalidArgument');
      for (const badId of [new Uint8Array(15), 'x', null]) {
        expectErrorCode(() => tx.resolveSeam(badId as never, 'merged'), 'InvalidArgument');
        expectErrorCode(() => tx.getSeam(badId as never), 'InvalidArgument');
      }
    });
    expect(tmp.db.view((tx) => tx.getSeam(seam.id))).toEqual(seam);
  });

  it('rejects bad marks with typed errors and writes nothing', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const hook = vi.fn();
    tmp.db.setHooks({ afterPutSeam: hook });
    await tmp.db.update((tx) => {
      putCells(tx, [a, b], 'src');
      expectErrorCode(() => tx.markConflict(a, nowhere), 'NotFound');
      expectErrorCode(() => tx.markSupersedes(nowhere, b), 'NotFound');
      expectErrorCode(() => tx.markConflict(a, coord(0, 0)), 'InvalidArgument');
      expectErrorCode(() => tx.markSupersedes(nowhere, nowhere), 'InvalidArgument');
      for (const bad of [{ q: 1.5, r: 0 }, { q: 0, r: -(2 ** 31) - 1 }, null, undefined]) {
        expectErrorCode(() => tx.markConflict(bad as Coord, b), 'InvalidCoordinate');
        expectErrorCode(() => tx.markSupersedes(a, bad as Coord), 'InvalidCoordinate');
        expectErrorCode(() => tx.seamsOfCell(bad as Coord), 'InvalidCoordinate');
      }
      const badInputs = [null, 7, { reason: '\ud800' }, { reason: 3 },
        { confidenceDelta: Number.NaN }, { confidenceDelta: Infinity }, { confidenceDelta: '1' }];
      for (const input of badInputs) {
        expectErrorCode(() => tx.markConflict(a, b, input as never), 'InvalidArgument');
      }
    });
    tmp.db.view((tx) => {
      expect(tx.listSeams()).toEqual([]);
      expect(tx.seamsOfCell(a)).toEqual([]);
      expect(tx.seamsOfCell(b)).toEqual([]);
      expect(tx.listSeamsBySource('src')).toEqual([]);
      expect(tx.listSeamsByWeek(weekBucket(t0))).toEqual([]);
      expect(tx.findSeams(a, 5)).toEqual([]);
      expect(tx.getFacet(a, 2)).toBeUndefined();
    });
    expect(hook).not.toHaveBeenCalled();
  });

  it('calls afterPutSeam after the commit, for marks and resolutions', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const calls: string[] = [];
    tmp.db.setHooks({ afterPutSeam: (s) => calls.push(`${s.seamType}:${s.resolutionStatus}`) });
    const seam = await tmp.db.update((tx) => {
      putCells(tx, [a, b, c]);
      const s = tx.markConflict(a, b);
      expect(calls).toEqual([]); // not before the commit is durable
      return s;
    });
    expect(calls).toEqual(['conflict:unresolved']);
    await tmp.db.update((tx) => tx.resolveSeam(seam.id, 'merged'));
    expect(calls).toEqual(['conflict:unresolved', 'conflict:merged']);
    // A rolled-back update calls nothing.
    await expect(tmp.db.update((tx) => {
      tx.markSupersedes(c, a);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(calls).toHaveLength(2);
    expect(tmp.db.view((tx) => tx.seamsOfCell(c))).toEqual([]);
  });

  it('lists seams oldest first with paging', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const made = await tmp.db.update((tx) => {
      putCells(tx, [a, b, c, d]);
      return [tx.markConflict(a, b), tx.markConflict(c, d), tx.markSupersedes(b, c),
        tx.markConflict(d, a), tx.markConflict(a, b)];
    });
    const all = ids(made);
    expect([...all].sort()).toEqual(all); // ULIDs of one generator increase
    tmp.db.view((tx) => {
      expect(ids(tx.listSeams())).toEqual(all);
      const first = tx.listSeams({ limit: 2 });
      expect(ids(first)).toEqual(all.slice(0, 2));
      const rest = tx.listSeams({ after: first[1]?.id });
      expect(ids(rest)).toEqual(all.slice(2));
      expect(tx.listSeams({ limit: 0 })).toEqual([]);
      expect(ids(tx.seamsOfCell(a))).toEqual([all[0], all[3], all[4]]);
      expect(ids(tx.seamsOfCell(b))).toEqual([all[0], all[2], all[4]]);
      for (const bad of [{ limit: -1 }, { limit: 1.5 }, { after: new Uint8Array(3) }, null]) {
        expectErrorCode(() => tx.listSeams(bad as never), 'InvalidArgument');
        expectErrorCode(() => tx.listSeamsBySource('s', bad as never), 'InvalidArgument');
        expectErrorCode(() => tx.listSeamsByWeek(0, bad as never), 'InvalidArgument');
      }
    });
  });

  it('indexes seams by the distinct sources of their cells', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const one = [coord(0, 1), coord(0, 2), coord(0, 3)];
    const two = [coord(1, 1), coord(1, 2)];
    const none = [coord(2, 1), coord(2, 2)];
    const made = await tmp.db.update((tx) => {
      putCells(tx, one, 'one');
      putCells(tx, two, 'two');
      putCells(tx, none);
      return {
        oneOne: tx.markConflict(one[0] as Coord, one[1] as Coord),
        oneTwo: tx.markSupersedes(two[0] as Coord, one[2] as Coord),
        twoNone: tx.markConflict(none[0] as Coord, two[1] as Coord),
        noneNone: tx.markConflict(none[0] as Coord, none[1] as Coord),
        oneOneAgain: tx.markConflict(one[2] as Coord, one[0] as Coord),
      };
    });
    tmp.db.view((tx) => {
      expect(ids(tx.listSeamsBySource('one')))
        .toEqual(ids([made.oneOne, made.oneTwo, made.oneOneAgain]));
      expect(ids(tx.listSeamsBySource('two'))).toEqual(ids([made.oneTwo, made.twoNone]));
      expect(tx.listSeamsBySource('three')).toEqual([]);
      const page = tx.listSeamsBySource('one', { limit: 1, after: made.oneOne.id });
      expect(ids(page)).toEqual(ids([made.oneTwo]));
      for (const bad of ['', 'x'.repeat(129), '\ud800', 1]) {
        expectErrorCode(() => tx.listSeamsBySource(bad as never), 'InvalidArgument');
      }
    });
    expect(tmp.db.view((tx) => tx.listSeams())).toHaveLength(5);
  });

  it('indexes seams by the week of detection', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const first = await tmp.db.update((tx) => {
      putCells(tx, [a, b, c]);
      return [tx.markConflict(a, b), tx.markConflict(b, c)];
    });
    vi.setSystemTime(t0 + week);
    const second = await tmp.db.update((tx) => [tx.markSupersedes(c, a)]);
    expect(second[0]?.detectedAtMs).toBe(t0 + week);
    tmp.db.view((tx) => {
      expect(ids(tx.listSeamsByWeek(weekBucket(t0)))).toEqual(ids(first));
      expect(ids(tx.listSeamsByWeek(weekBucket(t0 + week)))).toEqual(ids(second));
      expect(ids(tx.listSeamsByWeek(weekBucket(t0), { after: first[0]?.id })))
        .toEqual(ids(first.slice(1)));
      expect(tx.listSeamsByWeek(weekBucket(t0) - 1)).toEqual([]);
      for (const bad of [0.5, Number.NaN, 2 ** 40]) {
        expectErrorCode(() => tx.listSeamsByWeek(bad), 'InvalidArgument');
      }
    });
  });

  it('finds seams within a radius, deduplicated, oldest first, with filters', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const cells = [a, b, c, d, coord(2, 2), coord(-1, 0), coord(5, -5)];
    const made: Seam[] = [];
    await tmp.db.update((tx) => {
      putCells(tx, cells);
      made.push(tx.markConflict(a, b), tx.markConflict(c, d), tx.markSupersedes(coord(2, 2), a));
    });
    vi.setSystemTime(t0 + 1000);
    await tmp.db.update((tx) => {
      made.push(tx.markConflict(coord(-1, 0), b), tx.markConflict(coord(5, -5), d));
      tx.resolveSeam((made[0] as Seam).id, 'merged');
    });
    const current = tmp.db.view((tx) => tx.listSeams());
    const model = (center: Coord, radius: number, unresolvedOnly = false, asOfMs = Infinity) =>
      ids(current.filter((s) =>
        Math.min(distance(center, s.cellA), distance(center, s.cellB)) <= radius &&
        (!unresolvedOnly || s.resolutionStatus === 'unresolved') && s.detectedAtMs <= asOfMs));
    tmp.db.view((tx) => {
      for (const center of [a, b, c, d, coord(3, -3), nowhere]) {
        for (const radius of [0, 1, 2, 3, 6, 12]) {
          const found = tx.findSeams(center, radius);
          expect(ids(found), `${center.q},${center.r} r${radius}`).toEqual(model(center, radius));
          expect(ids(tx.findSeams(center, radius, { unresolvedOnly: true })))
            .toEqual(model(center, radius, true));
          expect(ids(tx.findSeams(center, radius, { asOfMs: t0 })))
            .toEqual(model(center, radius, false, t0));
          expect(ids(tx.findSeams(center, radius, { unresolvedOnly: true, asOfMs: t0 - 1 })))
            .toEqual([]);
        }
      }
      // Both cells of seam 0 lie within radius 1 of a: it is listed once.
      expect(ids(tx.findSeams(a, 1))).toEqual(ids([made[0], made[2], made[3]] as Seam[]));
    });
  });

  it('rejects bad findSeams arguments with typed errors', async () => {
    const tmp = await tmpDb.open({ mvcc });
    tmp.db.view((tx) => {
      for (const radius of [-1, 0.5, Number.NaN, findSeamsRadiusMax + 1, '1']) {
        expectErrorCode(() => tx.findSeams(a, radius as never), 'InvalidArgument');
      }
      for (const opts of [null, { unresolvedOnly: 1 }, { asOfMs: 0.5 }, { asOfMs: 2 ** 53 }]) {
        expectErrorCode(() => tx.findSeams(a, 1, opts as never), 'InvalidArgument');
      }
      expectErrorCode(() => tx.findSeams({ q: 0.5, r: 0 }, 1), 'InvalidCoordinate');
      // The area must stay inside the coordinate range.
      expectErrorCode(() => tx.findSeams(coord(2 ** 31 - 1, 0), 1), 'InvalidCoordinate');
      expect(tx.findSeams(coord(2 ** 31 - 2, 0), 1)).toEqual([]);
    });
  });

  it('keeps seams when their cells are deleted', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const seam = await tmp.db.update((tx) => {
      putCells(tx, [a, b], 'src');
      return tx.markConflict(a, b);
    });
    await tmp.db.update((tx) => {
      expect(tx.deleteCell(a)).toBe(true);
      expect(tx.deleteCell(b)).toBe(true);
    });
    await tmp.reopen();
    tmp.db.view((tx) => {
      expect(tx.getCell(a)).toBeUndefined();
      expect(tx.getSeam(seam.id)).toEqual(seam);
      expect(tx.seamsOfCell(a)).toEqual([seam]);
      expect(tx.findSeams(b, 0)).toEqual([seam]);
      expect(tx.listSeamsBySource('src')).toEqual([seam]);
    });
    // A seam of a deleted cell can still be resolved; a new mark needs the cell again.
    await tmp.db.update((tx) => {
      tx.resolveSeam(seam.id, 'archived', 'cells gone');
      expectErrorCode(() => tx.markConflict(a, b), 'NotFound');
    });
  });
});
