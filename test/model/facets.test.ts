/**
 * Goal: facets 0–5 (SPEC §3.2) behave as documented through the public transaction API, on
 * format v1 and on MVCC format v2: facet 0 mirrors the raw content and is refreshed on every
 * re-put, putFacet upserts with defaults, updateFacet only accepts the SHA-256 of the current raw
 * content (FacetDerivationMismatch otherwise), listFacets is by id, seams append lines to facet 2,
 * deleteCell removes the facets (older snapshots keep them under MVCC), and bad input gets a
 * typed error that leaves nothing written.
 * Method: a temporary database per test (checked and reopened by the harness after each test);
 * the wall clock is faked (Date only) so that stamped times are known exactly. The internal
 * noteSeam paths that the public API cannot reach (no cell, foreign seam) are driven through the
 * transaction's context.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coord, type Coord } from '../../src/coord/index.js';
import type { Facet, FacetId, Seam } from '../../src/engine/records.js';
import type { WriteTx } from '../../src/engine/tx.js';
import { ulidToString } from '../../src/engine/ulid.js';
import type { WriteCtx } from '../../src/model/context.js';
import { encodeFacet } from '../../src/engine/codec.js';
import {
  contentHash, fitNoteLines, noteSeam, seamNoteLine,
} from '../../src/model/facets.js';
import type { FacetInput } from '../../src/model/types.js';
import { expectErrorCode } from '../engine/helpers.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();
const t0 = Date.UTC(2024, 5, 3, 12, 0, 0);
const a = coord(0, 0);
const b = coord(1, -1);
const nowhere = coord(40, 40);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(t0);
});
afterEach(() => {
  vi.useRealTimers();
});

const sha256 = (text: string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(Buffer.from(text, 'utf8')).digest());

function rawFacet(raw: string, atMs: number): Facet {
  return { id: 0, derivedContent: raw, derivationHash: sha256(raw), lastRotatedMs: atMs };
}

/** The transaction's record context: reaches module functions the public API only calls. */
const ctxOf = (tx: WriteTx): WriteCtx => (tx as unknown as { ctx: WriteCtx }).ctx;

describe('contentHash', () => {
  it('is SHA-256 of the UTF-8 bytes', () => {
    expect(Buffer.from(contentHash('abc')).toString('hex'))
      .toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(contentHash('')).toEqual(sha256(''));
    expect(contentHash('é \u{10348}')).toEqual(sha256('é \u{10348}'));
    expect(contentHash('x')).toBeInstanceOf(Uint8Array);
    expect(contentHash('x').length).toBe(32);
  });

  it('refuses strings that have no UTF-8 form', () => {
    expectErrorCode(() => contentHash('a\uD800b'), 'InvalidArgument');
    expectErrorCode(() => contentHash(42 as unknown as string), 'InvalidArgument');
  });
});

describe('seamNoteLine', () => {
  const seam = (seamType: Seam['seamType'], reason: string): Seam => ({
    id: new Uint8Array(16).fill(1), cellA: a, cellB: b, seamType, reason, confidenceDelta: 0,
    detectedAtMs: t0, resolutionStatus: 'unresolved', resolutionNote: '',
  });
  const id = ulidToString(new Uint8Array(16).fill(1));

  it('names the other cell and the direction of a supersedes seam', () => {
    expect(seamNoteLine(seam('conflict', 'dates differ'), a))
      .toBe(`${id} conflict with 1,-1: dates differ`);
    expect(seamNoteLine(seam('conflict', ''), b)).toBe(`${id} conflict with 0,0`);
    expect(seamNoteLine(seam('supersedes', 'newer'), a)).toBe(`${id} supersedes 1,-1: newer`);
    expect(seamNoteLine(seam('supersedes', 'newer'), b)).toBe(`${id} superseded by 0,0: newer`);
  });

  it('keeps one seam on one line and refuses a cell the seam does not touch', () => {
    expect(seamNoteLine(seam('conflict', 'two\nlines\r\nhere'), a))
      .toBe(`${id} conflict with 1,-1: two lines here`);
    expectErrorCode(() => seamNoteLine(seam('conflict', ''), nowhere), 'InvalidArgument');
  });
});

describe('fitNoteLines', () => {
  it('keeps the newest lines that fit, and cuts a single oversized line', () => {
    const lines = ['one', 'two', 'three'];
    expect(fitNoteLines(lines, Infinity)).toBe('one\ntwo\nthree');
    expect(fitNoteLines(lines, 13)).toBe('one\ntwo\nthree');
    expect(fitNoteLines(lines, 12)).toBe('two\nthree');
    expect(fitNoteLines(lines, 9)).toBe('two\nthree');
    expect(fitNoteLines(lines, 8)).toBe('three');
    expect(fitNoteLines(lines, 4)).toBe('thre');
    expect(fitNoteLines(['ab\u{10348}c'], 5)).toBe('ab'); // never half a code point
    expect(fitNoteLines(['ab\u{10348}c'], 6)).toBe('ab\u{10348}');
    expect(fitNoteLines(['x'], 0)).toBe('');
  });
});

describe.each([false, true])('facets (mvcc %s)', (mvcc) => {
  it('writes facet 0 with the cell and refreshes it on every re-put', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => tx.putCell({ coord: a, rawContent: 'first' }));
    const firstSeq = tmp.db.commitSeq();
    expect(tmp.db.view((tx) => tx.getFacet(a, 0))).toEqual(rawFacet('first', t0));
    expect(tmp.db.view((tx) => tx.listFacets(a))).toEqual([rawFacet('first', t0)]);

    vi.setSystemTime(t0 + 1000);
    await tmp.db.update((tx) => tx.putCell({ coord: a, rawContent: 'second' }));
    expect(tmp.db.view((tx) => tx.getFacet(a, 0))).toEqual(rawFacet('second', t0 + 1000));
    if (mvcc) {
      expect(tmp.db.viewAt(firstSeq, (tx) => tx.getFacet(a, 0))).toEqual(rawFacet('first', t0));
    }
    await tmp.reopen();
    expect(tmp.db.view((tx) => tx.listFacets(a))).toEqual([rawFacet('second', t0 + 1000)]);
  });

  it('puts facets with defaults, upserts, and lists them by id', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const hash = new Uint8Array(32).fill(7);
    const put = await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'raw text' });
      const five = tx.putFacet(a, { id: 5, derivedContent: 'lens' });
      tx.putFacet(a, { id: 1, derivedContent: 'summary v1' });
      const three = tx.putFacet(a, { id: 3, derivedContent: 'mirror', derivationHash: hash,
        lastRotatedMs: -12 });
      hash.fill(9); // the stored facet keeps its own copy
      return { five, three };
    });
    expect(put.five).toEqual({ id: 5, derivedContent: 'lens', derivationHash: sha256('raw text'),
      lastRotatedMs: t0 });
    const three: Facet = { id: 3, derivedContent: 'mirror',
      derivationHash: new Uint8Array(32).fill(7), lastRotatedMs: -12 };
    expect(put.three).toEqual(three);

    vi.setSystemTime(t0 + 5);
    const seqBefore = tmp.db.commitSeq();
    await tmp.db.update((tx) => tx.putFacet(a, { id: 1, derivedContent: 'summary v2' }));
    const one: Facet = { id: 1, derivedContent: 'summary v2', derivationHash: sha256('raw text'),
      lastRotatedMs: t0 + 5 };
    const expected = [rawFacet('raw text', t0), one, three, put.five];
    expect(tmp.db.view((tx) => tx.listFacets(a))).toEqual(expected);
    expect(tmp.db.view((tx) => tx.getFacet(a, 3))).toEqual(three);
    expect(tmp.db.view((tx) => tx.getFacet(a, 2))).toBeUndefined();
    expect(tmp.db.view((tx) => tx.getFacet(b, 1))).toBeUndefined();
    if (mvcc) {
      expect(tmp.db.viewAt(seqBefore, (tx) => tx.getFacet(a, 1)?.derivedContent))
        .toBe('summary v1');
    }
    await tmp.reopen();
    expect(tmp.db.view((tx) => tx.listFacets(a))).toEqual(expected);
  });

  it('refuses bad putFacet input with typed errors and writes nothing', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'raw' });
      tx.putFacet(a, { id: 1, derivedContent: 'kept' });
    });
    const before = tmp.db.view((tx) => tx.listFacets(a));
    const bad = (input: unknown): FacetInput => input as FacetInput;
    await tmp.db.update((tx) => {
      const cases: [() => unknown, Parameters<typeof expectErrorCode>[1]][] = [
        [() => tx.putFacet(nowhere, { id: 1, derivedContent: 'x' }), 'NotFound'],
        [() => tx.putFacet(a, { id: 0, derivedContent: 'x' }), 'InvalidArgument'],
        [() => tx.putFacet(a, bad({ id: 6, derivedContent: 'x' })), 'InvalidArgument'],
        [() => tx.putFacet(a, bad({ id: 1.5, derivedContent: 'x' })), 'InvalidArgument'],
        [() => tx.putFacet(a, bad({ id: 1, derivedContent: 3 })), 'InvalidArgument'],
        [() => tx.putFacet(a, bad({ id: 1, derivedContent: 'a\uDC00' })), 'InvalidArgument'],
        [() => tx.putFacet(a, { id: 1, derivedContent: 'x', derivationHash: new Uint8Array(31) }),
          'InvalidArgument'],
        [() => tx.putFacet(a, bad({ id: 1, derivedContent: 'x', derivationHash: null })),
          'InvalidArgument'],
        [() => tx.putFacet(a, { id: 1, derivedContent: 'x', lastRotatedMs: 0.5 }),
          'InvalidArgument'],
        [() => tx.putFacet(a, bad(null)), 'InvalidArgument'],
        [() => tx.putFacet(coord(0, 0.5), { id: 1, derivedContent: 'x' }), 'InvalidCoordinate'],
        // Input errors win over a missing cell: everything is checked before the cell is read.
        [() => tx.putFacet(nowhere, { id: 1, derivedContent: 'x', lastRotatedMs: NaN }),
          'InvalidArgument'],
      ];
      for (const [run, code] of cases) expectErrorCode(run, code);
      expect(tx.listFacets(a)).toEqual(before);
      expect(tx.listFacets(nowhere)).toEqual([]);
    });
    expect(tmp.db.view((tx) => tx.listFacets(a))).toEqual(before);
  });

  it('refuses bad getFacet and listFacets arguments', async () => {
    const tmp = await tmpDb.open({ mvcc });
    tmp.db.view((tx) => {
      expectErrorCode(() => tx.getFacet(a, 6 as FacetId), 'InvalidArgument');
      expectErrorCode(() => tx.getFacet(coord(2 ** 31, 0) as Coord, 1), 'InvalidCoordinate');
      expectErrorCode(() => tx.listFacets({ q: 'x' } as unknown as Coord), 'InvalidCoordinate');
    });
  });

  it('updates a facet only with the hash of the current raw content', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'version 1' });
      tx.putFacet(a, { id: 1, derivedContent: 'summary of 1' });
    });
    vi.setSystemTime(t0 + 10);
    const updated = await tmp.db.update((tx) =>
      tx.updateFacet(a, 1, 'better summary of 1', sha256('version 1')));
    expect(updated).toEqual({ id: 1, derivedContent: 'better summary of 1',
      derivationHash: sha256('version 1'), lastRotatedMs: t0 + 10 });
    expect(tmp.db.view((tx) => tx.getFacet(a, 1))).toEqual(updated);

    // The raw content changes: a summary derived from the old one is now stale.
    await tmp.db.update((tx) => tx.putCell({ coord: a, rawContent: 'version 2' }));
    await expect(tmp.db.update((tx) =>
      tx.updateFacet(a, 1, 'stale', sha256('version 1')))).rejects.toMatchObject({
      code: 'FacetDerivationMismatch',
    });
    expect(tmp.db.view((tx) => tx.getFacet(a, 1))).toEqual(updated);
    vi.setSystemTime(t0 + 20);
    await tmp.db.update((tx) => tx.updateFacet(a, 1, 'summary of 2', contentHash('version 2')));
    await tmp.reopen();
    expect(tmp.db.view((tx) => tx.getFacet(a, 1))).toEqual({ id: 1,
      derivedContent: 'summary of 2', derivationHash: sha256('version 2'),
      lastRotatedMs: t0 + 20 });
  });

  it('refuses bad updateFacet calls with typed errors and writes nothing', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const hash = sha256('raw');
    await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'raw' });
      tx.putFacet(a, { id: 4, derivedContent: 'steps' });
    });
    const before = tmp.db.view((tx) => tx.listFacets(a));
    await tmp.db.update((tx) => {
      const cases: [() => unknown, Parameters<typeof expectErrorCode>[1]][] = [
        [() => tx.updateFacet(a, 1, 'x', hash), 'NotFound'],
        [() => tx.updateFacet(nowhere, 4, 'x', hash), 'NotFound'],
        [() => tx.updateFacet(a, 0, 'x', hash), 'InvalidArgument'],
        [() => tx.updateFacet(a, 7 as FacetId, 'x', hash), 'InvalidArgument'],
        [() => tx.updateFacet(a, 4, 'x', hash.subarray(1)), 'InvalidArgument'],
        [() => tx.updateFacet(a, 4, 'x', Array.from(hash) as unknown as Uint8Array),
          'InvalidArgument'],
        [() => tx.updateFacet(a, 4, null as unknown as string, hash), 'InvalidArgument'],
        [() => tx.updateFacet(a, 4, 'x', sha256('other')), 'FacetDerivationMismatch'],
        [() => tx.updateFacet(coord(1, 1.5), 4, 'x', hash), 'InvalidCoordinate'],
      ];
      for (const [run, code] of cases) expectErrorCode(run, code);
      expect(tx.listFacets(a)).toEqual(before);
    });
    expect(tmp.db.view((tx) => tx.listFacets(a))).toEqual(before);
  });

  it('appends one facet-2 line per seam touching a cell', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const c = coord(-3, 2);
    const seams = await tmp.db.update((tx) => {
      for (const at of [a, b, c]) tx.putCell({ coord: at, rawContent: `cell ${at.q},${at.r}` });
      tx.putFacet(c, { id: 2, derivedContent: 'reviewed by hand' });
      return [
        tx.markConflict(a, b, { reason: 'dates differ' }),
        tx.markSupersedes(c, a, { reason: 'newer\nsource' }),
      ];
    });
    const [conflict, supersedes] = seams.map((s) => ulidToString(s.id));
    const notes = (at: Coord): Facet | undefined => tmp.db.view((tx) => tx.getFacet(at, 2));
    expect(notes(a)).toEqual({ id: 2,
      derivedContent: `${conflict} conflict with 1,-1: dates differ\n` +
        `${supersedes} superseded by -3,2: newer source`,
      derivationHash: sha256('cell 0,0'), lastRotatedMs: t0 });
    expect(notes(b)?.derivedContent).toBe(`${conflict} conflict with 0,0: dates differ`);
    expect(notes(c)?.derivedContent)
      .toBe(`reviewed by hand\n${supersedes} supersedes 0,0: newer source`);
    await tmp.reopen();
    expect(notes(b)?.derivationHash).toEqual(sha256('cell 1,-1'));
  });

  it('keeps the newest seam notes within the value limit', async () => {
    // 512 is the smallest limit a database accepts: twelve notes of ~75 bytes cannot all fit.
    const tmp = await tmpDb.open({ mvcc, maxValueBytes: 512 });
    const seams = await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'a' });
      tx.putCell({ coord: b, rawContent: 'b' });
      return Array.from({ length: 12 }, (_, i) =>
        tx.markConflict(a, b, { reason: `conflict number ${i} ${'.'.repeat(20)}` }));
    });
    const notes = tmp.db.view((tx) => tx.getFacet(a, 2));
    if (notes === undefined) throw new Error('facet 2 missing');
    expect(encodeFacet(notes).length).toBeLessThanOrEqual(512);
    const lines = notes.derivedContent.split('\n');
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.length).toBeLessThan(12);
    const newest = seams.slice(-lines.length);
    expect(lines).toEqual(newest.map((s) => seamNoteLine(s, a)));
    expect(tmp.db.view((tx) => tx.seamsOfCell(a)).length).toBe(12);
  });

  it('noteSeam is a no-op without a cell and refuses a seam of other cells', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const seam = await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'a' });
      tx.putCell({ coord: b, rawContent: 'b' });
      return tx.markConflict(a, b);
    });
    await tmp.db.update((tx) => {
      tx.deleteCell(b);
      noteSeam(ctxOf(tx), b, seam);
      expect(tx.listFacets(b)).toEqual([]);
      tx.putCell({ coord: nowhere, rawContent: 'far' });
      expectErrorCode(() => noteSeam(ctxOf(tx), nowhere, seam), 'InvalidArgument');
      expect(tx.getFacet(nowhere, 2)).toBeUndefined();
    });
  });

  it('deletes the facets with the cell; older snapshots keep them', async () => {
    const tmp = await tmpDb.open({ mvcc });
    await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'doomed' });
      tx.putCell({ coord: b, rawContent: 'stays' });
      tx.putFacet(a, { id: 1, derivedContent: 's' });
      tx.putFacet(a, { id: 5, derivedContent: 'l' });
    });
    const seq = tmp.db.commitSeq();
    await tmp.db.update((tx) => tx.deleteCell(a));
    expect(tmp.db.view((tx) => tx.listFacets(a))).toEqual([]);
    expect(tmp.db.view((tx) => tx.getFacet(a, 1))).toBeUndefined();
    expect(tmp.db.view((tx) => tx.listFacets(b))).toEqual([rawFacet('stays', t0)]);
    if (mvcc) {
      expect(tmp.db.viewAt(seq, (tx) => tx.listFacets(a).map((f) => f.id))).toEqual([0, 1, 5]);
    }
    // A new cell at the same coordinate starts with facet 0 only.
    await tmp.db.update((tx) => tx.putCell({ coord: a, rawContent: 'reborn' }));
    await tmp.reopen();
    expect(tmp.db.view((tx) => tx.listFacets(a))).toEqual([rawFacet('reborn', t0)]);
  });
});
