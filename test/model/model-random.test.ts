/**
 * Goal: the record API agrees with a plain in-memory model under random sequences of cell puts,
 * re-puts (changed tags, sources, validity), deletes and rejected puts, on format v1 and on MVCC
 * format v2, before and after reopen; under MVCC every earlier commit still reads as the model
 * did at that commit.
 * Method: seeded (printed; HEXXLA_SEED=<n> replays). Each step is one update transaction with a
 * few random operations over a small coordinate pool (so re-puts and deletes hit existing cells)
 * and small tag/source/week pools (so index entries are shared, moved and emptied). After each
 * step: getCell for every pooled coordinate, listCells, every tag/source/week listing, a random
 * page of one of them, and distinctTags are compared with the model. The model is a class with
 * one method per operation so that edges and seams can join it later (see `RecordModel`).
 * Properties: listings return exactly the model's cells in packed key order; distinctTags is the
 * sorted union of live tags; a rejected put changes nothing; createdAtMs survives re-puts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { comparePackedCoords, packCoord, spiral, type Coord } from '../../src/coord/index.js';
import type { Cell } from '../../src/engine/records.js';
import type { ReadTx, WriteTx } from '../../src/engine/tx.js';
import { weekBucket } from '../../src/engine/week-bucket.js';
import { isHexxlaError } from '../../src/errors.js';
import type { CellInput, Database } from '../../src/index.js';
import { Prng, seedFromEnv } from '../fault/prng.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();
const t0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const day = 86_400_000;

const coordPool: Coord[] = [...spiral({ q: 0, r: 0 }, 2), { q: -300, r: 41 }, { q: 9, r: -70 }];
const tagPool = ['a', 'bb', 'c', 'note', 'zz', 'é', 'Upper'];
const sourcePool = ['', '', 's1', 'source-2', 'x'];
const validFromPool = [undefined, t0 - 3 * day, t0 + 2 * day, t0 + 9 * day, t0 - 400 * day];
const weekPool = [
  ...new Set(validFromPool.flatMap((v) => (v === undefined ? [] : [weekBucket(v)]))),
];

const id = (c: Coord): string => `${c.q},${c.r}`;
const keyOrder = (x: Cell, y: Cell): number =>
  comparePackedCoords(packCoord(x.coord), packCoord(y.coord));

/**
 * The reference: the records a correct engine holds, as plain maps. One method per operation,
 * mirroring the engine's semantics; `snapshot` copies it for MVCC history checks. Edges and
 * seams are meant to become further maps here, with deleteCell cascading to them.
 */
class RecordModel {
  readonly cells = new Map<string, Cell>();

  putCell(input: CellInput, nowMs: number): Cell {
    const old = this.cells.get(id(input.coord));
    const p = input.provenance ?? {};
    const cell: Cell = {
      coord: { q: input.coord.q, r: input.coord.r },
      rawContent: input.rawContent,
      tags: [...(input.tags ?? [])],
      provenance: {
        sourceId: p.sourceId ?? '',
        confidence: p.confidence ?? 1,
        createdAtMs: p.createdAtMs ?? old?.provenance.createdAtMs ?? nowMs,
        updatedAtMs: p.updatedAtMs ?? nowMs,
      },
      validity: { ...input.validity },
      activeFacetId: input.activeFacetId ?? 0,
    };
    this.cells.set(id(cell.coord), cell);
    return cell;
  }

  deleteCell(c: Coord): boolean {
    return this.cells.delete(id(c));
  }

  getCell(c: Coord): Cell | undefined {
    return this.cells.get(id(c));
  }

  listCells(filter: (cell: Cell) => boolean = () => true): Cell[] {
    return [...this.cells.values()].filter(filter).sort(keyOrder);
  }

  listCellsByTag(tag: string): Cell[] {
    return this.listCells((cell) => cell.tags.includes(tag));
  }

  listCellsBySource(sourceId: string): Cell[] {
    return this.listCells((cell) => cell.provenance.sourceId === sourceId);
  }

  listCellsByWeek(bucket: number): Cell[] {
    return this.listCells((cell) => cell.validity.validFromMs !== undefined &&
      weekBucket(cell.validity.validFromMs) === bucket);
  }

  distinctTags(): string[] {
    return [...new Set([...this.cells.values()].flatMap((cell) => cell.tags))].sort();
  }

  snapshot(): RecordModel {
    const copy = new RecordModel();
    for (const [k, v] of this.cells) copy.cells.set(k, v);
    return copy;
  }
}

/** Picks one element of a non-empty list. */
function pick<T>(rand: Prng, list: readonly T[]): T {
  return list[rand.int(list.length)] as T;
}

function randomInput(rand: Prng, step: number): CellInput {
  const tags = tagPool.filter(() => rand.bool(0.3));
  const validFromMs = pick(rand, validFromPool);
  const validity = validFromMs === undefined
    ? (rand.bool(0.2) ? { validToMs: t0 + day } : {})
    : { validFromMs, ...(rand.bool(0.3) ? { validToMs: validFromMs + day } : {}) };
  return {
    coord: pick(rand, coordPool),
    rawContent: `step ${step} ${rand.int(1000)}`,
    tags,
    provenance: { sourceId: pick(rand, sourcePool), confidence: rand.int(5) / 4 },
    validity,
    ...(rand.bool(0.1) ? { activeFacetId: 1 as const } : {}),
  };
}

/** An input putCell must reject (with a typed error, before writing anything). */
function invalidInput(rand: Prng, step: number): CellInput {
  const good = randomInput(rand, step);
  switch (rand.int(3)) {
    case 0: return { ...good, tags: ['dup', 'new-tag', 'dup'] };
    case 1: return { ...good, provenance: { sourceId: 'fresh-source', confidence: -1 } };
    default: return { ...good, tags: ['new-tag'], validity: { validFromMs: 5, validToMs: 4 } };
  }
}

/** One step: a few random operations applied to the database and, once committed, the model. */
async function runStep(db: Database, model: RecordModel, rand: Prng, step: number):
  Promise<void> {
  const nowMs = t0 + step * 1000;
  vi.setSystemTime(nowMs);
  const next = model.snapshot();
  await db.update((tx: WriteTx) => {
    for (let op = 0, n = 1 + rand.int(5); op < n; op++) {
      const roll = rand.int(10);
      if (roll < 6) {
        const input = randomInput(rand, step);
        expect(tx.putCell(input)).toEqual(next.putCell(input, nowMs));
      } else if (roll < 9) {
        const c = pick(rand, coordPool);
        expect(tx.deleteCell(c)).toBe(next.deleteCell(c));
      } else {
        let caught: unknown;
        try {
          tx.putCell(invalidInput(rand, step));
        } catch (e) {
          caught = e;
        }
        expect(isHexxlaError(caught, 'InvalidArgument'), String(caught)).toBe(true);
      }
    }
  });
  for (const [k, v] of next.cells) model.cells.set(k, v);
  for (const k of [...model.cells.keys()]) if (!next.cells.has(k)) model.cells.delete(k);
}

/** Compares every read of `tx` with `model`; `rand` picks one paged listing to compare too. */
function checkReads(tx: ReadTx, model: RecordModel, rand: Prng, where: string): void {
  for (const c of coordPool) expect(tx.getCell(c), `${where} getCell ${id(c)}`)
    .toEqual(model.getCell(c));
  expect(tx.listCells(), `${where} listCells`).toEqual(model.listCells());
  for (const tag of tagPool) {
    expect(tx.listCellsByTag(tag), `${where} tag ${tag}`).toEqual(model.listCellsByTag(tag));
  }
  for (const s of sourcePool.filter((x) => x !== '')) {
    expect(tx.listCellsBySource(s), `${where} source ${s}`).toEqual(model.listCellsBySource(s));
  }
  for (const w of weekPool) {
    expect(tx.listCellsByWeek(w), `${where} week ${w}`).toEqual(model.listCellsByWeek(w));
  }
  expect(tx.distinctTags(), `${where} distinctTags`).toEqual(model.distinctTags());
  // One random page: limit and an `after` that may or may not be a listed coordinate.
  const tag = pick(rand, tagPool);
  const after = pick(rand, coordPool);
  const limit = rand.int(4);
  const all = model.listCellsByTag(tag);
  const start = all.filter((cell) => keyOrder(cell, { coord: after } as Cell) <= 0).length;
  expect(tx.listCellsByTag(tag, { after, limit }), `${where} page of ${tag}`)
    .toEqual(all.slice(start, start + limit));
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each([false, true])('cells against a model (mvcc %s)', (mvcc) => {
  it('random puts, re-puts and deletes agree with the model', async () => {
    const seed = seedFromEnv(Date.now() % 1_000_000);
    console.log(`cells model seed ${seed} (HEXXLA_SEED=${seed} to replay)`);
    const rand = new Prng(seed);
    const tmp = await tmpDb.open({ mvcc });
    const model = new RecordModel();
    const history: [bigint, RecordModel][] = [];
    const steps = 60;
    for (let step = 1; step <= steps; step++) {
      await runStep(tmp.db, model, rand, step);
      history.push([tmp.db.commitSeq(), model.snapshot()]);
      tmp.db.view((tx) => checkReads(tx, model, rand, `seed ${seed} step ${step}`));
      if (step === steps / 2) await tmp.reopen();
    }
    await tmp.reopen();
    tmp.db.view((tx) => checkReads(tx, model, rand, `seed ${seed} after reopen`));
    if (mvcc) {
      for (const [seq, then] of history) {
        tmp.db.viewAt(seq, (tx) => checkReads(tx, then, rand, `seed ${seed} at seq ${seq}`));
      }
    }
  });
});
