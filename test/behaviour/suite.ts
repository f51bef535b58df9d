/**
 * ONE behaviour suite, run against the in-process engine (engine.test.ts) and against the SDK
 * talking to a live server (service.test.ts): same calls, same assertions, same error codes
 * (PGlite's backend matrix; ARCHITECTURE "Tests").
 *
 * Properties:
 *   - cells: put/get round trip keeps every field; missing reads are undefined; delete says
 *     whether something was deleted; listings by key, tag and source; distinct tags sorted;
 *   - facets: put/get/list; update with the right hash succeeds, with a stale hash fails with
 *     FacetDerivationMismatch and changes nothing; a facet of a missing cell is NotFound;
 *   - edges: default weight 1, get/list/delete; an edge from a missing cell is NotFound;
 *   - seams: conflict and supersedes marks, get by id, resolve, per-cell and radius listings;
 *     unknown ids and missing cells are NotFound;
 *   - ring walks and loadContext return the same cells in the same order;
 *   - MVCC: reads at a seq, a tag and a time see the old state; diff and stats agree;
 *   - error codes: NotFound, InvalidArgument, InvalidCoordinate, ReadSeqFuture,
 *     SnapshotTagNotFound, MvccDisabled — and a failed call changes nothing.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isHexxlaError, type CellInput, type Coord, type ErrorCode } from '../../src/index.js';
import type { BehaviourStore } from './store.js';

/** How a target opens a fresh store for one test. */
export interface BehaviourTarget {
  readonly name: string;
  open(options: { mvcc: boolean }): Promise<BehaviourStore>;
}

/** Awaits `p`, expecting a HexxlaError with `code`. */
export async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  let caught: unknown = null;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(isHexxlaError(caught), `expected ${code}, got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
}

const sha256 = (text: string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(text, 'utf8').digest());

const cellAt = (q: number, r: number, rawContent: string, tags: string[] = [],
  sourceId = 'agent-1'): CellInput => ({
  coord: { q, r }, rawContent, tags, provenance: { sourceId, confidence: 0.75 },
});

const coordKey = (c: Coord): string => `${c.q},${c.r}`;
const keys = (items: readonly { coord: Coord }[]): string[] => items.map((i) => coordKey(i.coord));

export function behaviourSuite(target: BehaviourTarget): void {
  const open = (mvcc = true): Promise<BehaviourStore> => target.open({ mvcc });

  describe(`behaviour [${target.name}]: cells`, () => {
    it('round-trips a cell and reads missing cells as undefined', async () => {
      const s = await open();
      const input: CellInput = { ...cellAt(1, -2, 'the sky is blue', ['colour', 'sky']),
        validity: { validFromMs: Date.UTC(2024, 0, 3), validToMs: Date.UTC(2024, 5, 1) },
        clusterHint: { q: 0, r: 0 }, activeFacetId: 1 };
      const put = await s.putCell(input);
      expect(put).toMatchObject({ coord: { q: 1, r: -2 }, rawContent: 'the sky is blue',
        tags: ['colour', 'sky'], activeFacetId: 1, clusterHint: { q: 0, r: 0 },
        validity: input.validity });
      expect(put.provenance).toMatchObject({ sourceId: 'agent-1', confidence: 0.75 });
      expect(await s.getCell({ q: 1, r: -2 })).toEqual(put);
      expect(await s.getCell({ q: 9, r: 9 })).toBeUndefined();
    });

    it('fills the library defaults', async () => {
      const s = await open();
      const put = await s.putCell({ coord: { q: 0, r: 0 }, rawContent: 'plain' });
      expect(put.tags).toEqual([]);
      expect(put.provenance.confidence).toBe(1);
      expect(put.provenance.sourceId).toBe('');
      expect(put.validity).toEqual({});
      expect(put.activeFacetId).toBe(0);
      const partial = await s.putCell({ coord: { q: 1, r: 0 }, rawContent: 'x',
        provenance: { sourceId: 'only-source' } });
      expect(partial.provenance.confidence).toBe(1);
    });

    it('deletes a cell once', async () => {
      const s = await open();
      await s.putCell(cellAt(2, 2, 'gone soon'));
      expect(await s.deleteCell({ q: 2, r: 2 })).toBe(true);
      expect(await s.getCell({ q: 2, r: 2 })).toBeUndefined();
      expect(await s.deleteCell({ q: 2, r: 2 })).toBe(false);
    });

    it('lists by key, tag and source, and sorts distinct tags', async () => {
      const s = await open();
      const coords = [[0, 0], [1, 0], [-1, 3], [5, -2], [2, 2]] as const;
      for (const [i, [q, r]] of coords.entries()) {
        await s.putCell(cellAt(q, r, `cell ${i}`, i % 2 === 0 ? ['even', 'all'] : ['all'],
          i < 2 ? 'src-a' : 'src-b'));
      }
      const all = await s.listCells();
      expect(all.length).toBe(5);
      expect(new Set(keys(all))).toEqual(new Set(coords.map(([q, r]) => `${q},${r}`)));
      expect(keys(await s.listCellsByTag('even')).sort())
        .toEqual(['-1,3', '0,0', '2,2'].sort());
      expect(keys(await s.listCellsByTag('all'))).toEqual(keys(all)); // both in key order
      expect(keys(await s.listCellsBySource('src-a')).sort()).toEqual(['0,0', '1,0']);
      expect(await s.listCellsByTag('none')).toEqual([]);
      expect(await s.distinctTags()).toEqual(['all', 'even']);
    });
  });

  describe(`behaviour [${target.name}]: facets and edges`, () => {
    it('puts, reads and updates facets under the derivation hash', async () => {
      const s = await open();
      const c = { q: 3, r: -1 };
      await s.putCell(cellAt(3, -1, 'raw text'));
      const summary = await s.putFacet(c, { id: 1, derivedContent: 'summary v1' });
      expect(summary.derivationHash).toEqual(sha256('raw text'));
      expect(await s.getFacet(c, 1)).toEqual(summary);
      expect((await s.listFacets(c)).map((f) => f.id)).toContain(1);
      const updated = await s.updateFacet(c, 1, 'summary v2', sha256('raw text'));
      expect(updated.derivedContent).toBe('summary v2');
      await expectCode(s.updateFacet(c, 1, 'stale', sha256('other text')),
        'FacetDerivationMismatch');
      expect((await s.getFacet(c, 1))?.derivedContent).toBe('summary v2');
      expect(await s.getFacet(c, 4)).toBeUndefined();
      await expectCode(s.putFacet({ q: 40, r: 40 }, { id: 1, derivedContent: 'x' }), 'NotFound');
    });

    it('links, lists and deletes edges', async () => {
      const s = await open();
      await s.putCell(cellAt(0, 0, 'a'));
      await s.putCell(cellAt(1, 0, 'b'));
      await s.putCell(cellAt(0, 1, 'c'));
      const edge = await s.putEdge({ from: { q: 0, r: 0 }, to: { q: 1, r: 0 },
        relationType: 'supports' });
      expect(edge.weight).toBe(1);
      await s.linkCells({ q: 0, r: 0 }, { q: 0, r: 1 }, 'see-also', 0.5);
      await s.linkCells({ q: 0, r: 0 }, { q: 0, r: 1 }, 'depends-on', 2);
      expect(await s.getEdge({ q: 0, r: 0 }, { q: 1, r: 0 }, 'supports')).toEqual(edge);
      expect((await s.listEdges({ q: 0, r: 0 })).map((e) => e.relationType).sort())
        .toEqual(['depends-on', 'see-also', 'supports']);
      expect(await s.deleteEdge({ q: 0, r: 0 }, { q: 1, r: 0 }, 'supports')).toBe(true);
      expect(await s.deleteEdge({ q: 0, r: 0 }, { q: 1, r: 0 }, 'supports')).toBe(false);
      expect(await s.getEdge({ q: 0, r: 0 }, { q: 1, r: 0 }, 'supports')).toBeUndefined();
      await expectCode(s.linkCells({ q: 7, r: 7 }, { q: 0, r: 0 }, 'x'), 'NotFound');
    });
  });

  describe(`behaviour [${target.name}]: seams and rings`, () => {
    it('marks, reads, resolves and finds seams', async () => {
      const s = await open();
      await s.putCell(cellAt(0, 0, 'the meeting is on monday'));
      await s.putCell(cellAt(1, 0, 'the meeting is on tuesday'));
      await s.putCell(cellAt(0, 1, 'the meeting moved to friday'));
      const conflict = await s.markConflict({ q: 0, r: 0 }, { q: 1, r: 0 },
        { reason: 'day differs', confidenceDelta: -0.25 });
      expect(conflict).toMatchObject({ seamType: 'conflict', reason: 'day differs',
        confidenceDelta: -0.25, resolutionStatus: 'unresolved' });
      expect(conflict.id.length).toBe(16);
      const sup = await s.markSupersedes({ q: 0, r: 1 }, { q: 0, r: 0 });
      expect(await s.getSeam(conflict.id)).toEqual(conflict);
      const resolved = await s.resolveSeam(conflict.id, 'merged', 'checked the calendar');
      expect(resolved).toMatchObject({ resolutionStatus: 'merged',
        resolutionNote: 'checked the calendar' });
      expect((await s.seamsOfCell({ q: 0, r: 0 })).map((x) => x.seamType).sort())
        .toEqual(['conflict', 'supersedes']);
      const open1 = await s.findSeams({ q: 0, r: 0 }, 1, { unresolvedOnly: true });
      expect(open1.map((x) => x.id)).toEqual([sup.id]);
      expect((await s.findSeams({ q: 0, r: 0 }, 1)).length).toBe(2);
      await expectCode(s.markConflict({ q: 0, r: 0 }, { q: 9, r: 9 }), 'NotFound');
      await expectCode(s.resolveSeam(new Uint8Array(16), 'archived'), 'NotFound');
      expect(await s.getSeam(new Uint8Array(16))).toBeUndefined();
    });

    it('walks rings and loads context in ring order', async () => {
      const s = await open();
      const ring1 = [[1, 0], [1, -1], [0, -1], [-1, 0], [-1, 1], [0, 1]] as const;
      await s.putCell(cellAt(0, 0, 'centre'));
      for (const [q, r] of ring1) await s.putCell(cellAt(q, r, `n ${q},${r}`));
      await s.putCell(cellAt(2, 0, 'ring two'));
      await s.putFacet({ q: 0, r: 0 }, { id: 1, derivedContent: 'centre summary' });
      const walk = await s.walkRing({ q: 0, r: 0 }, 1, { facetMask: 0b10 });
      expect(walk.length).toBe(7);
      expect(walk[0]?.ring).toBe(0);
      expect(walk[0]?.facets.map((f) => f.derivedContent)).toEqual(['centre summary']);
      expect(walk.slice(1).every((x) => x.ring === 1)).toBe(true);
      const context = await s.loadContext({ q: 0, r: 0 }, 2, 4);
      expect(keys(context)).toEqual(walk.slice(0, 4).map((x) => coordKey(x.cell.coord)));
      expect((await s.walkRing({ q: 0, r: 0 }, 2)).length).toBe(8);
    });
  });

  describe(`behaviour [${target.name}]: MVCC`, () => {
    it('reads older states by seq, tag and time; diffs and counts', async () => {
      const s = await open();
      await s.putCell(cellAt(0, 0, 'version 1'));
      const seq1 = await s.commitSeq();
      expect(await s.tagSnapshot('before-edit')).toBe(seq1);
      await s.putCell(cellAt(0, 0, 'version 2'));
      await s.putCell(cellAt(4, 4, 'new one'));
      const head = await s.commitSeq();
      expect(head).toBeGreaterThan(seq1);
      expect((await s.getCell({ q: 0, r: 0 }))?.rawContent).toBe('version 2');
      expect((await s.getCell({ q: 0, r: 0 }, { seq: seq1 }))?.rawContent).toBe('version 1');
      expect(await s.getCell({ q: 4, r: 4 }, { seq: seq1 })).toBeUndefined();
      expect((await s.getCell({ q: 0, r: 0 }, { tag: 'before-edit' }))?.rawContent)
        .toBe('version 1');
      expect(await s.snapshotTag('before-edit')).toBe(seq1);
      expect(keys(await s.listCells({ seq: seq1 }))).toEqual(['0,0']);
      expect(await s.getCell({ q: 0, r: 0 }, { asOfMs: 0 })).toBeUndefined();
      const diff = await s.snapshotDiff(seq1, head);
      expect(diff.added.map(coordKey)).toEqual(['4,4']);
      expect(diff.modified.map(coordKey)).toEqual(['0,0']);
      expect(diff.removed).toEqual([]);
      const stats = await s.statsMVCC();
      expect(stats.headSeq).toBe(await s.commitSeq());
      expect(stats.cellCount).toBe(2);
    });
  });

  describe(`behaviour [${target.name}]: error codes`, () => {
    it('reports the same codes, and a failed call changes nothing', async () => {
      const s = await open();
      await s.putCell(cellAt(0, 0, 'kept'));
      const before = await s.commitSeq();
      await expectCode(s.putCell({ coord: { q: 1.5, r: 0 }, rawContent: 'x' }),
        'InvalidCoordinate');
      await expectCode(s.getCell({ q: 2 ** 31, r: 0 }), 'InvalidCoordinate');
      await expectCode(s.putCell({ ...cellAt(1, 1, 'x'), provenance: { confidence: 2 } }),
        'InvalidArgument');
      await expectCode(s.putCell(cellAt(1, 1, 'x', ['t'.repeat(129)])), 'InvalidArgument');
      await expectCode(s.putFacet({ q: 0, r: 0 }, { id: 9 as 1, derivedContent: 'x' }),
        'InvalidArgument');
      await expectCode(s.getCell({ q: 0, r: 0 }, { seq: before + 100n }), 'ReadSeqFuture');
      await expectCode(s.getCell({ q: 0, r: 0 }, { tag: 'no-such-tag' }), 'SnapshotTagNotFound');
      await expectCode(s.putFacet({ q: 5, r: 5 }, { id: 2, derivedContent: 'x' }), 'NotFound');
      expect(await s.commitSeq()).toBe(before);
      expect(await s.getCell({ q: 1, r: 1 })).toBeUndefined();
    });

    it('refuses time travel without MVCC', async () => {
      const s = await open(false);
      await s.putCell(cellAt(0, 0, 'v1 database'));
      expect((await s.getCell({ q: 0, r: 0 }))?.rawContent).toBe('v1 database');
      await expectCode(s.getCell({ q: 0, r: 0 }, { seq: 1n }), 'MvccDisabled');
      await expectCode(s.tagSnapshot('nope'), 'MvccDisabled');
    });
  });
}
