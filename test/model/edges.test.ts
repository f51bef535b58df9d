/**
 * Goal: edges (SPEC §3.3) behave as documented through the public transaction API, on format v1
 * and on MVCC format v2: put with defaults, overwrite of the same (from, to, type) triple keeping
 * createdAtMs, get, list out-edges in key order, delete, linkCells sugar, typed errors that leave
 * nothing written, and persistence across reopen.
 * Method: a temporary database per test (checked and reopened by the harness after each test);
 * the wall clock is faked (Date only) so that stamped times are known exactly.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coord, packCoord, type Coord } from '../../src/coord/index.js';
import type { Edge } from '../../src/engine/records.js';
import type { WriteTx } from '../../src/engine/tx.js';
import { compareBytes, expectErrorCode } from '../engine/helpers.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();
const t0 = Date.UTC(2024, 5, 3, 12, 0, 0);
const a = coord(0, 0);
const b = coord(1, -1);
const c = coord(-2, 5);
const nowhere = coord(40, 40);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(t0);
});
afterEach(() => {
  vi.useRealTimers();
});

function putCells(tx: WriteTx, ...coords: Coord[]): void {
  for (const at of coords) tx.putCell({ coord: at, rawContent: `cell ${at.q},${at.r}` });
}

describe.each([false, true])('edges (mvcc %s)', (mvcc) => {
  it('puts an edge with defaults and reads it back', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const put = await tmp.db.update((tx) => {
      putCells(tx, a);
      return tx.putEdge({ from: a, to: b, relationType: 'see-also' });
    });
    const expected: Edge = {
      from: a, to: b, relationType: 'see-also', weight: 1,
      provenance: { sourceId: '', confidence: 1, createdAtMs: t0, updatedAtMs: t0 },
    };
    expect(put).toEqual(expected);
    expect(tmp.db.view((tx) => tx.getEdge(a, b, 'see-also'))).toEqual(expected);
    expect(tmp.db.view((tx) => tx.getEdge(b, a, 'see-also'))).toBeUndefined();
    expect(tmp.db.view((tx) => tx.getEdge(a, b, 'other'))).toBeUndefined();
    await tmp.reopen();
    expect(tmp.db.view((tx) => tx.listEdges(a))).toEqual([expected]);
  });

  it('keeps given fields and lets `to` be a coordinate without a cell', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const provenance = { sourceId: 'src', confidence: 0.25, createdAtMs: -5, updatedAtMs: 7 };
    const edge = await tmp.db.update((tx) => {
      putCells(tx, a);
      return tx.putEdge({ from: a, to: nowhere, relationType: 'depends-on', weight: -2.5,
        provenance });
    });
    expect(edge).toEqual({ from: a, to: nowhere, relationType: 'depends-on', weight: -2.5,
      provenance });
    expect(tmp.db.view((tx) => tx.getEdge(a, nowhere, 'depends-on'))).toEqual(edge);
  });

  it('overwrites the same triple, keeping createdAtMs', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      putCells(tx, a);
      tx.putEdge({ from: a, to: b, relationType: 'supports', weight: 1,
        provenance: { sourceId: 'first' } });
    });
    const seqBefore = tmp.db.commitSeq();
    vi.setSystemTime(t0 + 60_000);
    await tmp.db.update((tx) => tx.putEdge({ from: a, to: b, relationType: 'supports',
      weight: 3 }));
    const edges = tmp.db.view((tx) => tx.listEdges(a));
    expect(edges).toEqual([{ from: a, to: b, relationType: 'supports', weight: 3,
      provenance: { sourceId: '', confidence: 1, createdAtMs: t0, updatedAtMs: t0 + 60_000 } }]);
    if (mvcc) {
      // The overwrite is a new version: the older snapshot still sees the first edge.
      const old = tmp.db.viewAt(seqBefore, (tx) => tx.getEdge(a, b, 'supports'));
      expect(old?.weight).toBe(1);
      expect(old?.provenance.sourceId).toBe('first');
    }
  });

  it('lists out-edges in key order and only those of the cell', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const targets = [b, c, nowhere, coord(3, 3)];
    await tmp.db.update((tx) => {
      putCells(tx, a, b);
      for (const to of targets) tx.linkCells(a, to, 'related-to', 2);
      tx.linkCells(a, b, 'follow-up');
      tx.linkCells(a, b, 'ab');
      tx.linkCells(b, a, 'back');
    });
    const listed = tmp.db.view((tx) => tx.listEdges(a));
    expect(listed).toHaveLength(targets.length + 2);
    expect(listed.every((e) => e.from.q === a.q && e.from.r === a.r)).toBe(true);
    // Key order: by packed `to`, then relation type by byte length first.
    const order = (e: Edge): [Uint8Array, number, string] =>
      [packCoord(e.to), e.relationType.length, e.relationType];
    const sorted = [...listed].sort((x, y) => {
      const [px, lx, tx] = order(x);
      const [py, ly, ty] = order(y);
      return compareBytes(px, py) || lx - ly || (tx < ty ? -1 : tx > ty ? 1 : 0);
    });
    expect(listed).toEqual(sorted);
    const toB = listed.filter((e) => e.to.q === b.q && e.to.r === b.r).map((e) => e.relationType);
    expect(toB).toEqual(['ab', 'follow-up', 'related-to']);
    expect(tmp.db.view((tx) => tx.listEdges(b)).map((e) => e.relationType)).toEqual(['back']);
    expect(tmp.db.view((tx) => tx.listEdges(c))).toEqual([]);
  });

  it('deletes one edge and reports whether it existed', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      putCells(tx, a);
      tx.linkCells(a, b, 'x');
      tx.linkCells(a, b, 'y');
    });
    const seqBefore = tmp.db.commitSeq();
    expect(await tmp.db.update((tx) => tx.deleteEdge(a, b, 'x'))).toBe(true);
    expect(await tmp.db.update((tx) => tx.deleteEdge(a, b, 'x'))).toBe(false);
    expect(await tmp.db.update((tx) => tx.deleteEdge(a, c, 'x'))).toBe(false);
    expect(tmp.db.view((tx) => tx.getEdge(a, b, 'x'))).toBeUndefined();
    expect(tmp.db.view((tx) => tx.listEdges(a)).map((e) => e.relationType)).toEqual(['y']);
    if (mvcc) {
      expect(tmp.db.viewAt(seqBefore, (tx) => tx.listEdges(a))).toHaveLength(2);
    }
    // Re-putting a deleted edge brings it back.
    await tmp.db.update((tx) => tx.linkCells(a, b, 'x', 5));
    expect(tmp.db.view((tx) => tx.getEdge(a, b, 'x'))?.weight).toBe(5);
  });

  it('puts and deletes within one transaction', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const seen = await tmp.db.update((tx) => {
      putCells(tx, a);
      tx.linkCells(a, b, 'tmp');
      const inside = tx.getEdge(a, b, 'tmp');
      expect(tx.deleteEdge(a, b, 'tmp')).toBe(true);
      return inside;
    });
    expect(seen?.relationType).toBe('tmp');
    expect(tmp.db.view((tx) => tx.listEdges(a))).toEqual([]);
  });

  it('requires an existing source cell (NotFound) and writes nothing then', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      putCells(tx, b);
      expectErrorCode(() => tx.putEdge({ from: a, to: b, relationType: 'r' }), 'NotFound');
      expectErrorCode(() => tx.linkCells(nowhere, b, 'r'), 'NotFound');
    });
    expect(tmp.db.view((tx) => tx.listEdges(a))).toEqual([]);
    // A deleted cell is missing too.
    await tmp.db.update((tx) => tx.deleteCell(b));
    await tmp.db.update((tx) => {
      expectErrorCode(() => tx.linkCells(b, a, 'r'), 'NotFound');
    });
    expect(tmp.db.view((tx) => tx.listEdges(b))).toEqual([]);
  });

  it('rejects bad input with typed errors and writes nothing', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const badCoords = [{ q: 0.5, r: 0 }, { q: 2 ** 31, r: 0 }, null, undefined] as Coord[];
    const badTypes = ['', 'x'.repeat(129), '\ud800', 7 as unknown as string];
    await tmp.db.update((tx) => {
      putCells(tx, a);
      for (const bad of badCoords) {
        expectErrorCode(() => tx.putEdge({ from: bad, to: b, relationType: 'r' }),
          'InvalidCoordinate');
        expectErrorCode(() => tx.putEdge({ from: a, to: bad, relationType: 'r' }),
          'InvalidCoordinate');
        expectErrorCode(() => tx.getEdge(a, bad, 'r'), 'InvalidCoordinate');
        expectErrorCode(() => tx.listEdges(bad), 'InvalidCoordinate');
        expectErrorCode(() => tx.deleteEdge(bad, b, 'r'), 'InvalidCoordinate');
      }
      for (const bad of badTypes) {
        expectErrorCode(() => tx.linkCells(a, b, bad), 'InvalidArgument');
        expectErrorCode(() => tx.getEdge(a, b, bad), 'InvalidArgument');
        expectErrorCode(() => tx.deleteEdge(a, b, bad), 'InvalidArgument');
      }
      for (const weight of [Number.NaN, Infinity, -Infinity, '1' as unknown as number]) {
        expectErrorCode(() => tx.linkCells(a, b, 'r', weight), 'InvalidArgument');
      }
      const badProvenance = [null, 5, { confidence: 1.5 }, { confidence: Number.NaN },
        { sourceId: 'x'.repeat(129) }, { createdAtMs: 0.5 }, { updatedAtMs: 2 ** 53 }];
      for (const provenance of badProvenance) {
        expectErrorCode(() => tx.putEdge({ from: a, to: b, relationType: 'r',
          provenance: provenance as never }), 'InvalidArgument');
      }
      expectErrorCode(() => tx.putEdge(null as never), 'InvalidArgument');
      // The longest relation type is fine.
      tx.linkCells(a, b, 'é'.repeat(64));
    });
    expect(tmp.db.view((tx) => tx.listEdges(a)).map((e) => e.relationType))
      .toEqual(['é'.repeat(64)]);
  });

  it('keeps inbound edges of a deleted cell (only out-edges cascade)', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      putCells(tx, a, b);
      tx.linkCells(a, b, 'to-b');
      tx.linkCells(b, a, 'to-a');
    });
    expect(await tmp.db.deleteCell(b)).toBe(true);
    expect(tmp.db.view((tx) => tx.listEdges(b))).toEqual([]);
    expect(tmp.db.view((tx) => tx.listEdges(a)).map((e) => e.relationType)).toEqual(['to-b']);
  });
});
