/**
 * Goal: the MVCC bookkeeping calls behave as SPEC §5 says, through the public Database API.
 * Method: small hand-built histories (raw keys where only commits matter, cells where record
 * contents matter), with Date faked where exact commit times are needed.
 * Properties: every time-travel call on a v1 database throws MvccDisabled; future seqs throw
 * ReadSeqFuture; tag labels are 1 … 200 UTF-8 bytes (InvalidArgument otherwise); unknown tags
 * throw SnapshotTagNotFound; tags list sorted by label, re-tagging overwrites, deleting a tag keeps
 * the data, tags survive reopen; the timeline maps a time to the newest commit at or before it
 * (0 before the first); snapshotDiff reports added / modified / removed cells and rejects a > b;
 * statsMVCC counts live cells and every version row.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coord, coordToString, spiral, type Coord, type Database } from '../../src/index.js';
import { encodeCell, encodeFacet } from '../../src/engine/codec.js';
import { cellKey, facetKey } from '../../src/engine/keys.js';
import { RecordWriter } from '../../src/mvcc/records.js';
import { Prng, seedFromEnv } from '../fault/prng.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();

/** Runs `fn` (sync throw or rejected promise) and returns the error's code. */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return 'no error';
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const coords = (list: readonly Coord[]): string[] => list.map(coordToString);

/** One commit that only touches a raw key (enough to advance the seq and the timeline). */
function rawCommit(db: Database, n: number): Promise<void> {
  return db.update((tx) => tx.put(bytes(`k${n}`), bytes(`v${n}`)));
}

describe('MVCC calls on a format v1 database', () => {
  it('every time-travel call throws MvccDisabled', async () => {
    const { db } = await tmpDb.open({ mvcc: false });
    await rawCommit(db, 1);
    expect(db.mvcc).toBe(false);
    const calls: Array<[string, () => unknown]> = [
      ['viewAt', () => db.viewAt(0n, () => 1)],
      ['viewAtTime', () => db.viewAtTime(Date.now(), () => 1)],
      ['seqAtTime', () => db.seqAtTime(Date.now())],
      ['viewAtTag', () => db.viewAtTag('a', () => 1)],
      ['snapshot', () => db.snapshot()],
      ['tagSnapshot', () => db.tagSnapshot('a')],
      ['snapshotTag', () => db.snapshotTag('a')],
      ['listSnapshotTags', () => db.listSnapshotTags()],
      ['deleteSnapshotTag', () => db.deleteSnapshotTag('a')],
      ['snapshotDiff', () => db.snapshotDiff(0n, 1n)],
      ['statsMVCC', () => db.statsMVCC()],
    ];
    for (const [name, call] of calls) {
      expect(`${name}: ${await codeOf(call)}`).toBe(`${name}: MvccDisabled`);
    }
    // Nothing was written by the failing calls.
    expect(db.commitSeq()).toBe(1n);
  });
});

describe('viewAt and snapshot bounds', () => {
  it('a seq after the head throws ReadSeqFuture; a negative one InvalidArgument', async () => {
    const { db } = await tmpDb.open({ mvcc: true });
    await rawCommit(db, 1);
    await rawCommit(db, 2);
    const head = db.commitSeq();
    expect(head).toBe(2n);
    expect(db.viewAt(head, (tx) => tx.readSeq)).toBe(head);
    expect(db.viewAt(0n, (tx) => tx.readSeq)).toBe(0n);
    expect(await codeOf(() => db.viewAt(head + 1n, () => 1))).toBe('ReadSeqFuture');
    expect(await codeOf(() => db.snapshot(head + 1n))).toBe('ReadSeqFuture');
    expect(await codeOf(() => db.snapshotDiff(0n, head + 1n))).toBe('ReadSeqFuture');
    expect(await codeOf(() => db.viewAt(-1n, () => 1))).toBe('InvalidArgument');
    expect(await codeOf(() => db.viewAtTime(1.5, () => 1))).toBe('InvalidArgument');
  });
});

describe('commit timeline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('maps a time to the newest commit at or before it, across reopen', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const base = 1_700_000_000_000;
    vi.setSystemTime(base);
    const tmp = await tmpDb.open({ mvcc: true });
    // Commit times: base+10 (seq 1), base+20 (2 and 3: same millisecond), base+30 (4).
    const times = [base + 10, base + 20, base + 20, base + 30];
    for (const [i, t] of times.entries()) {
      vi.setSystemTime(t);
      await rawCommit(tmp.db, i);
    }
    // The clock going backwards is clamped: this commit (seq 5) counts as base+30.
    vi.setSystemTime(base + 5);
    await rawCommit(tmp.db, 9);
    const check = (db: Database): void => {
      expect(db.seqAtTime(0)).toBe(0n);
      expect(db.seqAtTime(-5)).toBe(0n);
      expect(db.seqAtTime(base + 9)).toBe(0n);
      expect(db.seqAtTime(base + 10)).toBe(1n);
      expect(db.seqAtTime(base + 19)).toBe(1n);
      expect(db.seqAtTime(base + 20)).toBe(3n);
      expect(db.seqAtTime(base + 29)).toBe(3n);
      expect(db.seqAtTime(base + 30)).toBe(5n);
      expect(db.seqAtTime(Number.MAX_SAFE_INTEGER)).toBe(5n);
      expect(db.viewAtTime(base + 25, (tx) => tx.readSeq)).toBe(3n);
      expect(db.viewAtTime(base, (tx) => tx.readSeq)).toBe(0n);
    };
    check(tmp.db);
    check(await tmp.reopen({ mvcc: true }));
    // After reopen the clock is still clamped to the last commit time.
    vi.setSystemTime(base + 1);
    await rawCommit(tmp.db, 10);
    expect(tmp.db.seqAtTime(base + 29)).toBe(3n);
    expect(tmp.db.seqAtTime(base + 30)).toBe(6n);
  });

  it('a commit that writes nothing adds no timeline entry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const base = 1_800_000_000_000;
    vi.setSystemTime(base);
    const { db } = await tmpDb.open({ mvcc: true });
    await rawCommit(db, 1);
    vi.setSystemTime(base + 100);
    await db.update(() => undefined);
    expect(db.commitSeq()).toBe(1n);
    expect(db.seqAtTime(base + 100)).toBe(1n);
  });
});

describe('snapshot tags', () => {
  it('validates labels and reports unknown tags', async () => {
    const { db } = await tmpDb.open({ mvcc: true });
    await rawCommit(db, 1);
    const long = 'é'.repeat(100) + 'a'; // 201 UTF-8 bytes
    const max = 'é'.repeat(100); // exactly 200
    for (const label of ['', long]) {
      expect(await codeOf(() => db.tagSnapshot(label))).toBe('InvalidArgument');
      expect(await codeOf(() => db.viewAtTag(label, () => 1))).toBe('InvalidArgument');
      expect(await codeOf(() => db.snapshotTag(label))).toBe('InvalidArgument');
      expect(await codeOf(() => db.deleteSnapshotTag(label))).toBe('InvalidArgument');
    }
    expect(await codeOf(() => db.tagSnapshot(7 as unknown as string))).toBe('InvalidArgument');
    expect(db.listSnapshotTags()).toEqual([]);
    expect(await db.tagSnapshot(max)).toBe(1n);
    expect(db.snapshotTag(max)).toBe(1n);
    expect(await codeOf(() => db.viewAtTag('missing', () => 1))).toBe('SnapshotTagNotFound');
    expect(await codeOf(() => db.snapshotTag('missing'))).toBe('SnapshotTagNotFound');
    expect(await db.deleteSnapshotTag('missing')).toBe(false);
  });

  it('lists tags sorted by label, overwrites on re-tag, survives reopen', async () => {
    const tmp = await tmpDb.open({ mvcc: true });
    const tagged = new Map<string, bigint>();
    // Key order would be by byte length first (Z, a, b, ab, é); the listing is by code point.
    for (const label of ['b', 'é', 'ab', 'a', 'Z']) {
      await rawCommit(tmp.db, tagged.size);
      tagged.set(label, await tmp.db.tagSnapshot(label));
    }
    const first = tagged.get('a')!;
    await rawCommit(tmp.db, 99);
    const again = await tmp.db.tagSnapshot('a');
    expect(again).toBeGreaterThan(first);
    tagged.set('a', again);
    const expected = ['Z', 'a', 'ab', 'b', 'é']
      .map((label) => ({ label, seq: tagged.get(label) }));
    expect(tmp.db.listSnapshotTags()).toEqual(expected);
    const db = await tmp.reopen({ mvcc: true });
    expect(db.listSnapshotTags()).toEqual(expected);
    expect(db.viewAtTag('é', (tx) => tx.readSeq)).toBe(tagged.get('é'));
  });
});

describe('snapshot tags, diff and stats over cells', () => {
  const a = coord(0, 0);
  const b = coord(1, -1);
  const c = coord(2, 0);
  const d = coord(-3, 1);

  it('deleting a tag keeps the data it named', async () => {
    const { db } = await tmpDb.open({ mvcc: true });
    await db.update((tx) => tx.putCell({ coord: a, rawContent: 'one' }));
    const seq = await db.tagSnapshot('before');
    await db.update((tx) => tx.putCell({ coord: a, rawContent: 'two' }));
    expect(db.viewAtTag('before', (tx) => tx.getCell(a)?.rawContent)).toBe('one');
    expect(await db.deleteSnapshotTag('before')).toBe(true);
    expect(await db.deleteSnapshotTag('before')).toBe(false);
    expect(db.listSnapshotTags()).toEqual([]);
    expect(await codeOf(() => db.viewAtTag('before', () => 1))).toBe('SnapshotTagNotFound');
    expect(db.viewAt(seq, (tx) => tx.getCell(a)?.rawContent)).toBe('one');
    expect(db.getCell(a)?.rawContent).toBe('two');
  });

  it('snapshotDiff reports added, modified and removed cells', async () => {
    const { db } = await tmpDb.open({ mvcc: true });
    await db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'a1' });
      tx.putCell({ coord: b, rawContent: 'b1' });
      tx.putCell({ coord: c, rawContent: 'c1' });
    });
    const s1 = db.commitSeq();
    await db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'a2' }); // modified
      tx.deleteCell(b); // removed
      tx.putCell({ coord: d, rawContent: 'd1' }); // added
    });
    const s2 = db.commitSeq();
    // c: deleted and put back between s2 and s3: modified; d: added then removed: nothing.
    await db.update((tx) => tx.deleteCell(c));
    await db.update((tx) => {
      tx.putCell({ coord: c, rawContent: 'c2' });
      tx.deleteCell(d);
    });
    const s3 = db.commitSeq();

    const d12 = db.snapshotDiff(s1, s2);
    expect([d12.fromSeq, d12.toSeq]).toEqual([s1, s2]);
    expect(coords(d12.added)).toEqual([coordToString(d)]);
    expect(coords(d12.modified)).toEqual([coordToString(a)]);
    expect(coords(d12.removed)).toEqual([coordToString(b)]);

    const d23 = db.snapshotDiff(s2, s3);
    expect(coords(d23.added)).toEqual([]);
    expect(coords(d23.modified)).toEqual([coordToString(c)]);
    expect(coords(d23.removed)).toEqual([coordToString(d)]);

    const d13 = db.snapshotDiff(s1, s3);
    expect(coords(d13.added)).toEqual([]);
    expect(coords(d13.modified).sort()).toEqual(coords([a, c]).sort());
    expect(coords(d13.removed)).toEqual([coordToString(b)]);

    const d03 = db.snapshotDiff(0n, s3);
    expect(coords(d03.added).sort()).toEqual(coords([a, c]).sort());
    expect([d03.modified, d03.removed]).toEqual([[], []]);

    expect(db.snapshotDiff(s2, s2)).toEqual({ fromSeq: s2, toSeq: s2, added: [], modified: [],
      removed: [] });
    expect(await codeOf(() => db.snapshotDiff(s2, s1))).toBe('InvalidArgument');
    expect(await codeOf(() => db.snapshotDiff(-1n, s1))).toBe('InvalidArgument');
  });

  it('statsMVCC counts live cells at head and every version row', async () => {
    const tmp = await tmpDb.open({ mvcc: true });
    expect(tmp.db.statsMVCC()).toEqual({ headSeq: 0n, cellCount: 0, versionedRows: 0 });
    await tmp.db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'a1' });
      tx.putCell({ coord: b, rawContent: 'b1' });
    });
    const one = tmp.db.statsMVCC();
    expect(one.headSeq).toBe(tmp.db.commitSeq());
    expect(one.cellCount).toBe(2);
    // At least the two cell versions (facet 0 and index entries come on top).
    expect(one.versionedRows).toBeGreaterThanOrEqual(2);
    await tmp.db.update((tx) => tx.putCell({ coord: a, rawContent: 'a2' }));
    const two = tmp.db.statsMVCC();
    expect(two.cellCount).toBe(2);
    expect(two.versionedRows).toBeGreaterThan(one.versionedRows); // a second version of a
    await tmp.db.update((tx) => tx.deleteCell(b));
    const three = tmp.db.statsMVCC();
    expect(three.cellCount).toBe(1);
    expect(three.versionedRows).toBeGreaterThan(two.versionedRows); // tombstones, not removal
    const reopened = await tmp.reopen({ mvcc: true });
    expect(reopened.statsMVCC()).toEqual(three);
  });
});

/**
 * The same properties at the record layer, independent of the cell API: versions written with
 * RecordWriter straight into the store (diff and stats never decode values; they are valid
 * encoded records only so that the after-test health check passes), seeded random history, the diff of random seq pairs and the stats at the head compared with a model.
 */
describe('snapshotDiff and statsMVCC over raw versions', () => {
  const patch = spiral(coord(0, 0), 2);
  const cellValue = (at: Coord, n: number): Uint8Array => encodeCell({ coord: at,
    rawContent: `v${n}`, tags: [], activeFacetId: 0, validity: {},
    provenance: { sourceId: '', confidence: 1, createdAtMs: 0, updatedAtMs: 0 } });
  const facetValue = encodeFacet({ id: 1, derivedContent: 'f', lastRotatedMs: 0,
    derivationHash: new Uint8Array(32) });

  it('match a model of live keys and writes per seq', async () => {
    const seed = seedFromEnv(Date.now() % 1_000_000);
    console.log(`diff model seed ${seed} (HEXXLA_SEED=${seed} to replay)`);
    const rand = new Prng(seed);
    const tmp = await tmpDb.open({ mvcc: true });
    const states = new Map<bigint, Set<string>>([[0n, new Set()]]);
    const writes = new Map<string, bigint[]>();
    let live = new Set<string>();
    let rows = 0;
    for (let step = 0; step < 60; step++) {
      const next = new Set(live);
      const seq = tmp.db.commitSeq() + 1n;
      const touched = new Set<string>();
      await tmp.db.storage.update((tx) => {
        const w = new RecordWriter(tx, true);
        for (let op = 0; op < 1 + rand.int(4); op++) {
          const at = patch[rand.int(patch.length)]!;
          const id = coordToString(at);
          if (rand.bool(0.3)) {
            if (w.delete(cellKey(at))) touched.add(id);
            next.delete(id);
          } else {
            w.put(cellKey(at), cellValue(at, rand.int(1000)));
            next.add(id);
            touched.add(id);
          }
        }
        // A row of another versioned family: counted by stats, ignored by the diff.
        if (rand.bool(0.3)) w.put(facetKey(patch[0]!, 1), facetValue);
      });
      if (tmp.db.commitSeq() === seq) {
        for (const id of touched) writes.set(id, [...(writes.get(id) ?? []), seq]);
      }
      live = next;
      states.set(tmp.db.commitSeq(), live);
    }
    rows = tmp.db.storage.view((tx) => [...tx.range({ start: Uint8Array.of(0x10),
      end: Uint8Array.of(0x40) })].length);
    const check = (db: Database): void => {
      const head = db.commitSeq();
      expect(db.statsMVCC()).toEqual({ headSeq: head, cellCount: live.size, versionedRows: rows });
      for (let i = 0; i < 40; i++) {
        const b = BigInt(rand.int(Number(head) + 1));
        const a = BigInt(rand.int(Number(b) + 1));
        const sa = states.get(a)!;
        const sb = states.get(b)!;
        const ids = [...new Set([...sa, ...sb])].sort();
        const wrote = (id: string): boolean => (writes.get(id) ?? []).some((s) => s > a && s <= b);
        const diff = db.snapshotDiff(a, b);
        const strings = (l: readonly Coord[]): string[] => l.map(coordToString).sort();
        expect({ added: strings(diff.added), modified: strings(diff.modified),
          removed: strings(diff.removed) }, `diff ${a}..${b} seed ${seed}`).toEqual({
          added: ids.filter((id) => sb.has(id) && !sa.has(id)),
          modified: ids.filter((id) => sa.has(id) && sb.has(id) && wrote(id)),
          removed: ids.filter((id) => sa.has(id) && !sb.has(id)),
        });
      }
    };
    check(tmp.db);
    check(await tmp.reopen({ mvcc: true }));
  });
});
