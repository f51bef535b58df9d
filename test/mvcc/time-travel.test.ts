/**
 * Goal: on an MVCC database, reading at any past commit returns exactly what was live then.
 * Method: seeded random history through the public API (one transaction per step: puts, re-puts
 * and deletes of cells on a 37-cell patch, with tags from a small set; now and then a snapshot
 * tag). The model (coord → rawContent, tags) is recorded at every commit seq, plus which seqs
 * wrote each coord. Then, at random seqs and at seq 0 and the head: getCell for every coord,
 * listCells, listCellsByTag, snapshotDiff against the model; the same through viewAtTime (commit
 * times found with seqAtTime) and viewAtTag; again after a reopen. HEXXLA_SEED replays.
 * A second part checks snapshot isolation: a db.snapshot() keeps reading its seq across awaits
 * and commits; a released snapshot throws TxClosed.
 */
import { describe, expect, it } from 'vitest';
import {
  coord, coordToString, spiral, type Cell, type Coord, type Database, type ReadTx,
} from '../../src/index.js';
import { Prng, seedFromEnv } from '../fault/prng.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();

interface ModelCell {
  rawContent: string;
  tags: string[];
}
type Model = Map<string, ModelCell>;

const patch: Coord[] = spiral(coord(0, 0), 3);
const tagPool = ['red', 'green', 'blue'];

/** Everything the run recorded. */
interface History {
  states: Map<bigint, Model>;
  /** coord → seqs whose commit wrote a version of it (put, or delete of a live cell). */
  writes: Map<string, bigint[]>;
  tags: Map<string, bigint>;
  /** Commit seqs that recorded a timeline entry, with the wall-clock window around them. */
  commits: Array<{ seq: bigint; before: number; after: number }>;
}

function view(cell: Cell | undefined): ModelCell | undefined {
  return cell === undefined ? undefined : { rawContent: cell.rawContent, tags: [...cell.tags] };
}

function randomTags(rand: Prng): string[] {
  return tagPool.filter(() => rand.bool(0.4));
}

/** One random transaction; returns the model after it and the coords it wrote. */
async function randomStep(db: Database, rand: Prng, model: Model, step: number) {
  const next: Model = new Map(model);
  const touched = new Set<string>();
  await db.update((tx) => {
    for (let op = 0; op < 1 + rand.int(4); op++) {
      const at = patch[rand.int(patch.length)]!;
      const id = coordToString(at);
      if (rand.bool(0.3)) {
        const existed = next.delete(id);
        expect(tx.deleteCell(at)).toBe(existed);
        if (existed) touched.add(id);
      } else {
        const cell = { rawContent: `s${step} op${op} ${rand.int(1000)}`, tags: randomTags(rand) };
        tx.putCell({ coord: at, ...cell });
        next.set(id, cell);
        touched.add(id);
      }
      // Reads inside the transaction see its own writes.
      const probe = patch[rand.int(patch.length)]!;
      expect(view(tx.getCell(probe))).toEqual(next.get(coordToString(probe)));
    }
  });
  return { next, touched };
}

async function runHistory(db: Database, rand: Prng, steps: number): Promise<History> {
  const h: History = { states: new Map([[0n, new Map()]]), writes: new Map(), tags: new Map(),
    commits: [] };
  let model: Model = new Map();
  const record = (): void => {
    const seq = db.commitSeq();
    const known = h.states.get(seq);
    if (known !== undefined) expect(model).toEqual(known); // a commit that changed nothing
    h.states.set(seq, model);
  };
  for (let step = 0; step < steps; step++) {
    const seqBefore = db.commitSeq();
    const before = Date.now();
    const { next, touched } = await randomStep(db, rand, model, step);
    const after = Date.now();
    model = next;
    record();
    const seq = db.commitSeq();
    if (seq !== seqBefore) {
      h.commits.push({ seq, before, after });
      for (const id of touched) h.writes.set(id, [...(h.writes.get(id) ?? []), seq]);
    }
    if (rand.bool(0.1)) {
      h.tags.set(`tag-${step}`, await db.tagSnapshot(`tag-${step}`));
      record(); // tagging is itself a commit that changes no record
    }
  }
  return h;
}

function sortedCells(cells: readonly Cell[]): Array<[string, ModelCell]> {
  return cells.map((c): [string, ModelCell] => [coordToString(c.coord), view(c)!])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function expectedCells(model: Model, tag?: string): Array<[string, ModelCell]> {
  return [...model].filter(([, c]) => tag === undefined || c.tags.includes(tag))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Checks one read transaction against the model. */
function checkTx(tx: ReadTx, model: Model, what: string): void {
  for (const at of patch) {
    expect(view(tx.getCell(at)), `${what} getCell ${coordToString(at)}`)
      .toEqual(model.get(coordToString(at)));
  }
  expect(sortedCells(tx.listCells()), `${what} listCells`).toEqual(expectedCells(model));
  for (const tag of tagPool) {
    expect(sortedCells(tx.listCellsByTag(tag)), `${what} listCellsByTag ${tag}`)
      .toEqual(expectedCells(model, tag));
  }
}

/** The model's diff between seqs a ≤ b: coords as sorted strings. */
function expectedDiff(h: History, a: bigint, b: bigint) {
  const ma = h.states.get(a)!;
  const mb = h.states.get(b)!;
  const ids = [...new Set([...ma.keys(), ...mb.keys()])].sort();
  const wrote = (id: string): boolean =>
    (h.writes.get(id) ?? []).some((s) => s > a && s <= b);
  return {
    added: ids.filter((id) => mb.has(id) && !ma.has(id)),
    modified: ids.filter((id) => ma.has(id) && mb.has(id) && wrote(id)),
    removed: ids.filter((id) => ma.has(id) && !mb.has(id)),
  };
}

/** The commit time of `seq`: the smallest t in its window with seqAtTime(t) ≥ seq. */
function commitTimeOf(db: Database, c: History['commits'][number]): number {
  let lo = c.before;
  let hi = c.after;
  expect(db.seqAtTime(hi)).toBeGreaterThanOrEqual(c.seq);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (db.seqAtTime(mid) >= c.seq) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function verify(db: Database, h: History, rand: Prng): void {
  const head = db.commitSeq();
  const random = Array.from({ length: 20 }, () => BigInt(rand.int(Number(head) + 1)));
  for (const s of [0n, head, ...random]) {
    db.viewAt(s, (tx) => checkTx(tx, h.states.get(s)!, `viewAt(${s})`));
    const a = BigInt(rand.int(Number(s) + 1));
    const diff = db.snapshotDiff(a, s);
    const strings = (l: readonly Coord[]): string[] => l.map(coordToString).sort();
    expect({ added: strings(diff.added), modified: strings(diff.modified),
      removed: strings(diff.removed) }, `diff ${a}..${s}`).toEqual(expectedDiff(h, a, s));
  }
  for (let i = 0; i < 10 && h.commits.length > 0; i++) {
    const c = h.commits[rand.int(h.commits.length)]!;
    const t = commitTimeOf(db, c);
    // Before its commit time the commit is not visible; at it, it (or a later commit in the
    // same millisecond) is.
    expect(db.seqAtTime(t - 1)).toBeLessThan(c.seq);
    const seq = db.seqAtTime(t);
    db.viewAtTime(t, (tx) => {
      expect(tx.readSeq).toBe(seq);
      checkTx(tx, h.states.get(seq)!, `viewAtTime(${t})`);
    });
  }
  expect(db.listSnapshotTags().map((t) => [t.label, t.seq]))
    .toEqual([...h.tags].sort((x, y) => (x[0] < y[0] ? -1 : 1)));
  for (const [label, seq] of h.tags) {
    db.viewAtTag(label, (tx) => checkTx(tx, h.states.get(seq)!, `viewAtTag(${label})`));
  }
  expect(db.statsMVCC().cellCount).toBe(h.states.get(head)!.size);
}

describe('time travel matches the recorded model', () => {
  it('at random seqs, times and tags, before and after reopen', async () => {
    const seed = seedFromEnv(Date.now() % 1_000_000);
    console.log(`time-travel seed ${seed} (HEXXLA_SEED=${seed} to replay)`);
    const rand = new Prng(seed);
    const tmp = await tmpDb.open({ mvcc: true });
    const h = await runHistory(tmp.db, rand, 80);
    verify(tmp.db, h, rand);
    verify(await tmp.reopen({ mvcc: true }), h, rand);
  });

  it('after pruning, every seq at or after the prune point and every tag reads the same',
    async () => {
      const seed = seedFromEnv(Date.now() % 1_000_000) + 2;
      console.log(`time-travel prune seed ${seed} (HEXXLA_SEED=${seed - 2} to replay)`);
      const rand = new Prng(seed);
      const tmp = await tmpDb.open({ mvcc: true });
      const h = await runHistory(tmp.db, rand, 60);
      const head = tmp.db.commitSeq();
      const rowsBefore = tmp.db.statsMVCC().versionedRows;
      const point = BigInt(1 + rand.int(Number(head)));
      let removed = 0;
      for (let n = -1; n !== 0; removed += n) n = await tmp.db.pruneCellVersions(point, 7);
      expect(tmp.db.statsMVCC().versionedRows).toBe(rowsBefore - removed);
      if (point > 20n) expect(removed).toBeGreaterThan(0); // 20+ commits of re-puts shadow some
      const check = (db: Database): void => {
        // Recorded seqs only: prune commits and tag commits after `head` change no record.
        for (let s = point; s <= head; s++) {
          const model = h.states.get(s);
          if (model !== undefined) db.viewAt(s, (tx) => checkTx(tx, model, `pruned viewAt(${s})`));
        }
        for (const [label, seq] of h.tags) {
          db.viewAtTag(label, (tx) => checkTx(tx, h.states.get(seq)!, `pruned tag ${label}`));
        }
      };
      check(tmp.db);
      check(await tmp.reopen({ mvcc: true }));
    });

  it('without MVCC the same history reads the head only', async () => {
    const seed = seedFromEnv(Date.now() % 1_000_000) + 1;
    const rand = new Prng(seed);
    const tmp = await tmpDb.open({ mvcc: false });
    let model: Model = new Map();
    for (let step = 0; step < 30; step++) {
      model = (await randomStep(tmp.db, rand, model, step)).next;
    }
    tmp.db.view((tx) => checkTx(tx, model, `v1 seed ${seed}`));
    (await tmp.reopen({ mvcc: false })).view((tx) => checkTx(tx, model, `v1 reopened`));
  });
});

describe('snapshot isolation', () => {
  const a = coord(0, 0);
  const b = coord(1, 0);

  it('a snapshot does not see commits made after it, across awaits', async () => {
    const { db } = await tmpDb.open({ mvcc: true });
    await db.update((tx) => tx.putCell({ coord: a, rawContent: 'first' }));
    const snap = db.snapshot();
    const pinned = db.commitSeq();
    expect(snap.seq).toBe(pinned);
    await db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'second' });
      tx.putCell({ coord: b, rawContent: 'new' });
    });
    await db.update((tx) => tx.deleteCell(a));
    await Promise.resolve();
    snap.view((tx) => {
      expect(tx.readSeq).toBe(pinned);
      expect(tx.getCell(a)?.rawContent).toBe('first');
      expect(tx.getCell(b)).toBeUndefined();
      expect(tx.listCells().map((c) => c.rawContent)).toEqual(['first']);
    });
    expect(db.getCell(a)).toBeUndefined();
    expect(db.getCell(b)?.rawContent).toBe('new');
    // An older pinned seq works too.
    const old = db.snapshot(0n);
    expect(old.view((tx) => tx.listCells())).toEqual([]);
    snap.release();
    snap.release(); // idempotent
    expect(() => snap.view(() => 1)).toThrow(expect.objectContaining({ code: 'TxClosed' }));
    old.release();
    expect(() => old.view(() => 1)).toThrow(expect.objectContaining({ code: 'TxClosed' }));
  });
});
