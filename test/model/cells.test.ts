/**
 * Goal: cells (SPEC §3.1) behave as documented through the public transaction API, on format v1
 * and on MVCC format v2: put with defaults, re-put keeping createdAtMs, the tag/source/week
 * indexes (written, cleaned up on re-put and delete, unchanged entries not rewritten), listings
 * in key order with paging, distinctTags in JS string order, the validator and after-put hooks,
 * delete with its cascade (indexes, facets, out-edges, embedding; seams and in-edges stay),
 * typed errors that leave nothing written, and persistence across reopen.
 * Method: a temporary database per test (checked and reopened by the harness after each test);
 * the wall clock is faked (Date only) so stamped times are known exactly.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { comparePackedCoords, coord, packCoord, type Coord } from '../../src/coord/index.js';
import { embeddingKey, splitSeq, tagIndexKey } from '../../src/engine/keys.js';
import type { Cell } from '../../src/engine/records.js';
import type { WriteTx } from '../../src/engine/tx.js';
import { weekBucket } from '../../src/engine/week-bucket.js';
import { isHexxlaError, type ErrorCode } from '../../src/errors.js';
import { RecordReader, RecordWriter } from '../../src/mvcc/records.js';
import type { Database } from '../../src/index.js';
import { compareBytes, expectErrorCode, startsWith } from '../engine/helpers.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();
const t0 = Date.UTC(2024, 5, 3, 12, 0, 0);
const a = coord(0, 0);
const b = coord(1, -1);
const c = coord(-2, 5);
const d = coord(7, 3);
const day = 86_400_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(t0);
});
afterEach(() => {
  vi.useRealTimers();
});

const coordsOf = (cells: readonly Cell[]): Coord[] => cells.map((x) => x.coord);
const byKey = (cs: Coord[]): Coord[] =>
  [...cs].sort((x, y) => comparePackedCoords(packCoord(x), packCoord(y)));

async function expectRejects(run: Promise<unknown>, code: ErrorCode): Promise<void> {
  const caught = await run.then(() => undefined, (e: unknown) => e);
  expect(isHexxlaError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
}

/** Every listing of the head, for comparing "nothing changed". */
function everything(db: Database, tags: string[], sources: string[], buckets: number[]) {
  return db.view((tx) => ({
    all: tx.listCells(),
    tags: tx.distinctTags(),
    byTag: tags.map((t) => tx.listCellsByTag(t)),
    bySource: sources.map((s) => tx.listCellsBySource(s)),
    byWeek: buckets.map((w) => tx.listCellsByWeek(w)),
  }));
}

describe.each([false, true])('cells (mvcc %s)', (mvcc) => {
  it('puts a cell with defaults and reads it back, also after reopen', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const put = await tmp.db.update((tx) => tx.putCell({ coord: a, rawContent: 'hello' }));
    const expected: Cell = {
      coord: a, rawContent: 'hello', tags: [], validity: {}, activeFacetId: 0,
      provenance: { sourceId: '', confidence: 1, createdAtMs: t0, updatedAtMs: t0 },
    };
    expect(put).toEqual(expected);
    expect(tmp.db.getCell(a)).toEqual(expected);
    expect(tmp.db.getCell(b)).toBeUndefined();
    // Facet 0 is the raw content verbatim.
    expect(tmp.db.view((tx) => tx.getFacet(a, 0))?.derivedContent).toBe('hello');
    await tmp.reopen();
    expect(tmp.db.view((tx) => tx.getCell(a))).toEqual(expected);
    expect(tmp.db.view((tx) => tx.listCells())).toEqual([expected]);
  });

  it('refuses a cell over the value limit (or whose facet 0 is) and writes nothing', async () => {
    const tmp = await tmpDb.open({ mvcc, maxValueBytes: 512 });
    const limit = tmp.db.maxValueBytes();
    // Random-looking content does not compress, so the encoded size follows its length.
    const noise = (n: number): string =>
      Array.from({ length: n }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('');
    await expect(tmp.db.update((tx) => tx.putCell({ coord: a, rawContent: noise(limit) })))
      .rejects.toMatchObject({ code: 'ValueTooLarge' });
    // Just under the limit for the cell record, but facet 0 (a few bytes larger) is over it.
    let n = limit - 60;
    while (n < limit) {
      const ok = await tmp.db.update((tx) => {
        try {
          tx.putCell({ coord: b, rawContent: noise(n) });
          return true;
        } catch (err) {
          expect(isHexxlaError(err, 'ValueTooLarge')).toBe(true);
          return false;
        }
      });
      if (!ok) break;
      n++;
    }
    expect(n).toBeLessThan(limit);
    expect(tmp.db.getCell(a)).toBeUndefined();
    expect(tmp.db.view((tx) => tx.getCell(b)?.rawContent.length)).toBe(n - 1);
  });

  it('keeps every given field and does not share the caller\'s objects', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const tags = ['x', 'y'];
    const input = {
      coord: { q: c.q, r: c.r }, rawContent: 'full', tags,
      provenance: { sourceId: 'src', confidence: 0.5, createdAtMs: -3, updatedAtMs: 9 },
      validity: { validFromMs: t0 - day, validToMs: t0 + day },
      clusterHint: coord(100, -100), activeFacetId: 3 as const,
    };
    const put = await tmp.db.putCell(input);
    tags.push('z');
    input.coord.q = 99;
    expect(put).toEqual({ ...input, coord: c, tags: ['x', 'y'] });
    expect(tmp.db.getCell(c)).toEqual(put);
  });

  it('re-put keeps createdAtMs, stamps updatedAtMs and rewrites facet 0', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.putCell({ coord: a, rawContent: 'v1', provenance: { createdAtMs: 5 } });
    vi.setSystemTime(t0 + 1000);
    const again = await tmp.db.putCell({ coord: a, rawContent: 'v2' });
    expect(again.provenance).toEqual({
      sourceId: '', confidence: 1, createdAtMs: 5, updatedAtMs: t0 + 1000,
    });
    expect(tmp.db.getCell(a)?.rawContent).toBe('v2');
    expect(tmp.db.view((tx) => tx.getFacet(a, 0))?.derivedContent).toBe('v2');
    // A cell put fresh after a delete starts a new life: createdAtMs is the commit time again.
    await tmp.db.deleteCell(a);
    vi.setSystemTime(t0 + 2000);
    expect((await tmp.db.putCell({ coord: a, rawContent: 'v3' })).provenance.createdAtMs)
      .toBe(t0 + 2000);
  });

  it('lists by tag, source and week in key order, with paging', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const week = weekBucket(t0);
    const all = [a, b, c, d];
    await tmp.db.update((tx) => {
      for (const at of all) {
        tx.putCell({ coord: at, rawContent: `${at.q},${at.r}`, tags: ['common'],
          provenance: { sourceId: 'feed' }, validity: { validFromMs: t0 } });
      }
      tx.putCell({ coord: coord(50, 50), rawContent: 'other', tags: ['rare'],
        validity: { validFromMs: t0 + 7 * day } });
    });
    const ordered = byKey(all);
    tmp.db.view((tx) => {
      expect(coordsOf(tx.listCellsByTag('common'))).toEqual(ordered);
      expect(coordsOf(tx.listCellsBySource('feed'))).toEqual(ordered);
      expect(coordsOf(tx.listCellsByWeek(week))).toEqual(ordered);
      expect(coordsOf(tx.listCellsByWeek(week + 1))).toEqual([coord(50, 50)]);
      expect(tx.listCellsByWeek(week + 2)).toEqual([]);
      expect(tx.listCellsByTag('absent')).toEqual([]);
      expect(tx.listCellsBySource('nobody')).toEqual([]);
      expect(coordsOf(tx.listCells())).toEqual(byKey([...all, coord(50, 50)]));
      // Paging: limit, then resume after the last coordinate of the page.
      const first = coordsOf(tx.listCellsByTag('common', { limit: 2 }));
      expect(first).toEqual(ordered.slice(0, 2));
      const rest = coordsOf(tx.listCellsByTag('common', { after: first[1] as Coord }));
      expect(rest).toEqual(ordered.slice(2));
      expect(coordsOf(tx.listCellsBySource('feed', { after: ordered[0] as Coord, limit: 1 })))
        .toEqual([ordered[1]]);
      expect(coordsOf(tx.listCellsByWeek(week, { after: ordered[3] as Coord }))).toEqual([]);
      expect(coordsOf(tx.listCells({ after: ordered[2] as Coord, limit: 10 })).length).toBe(2);
      expect(tx.listCells({ limit: 0 })).toEqual([]);
      // `after` need not be a listed coordinate.
      expect(coordsOf(tx.listCellsByTag('common', { after: coord(-1000, 7) })).length)
        .toBeLessThanOrEqual(4);
    });
  });

  it('distinctTags is sorted in JS string order, not the index order', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: '', tags: ['zz', 'aaa', 'b'] });
      tx.putCell({ coord: b, rawContent: '', tags: ['aaa', 'Zeta', 'é'] });
      tx.putCell({ coord: c, rawContent: '', tags: ['zz'] });
    });
    expect(tmp.db.view((tx) => tx.distinctTags())).toEqual(['Zeta', 'aaa', 'b', 'zz', 'é']);
    await tmp.db.deleteCell(b);
    expect(tmp.db.view((tx) => tx.distinctTags())).toEqual(['aaa', 'b', 'zz']);
    await tmp.reopen();
    expect(tmp.db.view((tx) => tx.distinctTags())).toEqual(['aaa', 'b', 'zz']);
  });

  it('re-put removes the index entries the new version no longer has', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const w1 = weekBucket(t0);
    const w2 = weekBucket(t0 + 14 * day);
    await tmp.db.putCell({ coord: a, rawContent: 'r', tags: ['one', 'two'],
      provenance: { sourceId: 's1' }, validity: { validFromMs: t0 } });
    await tmp.db.putCell({ coord: a, rawContent: 'r', tags: ['two', 'three'],
      provenance: { sourceId: 's2' }, validity: { validFromMs: t0 + 14 * day } });
    let seen = everything(tmp.db, ['one', 'two', 'three'], ['s1', 's2'], [w1, w2]);
    expect(seen.tags).toEqual(['three', 'two']);
    expect(seen.byTag.map(coordsOf)).toEqual([[], [a], [a]]);
    expect(seen.bySource.map(coordsOf)).toEqual([[], [a]]);
    expect(seen.byWeek.map(coordsOf)).toEqual([[], [a]]);
    // No source, no validFrom: no entries at all.
    await tmp.db.putCell({ coord: a, rawContent: 'r', validity: { validToMs: t0 } });
    seen = everything(tmp.db, ['two', 'three'], ['s2'], [w2]);
    expect(seen.tags).toEqual([]);
    expect([...seen.byTag, ...seen.bySource, ...seen.byWeek]).toEqual([[], [], [], []]);
    expect(seen.all.length).toBe(1);
  });

  it('delete removes the cell and its index entries; a missing cell is no error', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'gone', tags: ['t'], provenance: { sourceId: 's' },
        validity: { validFromMs: t0 } });
      tx.putCell({ coord: b, rawContent: 'stays', tags: ['t'] });
    });
    expect(await tmp.db.deleteCell(a)).toBe(true);
    expect(await tmp.db.deleteCell(a)).toBe(false);
    expect(await tmp.db.deleteCell(d)).toBe(false);
    const seen = everything(tmp.db, ['t'], ['s'], [weekBucket(t0)]);
    expect(coordsOf(seen.all)).toEqual([b]);
    expect(seen.tags).toEqual(['t']);
    expect(seen.byTag.map(coordsOf)).toEqual([[b]]);
    expect(seen.bySource).toEqual([[]]);
    expect(seen.byWeek).toEqual([[]]);
    await tmp.reopen();
    expect(tmp.db.getCell(a)).toBeUndefined();
  });

  it('delete cascades to facets, out-edges and the embedding; seams and in-edges stay',
    async () => {
      const tmp = await tmpDb.open({ mvcc });
      const seam = await tmp.db.update((tx) => {
        tx.putCell({ coord: a, rawContent: 'a' });
        tx.putCell({ coord: b, rawContent: 'b' });
        tx.putFacet(a, { id: 1, derivedContent: 'summary' });
        tx.linkCells(a, b, 'see-also');
        tx.linkCells(a, c, 'depends-on');
        tx.linkCells(b, a, 'see-also');
        return tx.markConflict(a, b, { reason: 'disagree' });
      });
      // No public embedding API yet: write the record through the versioned layer.
      await tmp.db.storage.update((tx) => {
        new RecordWriter(tx, mvcc).put(embeddingKey(a), Uint8Array.of(1, 2, 3));
      });
      const embedding = (): Uint8Array | undefined => tmp.db.storage.view((tx) =>
        new RecordReader(tx, mvcc, tmp.db.commitSeq()).get(embeddingKey(a)));
      expect(embedding()).toEqual(Uint8Array.of(1, 2, 3));
      expect(await tmp.db.deleteCell(a)).toBe(true);
      tmp.db.view((tx) => {
        expect(tx.listFacets(a)).toEqual([]);
        expect(tx.listEdges(a)).toEqual([]);
        expect(tx.getEdge(b, a, 'see-also')).toBeDefined();
        expect(tx.getSeam(seam.id)).toEqual(seam);
        expect(tx.listFacets(b).map((f) => f.id)).toEqual([0, 2]);
      });
      expect(embedding()).toBeUndefined();
    });

  it('does not rewrite unchanged index entries on re-put', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.putCell({ coord: a, rawContent: '1', tags: ['keep', 'drop'] });
    await tmp.db.putCell({ coord: a, rawContent: '2', tags: ['keep'] });
    await tmp.db.putCell({ coord: a, rawContent: '3', tags: ['keep', 'new'] });
    const versions = (tag: string): number => tmp.db.storage.view((tx) => {
      const prefix = tagIndexKey(tag, a);
      let n = 0;
      for (const [key] of tx.range({ start: prefix })) {
        if (!startsWith(key, prefix)) break;
        const logical = mvcc ? splitSeq(key).logical : key;
        if (compareBytes(logical, prefix) === 0) n++;
      }
      return n;
    });
    // v1: the live entry only. v2: 'keep' was written once; 'drop' has its put and a tombstone.
    expect(versions('keep')).toBe(1);
    expect(versions('new')).toBe(1);
    expect(versions('drop')).toBe(mvcc ? 2 : 0);
  });

  it('a validator rejection writes nothing, even inside a transaction that commits', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const seenByValidator: Cell[] = [];
    tmp.db.setHooks({
      validateCell: (cell) => {
        seenByValidator.push(cell);
        if (cell.rawContent.includes('forbidden')) throw new Error('rejected by policy');
      },
    });
    await tmp.db.putCell({ coord: a, rawContent: 'fine', tags: ['ok'] });
    expect(seenByValidator[0]?.provenance.createdAtMs).toBe(t0);
    const before = everything(tmp.db, ['ok', 'bad'], ['s'], [weekBucket(t0)]);
    const failure = await tmp.db.update((tx) => {
      tx.putCell({ coord: c, rawContent: 'also fine' });
      try {
        tx.putCell({ coord: b, rawContent: 'forbidden', tags: ['bad'],
          provenance: { sourceId: 's' }, validity: { validFromMs: t0 } });
      } catch (e) {
        return e;
      }
      return undefined;
    });
    expect(String(failure)).toContain('rejected by policy');
    // The re-put of an existing cell that the validator rejects leaves the old version.
    await expect(tmp.db.putCell({ coord: a, rawContent: 'forbidden', tags: ['bad'] }))
      .rejects.toThrow('rejected by policy');
    const after = everything(tmp.db, ['ok', 'bad'], ['s'], [weekBucket(t0)]);
    expect(coordsOf(after.all)).toEqual(byKey([a, c]));
    expect({ ...after, all: [] }).toEqual({ ...before, all: [] });
    expect(tmp.db.getCell(a)?.rawContent).toBe('fine');
    expect(tmp.db.view((tx) => tx.getFacet(b, 0))).toBeUndefined();
  });

  it('afterPutCell runs only after the commit, and never on rollback', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const fired: string[] = [];
    tmp.db.setHooks({ afterPutCell: (cell) => fired.push(cell.rawContent) });
    let firedInside = -1;
    await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'first' });
      tx.putCell({ coord: b, rawContent: 'second' });
      firedInside = fired.length;
    });
    expect(firedInside).toBe(0);
    expect(fired).toEqual(['first', 'second']);
    await expect(tmp.db.update((tx) => {
      tx.putCell({ coord: c, rawContent: 'rolled back' });
      throw new Error('abort');
    })).rejects.toThrow('abort');
    expect(fired).toEqual(['first', 'second']);
    expect(tmp.db.getCell(c)).toBeUndefined();
    // A throwing hook does not fail the commit; onHookError receives the error.
    const hookErrors: unknown[] = [];
    tmp.db.setHooks({
      afterPutCell: () => { throw new Error('hook broke'); },
      onHookError: (e) => hookErrors.push(e),
    });
    await tmp.db.putCell({ coord: d, rawContent: 'kept' });
    expect(tmp.db.getCell(d)?.rawContent).toBe('kept');
    expect(String(hookErrors[0])).toContain('hook broke');
  });

  it('rejects bad input with typed errors and writes nothing', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.putCell({ coord: a, rawContent: 'base', tags: ['t'] });
    const bad: [unknown, ErrorCode][] = [
      [null, 'InvalidArgument'],
      [{ coord: { q: 1.5, r: 0 }, rawContent: 'x' }, 'InvalidCoordinate'],
      [{ coord: { q: 2 ** 31, r: 0 }, rawContent: 'x' }, 'InvalidCoordinate'],
      [{ coord: b, rawContent: 5 }, 'InvalidArgument'],
      [{ coord: b, rawContent: 'x', tags: ['t', 't'] }, 'InvalidArgument'],
      [{ coord: b, rawContent: 'x', tags: [''] }, 'InvalidArgument'],
      [{ coord: b, rawContent: 'x', tags: ['x'.repeat(129)] }, 'InvalidArgument'],
      [{ coord: b, rawContent: 'x', tags: 'tag' }, 'InvalidArgument'],
      [{ coord: b, rawContent: 'x', provenance: { confidence: 2 } }, 'InvalidArgument'],
      [{ coord: b, rawContent: 'x', provenance: 'me' }, 'InvalidArgument'],
      [{ coord: b, rawContent: 'x', validity: { validFromMs: 2, validToMs: 1 } },
        'InvalidArgument'],
      [{ coord: b, rawContent: 'x', validity: { validFromMs: 0.5 } }, 'InvalidArgument'],
      [{ coord: b, rawContent: 'x', clusterHint: { q: 0 } }, 'InvalidCoordinate'],
      [{ coord: b, rawContent: 'x', activeFacetId: 6 }, 'InvalidArgument'],
      [{ coord: a, rawContent: 'x', tags: ['new'], provenance: { sourceId: 'x'.repeat(129) } },
        'InvalidArgument'],
    ];
    for (const [input, code] of bad) {
      // Each inside a transaction that goes on to commit: the failed put must leave no trace.
      await tmp.db.update((tx: WriteTx) => {
        expectErrorCode(() => tx.putCell(input as never), code);
      });
    }
    expect(tmp.db.view((tx) => tx.listCells())).toEqual([tmp.db.getCell(a)]);
    expect(tmp.db.view((tx) => tx.distinctTags())).toEqual(['t']);
    await expectRejects(tmp.db.putCell({ coord: b, rawContent: 'x', tags: [''] }),
      'InvalidArgument');
  });

  it('validates listing arguments', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const bad: [(tx: Parameters<Parameters<Database['view']>[0]>[0]) => unknown, ErrorCode][] = [
      [(tx) => tx.getCell({ q: 0.5, r: 0 }), 'InvalidCoordinate'],
      [(tx) => tx.getCell(null as never), 'InvalidCoordinate'],
      [(tx) => tx.listCellsByTag(''), 'InvalidArgument'],
      [(tx) => tx.listCellsByTag(7 as never), 'InvalidArgument'],
      [(tx) => tx.listCellsByTag('x'.repeat(129)), 'InvalidArgument'],
      [(tx) => tx.listCellsBySource(''), 'InvalidArgument'],
      [(tx) => tx.listCellsByWeek(1.5), 'InvalidArgument'],
      [(tx) => tx.listCellsByWeek(2 ** 40), 'InvalidArgument'],
      [(tx) => tx.listCells({ limit: -1 }), 'InvalidArgument'],
      [(tx) => tx.listCells({ limit: 1.5 }), 'InvalidArgument'],
      [(tx) => tx.listCells({ limit: Infinity }), 'InvalidArgument'],
      [(tx) => tx.listCells('all' as never), 'InvalidArgument'],
      [(tx) => tx.listCells({ after: { q: 1, r: NaN } }), 'InvalidCoordinate'],
      [(tx) => tx.listCellsByTag('t', { after: { q: 2 ** 31, r: 0 } }), 'InvalidCoordinate'],
      [(tx) => tx.listCellsBySource('s', { limit: -2 }), 'InvalidArgument'],
      [(tx) => tx.listCellsByWeek(0, { after: 'a' as never }), 'InvalidCoordinate'],
    ];
    tmp.db.view((tx) => {
      for (const [run, code] of bad) expectErrorCode(() => run(tx), code);
    });
    await expectRejects(tmp.db.deleteCell({ q: 0, r: 2 ** 31 }), 'InvalidCoordinate');
  });

  it('keeps tags in the given order and returns frozen cells', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const put = await tmp.db.putCell({ coord: a, rawContent: 'o', tags: ['b', 'a', 'c'] });
    expect(put.tags).toEqual(['b', 'a', 'c']);
    expect(Object.isFrozen(put) && Object.isFrozen(put.tags)).toBe(true);
    expect(tmp.db.getCell(a)?.tags).toEqual(['b', 'a', 'c']);
  });
});

describe('cells under MVCC history', () => {
  it('old snapshots keep the old index entries', async () => {
    const tmp = await tmpDb.open({ mvcc: true });
    await tmp.db.putCell({ coord: a, rawContent: '1', tags: ['old'],
      provenance: { sourceId: 's' } });
    const seq1 = tmp.db.commitSeq();
    await tmp.db.putCell({ coord: a, rawContent: '2', tags: ['new'] });
    const seq2 = tmp.db.commitSeq();
    await tmp.db.deleteCell(a);
    tmp.db.viewAt(seq1, (tx) => {
      expect(tx.distinctTags()).toEqual(['old']);
      expect(coordsOf(tx.listCellsBySource('s'))).toEqual([a]);
      expect(tx.getCell(a)?.rawContent).toBe('1');
    });
    tmp.db.viewAt(seq2, (tx) => {
      expect(tx.distinctTags()).toEqual(['new']);
      expect(tx.listCellsBySource('s')).toEqual([]);
      expect(coordsOf(tx.listCellsByTag('new'))).toEqual([a]);
    });
    tmp.db.view((tx) => {
      expect(tx.listCells()).toEqual([]);
      expect(tx.distinctTags()).toEqual([]);
    });
  });
});
