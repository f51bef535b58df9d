/**
 * ChangelogService pieces without a server: page cutting and the decoded records.
 *
 * Goal: paging through the changelog with (since_seq, entry_offset) returns every entry exactly
 * once, in order, whatever the commit sizes, page sizes and byte budgets; every op decodes to
 * its wire record; wire and engine op numbers agree.
 * Method: random commit layouts (seeded) paged through `cutPage` with the engine's read
 * semantics emulated (entries after a seq, at most `limit`); records of a real changelog.
 */
import { describe, expect, it } from 'vitest';
import { ChangeOp } from '../../gen/hexxladb/v1/changelog_service_pb.js';
import type { ChangelogEntry } from '../../src/changelog/format.js';
import { changeOps, type ChangeOp as EngineOp } from '../../src/index.js';
import {
  engineOp, eventOf, recordOf, wireOp,
} from '../../src/server/handlers/changelog-events.js';
import { cutPage } from '../../src/server/handlers/changelog-service.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { mulberry32 as rng } from '../fault/prng.js';

const tmp = useTmpDb();

function syntheticLog(random: () => number): ChangelogEntry[] {
  const out: ChangelogEntry[] = [];
  let seq = 0n;
  const commits = 1 + Math.floor(random() * 30);
  for (let c = 0; c < commits; c++) {
    seq += 1n + BigInt(Math.floor(random() * 3)); // gaps: commits without matching entries
    const entries = 1 + Math.floor(random() * (random() < 0.2 ? 40 : 4));
    for (let i = 0; i < entries; i++) {
      const value = new Uint8Array(Math.floor(random() * 3000));
      out.push({ seq, timeMs: 0, op: 'putCell', family: 0x10,
        key: Uint8Array.of(0x10, c, i), value });
    }
  }
  return out;
}

describe('cutPage', () => {
  it('pages through any layout exactly once, in order', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = rng(seed);
      const log = syntheticLog(random);
      const size = 1 + Math.floor(random() * 12);
      const budget = random() < 0.5 ? 1 << 30 : 500 + Math.floor(random() * 8000);
      const read = (since: bigint, limit: number): ChangelogEntry[] =>
        log.filter((e) => e.seq > since).slice(0, limit);
      const seen: ChangelogEntry[] = [];
      let position = { sinceSeq: 0n, entryOffset: 0 };
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(log.length + 2);
        const fetched = read(position.sinceSeq, position.entryOffset + size + 1);
        const page = cutPage(fetched, position, size, budget);
        expect(page.entries.length).toBeLessThanOrEqual(size);
        if (page.more) expect(page.entries.length).toBeGreaterThan(0);
        seen.push(...page.entries);
        position = page.next;
        if (!page.more) break;
      }
      expect(seen, `seed ${seed}`).toEqual(log);
      expect(position).toEqual({ sinceSeq: log.at(-1)!.seq, entryOffset: 0 });
    }
  });

  it('never skips into a later commit, and an empty read stays where it was', () => {
    const e = (seq: bigint, i: number): ChangelogEntry =>
      ({ seq, timeMs: 0, op: 'deleteCell', family: 0x10, key: Uint8Array.of(0x10, i) });
    const fetched = [e(3n, 0), e(3n, 1), e(5n, 2)];
    const page = cutPage(fetched, { sinceSeq: 2n, entryOffset: 9 }, 10, 1 << 20);
    expect(page.entries).toEqual([fetched[2]]);
    expect(page.next).toEqual({ sinceSeq: 5n, entryOffset: 0 });
    expect(cutPage([], { sinceSeq: 7n, entryOffset: 0 }, 10, 1 << 20))
      .toEqual({ entries: [], next: { sinceSeq: 7n, entryOffset: 0 }, more: false });
  });
});

describe('change events', () => {
  it('maps every op both ways and rejects unknown wire ops', () => {
    for (const [name, code] of Object.entries(changeOps)) {
      const op = name as EngineOp;
      expect(wireOp(op)).toBe(code);
      expect(engineOp(wireOp(op), 'ops[0]')).toBe(op);
    }
    expect(Object.keys(ChangeOp).filter((k) => Number.isNaN(Number(k))).length)
      .toBe(Object.keys(changeOps).length + 1); // + UNSPECIFIED
    for (const bad of [ChangeOp.UNSPECIFIED, 99 as ChangeOp]) {
      expect(() => engineOp(bad, 'ops[1]')).toThrow(expect.objectContaining({
        code: 'InvalidArgument', context: expect.objectContaining({ field: 'ops[1]' }) }));
    }
  });

  it('decodes the records of a real changelog', async () => {
    const { db } = await tmp.open({ mvcc: true, changelog: true });
    const a = { q: 1, r: -1 };
    const b = { q: 2, r: 0 };
    await db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'alpha', tags: ['t1'] });
      tx.putCell({ coord: b, rawContent: 'beta' });
    });
    await db.update((tx) => {
      tx.putFacet(a, { id: 1, derivedContent: 'summary of alpha' });
      tx.putEdge({ from: a, to: b, relationType: 'see-also', weight: 0.5 });
    });
    const seam = await db.update((tx) => tx.markConflict(a, b, { reason: 'disagree' }));
    await db.update((tx) => tx.resolveSeam(seam.id, 'merged', 'a wins'));
    const tagged = await db.tagSnapshot('v1');
    await db.update((tx) => {
      tx.deleteEdge(a, b, 'see-also');
      tx.deleteCell(b);
    });
    await db.deleteSnapshotTag('v1');
    const entries = db.readChangelogSince(0n);
    const records = entries.map((e) => ({ op: e.op, record: recordOf(e) }));
    const byOp = (op: EngineOp): unknown[] =>
      records.filter((r) => r.op === op).map((r) => r.record);
    expect(byOp('putCell')).toEqual([
      { case: 'cell', value: expect.objectContaining({ coord: a, rawContent: 'alpha',
        tags: ['t1'] }) },
      { case: 'cell', value: expect.objectContaining({ coord: b, rawContent: 'beta' }) },
    ]);
    expect(byOp('putFacet')).toContainEqual({ case: 'facet', value: expect.objectContaining({
      coord: a, facetId: 1, derivedContent: 'summary of alpha' }) });
    expect(byOp('putEdge')).toEqual([{ case: 'edge', value: expect.objectContaining({
      fromCoord: a, toCoord: b, relationType: 'see-also', weight: 0.5 }) }]);
    const seams = byOp('putSeam').concat(byOp('resolveSeam')) as
      { case: 'seam'; value: { reason: string; resolutionNote: string } }[];
    expect(seams.map((s) => [s.case, s.value.reason, s.value.resolutionNote])).toEqual([
      ['seam', 'disagree', ''], ['seam', 'disagree', 'a wins']]);
    expect(byOp('deleteEdge')).toEqual([{ case: 'deletedEdge',
      value: { fromCoord: a, toCoord: b, relationType: 'see-also' } }]);
    expect(byOp('deleteCell')).toEqual([{ case: 'deletedCell', value: b }]);
    expect(byOp('tagSnapshot')).toEqual([{ case: 'snapshotTag',
      value: { label: 'v1', taggedSeq: tagged } }]);
    expect(byOp('deleteSnapshotTag')).toEqual([{ case: 'snapshotTag', value: { label: 'v1' } }]);
    const first = eventOf(entries[0]!);
    expect(first).toMatchObject({ seq: 1n, op: ChangeOp.PUT_CELL, family: 0x10,
      key: entries[0]!.key, value: entries[0]!.value });
  });
});
