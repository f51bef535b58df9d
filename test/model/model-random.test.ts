/**
 * Goal: the record API agrees with a plain in-memory model (record-model.ts) under random
 * sequences of cell, facet, edge and seam operations, including the delete cascade (deleteCell
 * removes the cell, its facets, its out-edges and its index entries; in-edges and seams stay),
 * on format v1 and on MVCC format v2, before and after reopen; under MVCC every earlier commit
 * still reads as the model did at that commit.
 * Method: seeded (printed; HEXXLA_SEED=<n> replays). Each step is one update transaction with a
 * few random operations drawn by weight: putCell (new or re-put with changed tags, source,
 * validity), a rejected putCell, deleteCell, putEdge / linkCells (from an existing or missing
 * cell; `to` may be a coordinate that never holds a cell), deleteEdge, markConflict /
 * markSupersedes (usually between existing distinct cells, sometimes not: typed errors),
 * resolveSeam (sometimes an unknown id or the 'unresolved' status), putFacet and updateFacet
 * (right hash, stale hash after a re-put, random hash, missing facet). A few steps throw at the
 * end so the whole transaction rolls back. Coordinate, tag, source and relation pools are small
 * so that re-puts, deletes and cascades hit existing records. After each step the head is
 * compared with the model: cells and their tag/source/week listings, facets, getEdge for every
 * (from, to, type) triple ever used, listEdges of every coordinate, getSeam for every seam id ever
 * returned, seamsOfCell, listSeams (all, by source, by week), findSeams for random centres,
 * radii and options, and the health check (ok; orphaned seams counted as the model predicts).
 * Under MVCC the model is recorded at every commit seq and viewAt(s) of two random earlier seqs
 * is compared too; all of them again after the final reopen.
 * Properties: listings return exactly the model's records in key / id order; errors are typed
 * and change nothing; createdAtMs survives re-puts (cells and edges); seam ids increase.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { comparePackedCoords, packCoord, spiral, type Coord } from '../../src/coord/index.js';
import type { FacetId, ResolutionStatus } from '../../src/engine/records.js';
import type { ReadTx, WriteTx } from '../../src/engine/tx.js';
import { ulidFromString, ulidTimeMs, ulidToString, type Ulid } from '../../src/engine/ulid.js';
import { weekBucket } from '../../src/engine/week-bucket.js';
import { isHexxlaError, type ErrorCode } from '../../src/errors.js';
import type { CellInput, Database, FindSeamsOptions } from '../../src/index.js';
import { Prng, seedFromEnv } from '../fault/prng.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { RecordModel, coordId, sha256 } from './record-model.js';

const tmpDb = useTmpDb();
const t0 = Date.UTC(2025, 0, 6, 9, 0, 0);
const day = 86_400_000;

const coordPool: Coord[] = [...spiral({ q: 0, r: 0 }, 2), { q: -300, r: 41 }, { q: 9, r: -70 }];
/** Edge targets: the cell pool plus coordinates that never hold a cell. */
const targetPool: Coord[] = [...coordPool, { q: 4, r: 4 }, { q: -300, r: 43 }];
const hotTargets: Coord[] = [{ q: 0, r: 0 }, { q: 4, r: 4 }];
const tagPool = ['a', 'bb', 'c', 'note', 'zz', 'é', 'Upper'];
const sourcePool = ['', '', 's1', 'source-2', 'x'];
// Different UTF-8 lengths, and 'é' (2 bytes) sorts after 'r' in key order but not in JS order.
const relationPool = ['r', 'ab', 'é', 'is', 'zz-top'];
const reasonPool = ['', 'dates differ', 'two\nlines', 'crlf\r\nend'];
const validFromPool = [undefined, t0 - 3 * day, t0 + 2 * day, t0 + 9 * day, t0 - 400 * day];
const weekPool = [
  ...new Set(validFromPool.flatMap((v) => (v === undefined ? [] : [weekBucket(v)]))),
];
const statuses: ResolutionStatus[] = ['merged', 'superseded', 'archived'];
/** A well-formed id no seam has (its time is years before t0). */
const unknownSeamId = ulidFromString('01ARZ3NDEKTSV4RRFFQ69G5FAV');

/** Picks one element of a non-empty list. */
function pick<T>(rand: Prng, list: readonly T[]): T {
  return list[rand.int(list.length)] as T;
}

/** Everything any step referred to, so reads also cover records that are gone (or not yet). */
class Universe {
  readonly edgeTriples = new Map<string, [Coord, Coord, string]>();
  readonly seamIds = new Map<string, Ulid>();
  /** Outcome → how often it happened, printed at the end to show what the seed exercised. */
  readonly tally = new Map<string, number>();

  count(outcome: string): void {
    this.tally.set(outcome, (this.tally.get(outcome) ?? 0) + 1);
  }
}

/** What one operation works on. */
interface StepCtx {
  readonly tx: WriteTx;
  readonly model: RecordModel;
  readonly all: Universe;
  readonly rand: Prng;
  readonly nowMs: number;
  readonly step: number;
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

/** Asserts that `fn` throws a HexxlaError with `code`. */
function expectError(fn: () => unknown, code: ErrorCode, what: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isHexxlaError(caught, code), `${what}: expected ${code}, got ${String(caught)}`)
    .toBe(true);
}

/** Mostly an existing cell (so operations succeed), sometimes any pooled coordinate. */
function someCell(s: StepCtx): Coord {
  const live = [...s.model.cells.values()];
  return live.length > 0 && s.rand.bool(0.85) ? pick(s.rand, live).coord : pick(s.rand, coordPool);
}

// ---------------------------------------------------------------------------------------------
// Operations: each applies one random operation to the transaction and to the model.

function opPutCell(s: StepCtx): void {
  const input = randomInput(s.rand, s.step);
  expect(s.tx.putCell(input)).toEqual(s.model.putCell(input, s.nowMs));
}

function opInvalidPutCell(s: StepCtx): void {
  expectError(() => s.tx.putCell(invalidInput(s.rand, s.step)), 'InvalidArgument', 'putCell');
}

function opDeleteCell(s: StepCtx): void {
  const c = s.rand.bool(0.7) ? someCell(s) : pick(s.rand, coordPool);
  const outEdges = s.model.listEdges(c).length;
  const existed = s.model.deleteCell(c);
  expect(s.tx.deleteCell(c), `deleteCell ${coordId(c)}`).toBe(existed);
  s.all.count(!existed ? 'deleteCell missing' : outEdges > 0 ? 'deleteCell with out-edges'
    : 'deleteCell');
}

function opPutEdge(s: StepCtx): void {
  const { rand } = s;
  // A third of the time the (from, to) pair of an existing edge, with its own relation type
  // (a re-put: createdAtMs must survive) or another one (key order of types within a pair);
  // else any from, and half the time one of a few hot targets.
  const edges = [...s.model.edges.values()];
  const again = edges.length > 0 && rand.bool(0.33) ? pick(rand, edges) : undefined;
  const from = again?.from ?? someCell(s);
  const to = again?.to ?? (rand.bool(0.5) ? pick(rand, hotTargets) : pick(rand, targetPool));
  const relationType = again !== undefined && rand.bool(0.5) ? again.relationType
    : pick(rand, relationPool);
  const weight = pick(rand, [1, 0.5, -2, 3.25]);
  s.all.edgeTriples.set(`${coordId(from)}|${coordId(to)}|${relationType}`,
    [from, to, relationType]);
  const sugar = rand.bool(0.5);
  const input = sugar ? { from, to, relationType, weight }
    : { from, to, relationType, ...(rand.bool(0.5) ? { weight } : {}),
      ...(rand.bool(0.5) ? { provenance: { sourceId: pick(rand, sourcePool),
        confidence: rand.int(3) / 2 } } : {}) };
  const write = (): unknown =>
    (sugar ? s.tx.linkCells(from, to, relationType, weight) : s.tx.putEdge(input));
  const expected = s.model.putEdge(input, s.nowMs);
  s.all.count(expected === undefined ? 'putEdge NotFound' : 'putEdge');
  if (expected === undefined) expectError(write, 'NotFound', `putEdge from ${coordId(from)}`);
  else expect(write()).toEqual(expected);
}

function opDeleteEdge(s: StepCtx): void {
  const edges = [...s.model.edges.values()];
  const edge = edges.length > 0 && s.rand.bool(0.7) ? pick(s.rand, edges) : undefined;
  const [from, to, type]: [Coord, Coord, string] = edge !== undefined
    ? [edge.from, edge.to, edge.relationType]
    : [pick(s.rand, coordPool), pick(s.rand, targetPool), pick(s.rand, relationPool)];
  s.all.edgeTriples.set(`${coordId(from)}|${coordId(to)}|${type}`, [from, to, type]);
  const existed = s.model.deleteEdge(from, to, type);
  s.all.count(existed ? 'deleteEdge' : 'deleteEdge missing');
  expect(s.tx.deleteEdge(from, to, type)).toBe(existed);
}

function opMarkSeam(s: StepCtx): void {
  const { rand } = s;
  const a = someCell(s);
  const b = someCell(s);
  const type = rand.bool(0.5) ? 'conflict' : 'supersedes';
  const input = rand.bool(0.3) ? undefined
    : { reason: pick(rand, reasonPool), confidenceDelta: rand.int(5) - 2 };
  const mark = (): ReturnType<WriteTx['markConflict']> => (type === 'conflict'
    ? s.tx.markConflict(a, b, input) : s.tx.markSupersedes(a, b, input));
  const draft = s.model.seamDraft(type, a, b, input, s.nowMs);
  s.all.count(`${type}${typeof draft === 'string' ? ` ${draft}` : ''}`);
  if (typeof draft === 'string') {
    expectError(mark, draft, `${type} ${coordId(a)} ${coordId(b)}`);
    return;
  }
  const seam = mark();
  expect(seam).toEqual({ ...draft, id: seam.id });
  const text = ulidToString(seam.id);
  // Ids are the engine's: check they are fresh, after every earlier id, and not before now.
  for (const earlier of s.all.seamIds.keys()) expect(text > earlier, text).toBe(true);
  expect(ulidTimeMs(seam.id)).toBeGreaterThanOrEqual(s.nowMs);
  s.all.seamIds.set(text, seam.id);
  s.model.addSeam(seam, s.nowMs);
}

function opResolveSeam(s: StepCtx): void {
  const { rand } = s;
  const ids = [...s.model.seams.keys()];
  const text = ids.length > 0 && rand.bool(0.9) ? pick(rand, ids) : ulidToString(unknownSeamId);
  const id = ulidFromString(text);
  const note = pick(rand, ['', 'kept the newer one', 'multi\nline note']);
  if (rand.bool(0.1)) {
    expectError(() => s.tx.resolveSeam(id, 'unresolved', note), 'InvalidArgument', 'resolve');
    return;
  }
  const status = pick(rand, statuses);
  const expected = s.model.resolveSeam(text, status, note);
  s.all.count(expected === undefined ? 'resolveSeam NotFound' : 'resolveSeam');
  if (expected === undefined) {
    expectError(() => s.tx.resolveSeam(id, status, note), 'NotFound', `resolve ${text}`);
  } else {
    expect(s.tx.resolveSeam(id, status, note)).toEqual(expected);
  }
}

function opPutFacet(s: StepCtx): void {
  const { rand } = s;
  const c = someCell(s);
  const input = {
    id: (1 + rand.int(5)) as FacetId,
    derivedContent: `derived ${s.step} ${rand.int(1000)}`,
    ...(rand.bool(0.2) ? { derivationHash: rand.bytes(32) } : {}),
    ...(rand.bool(0.2) ? { lastRotatedMs: t0 - day } : {}),
  };
  const expected = s.model.putFacet(c, input, s.nowMs);
  s.all.count(expected === undefined ? 'putFacet NotFound' : 'putFacet');
  if (expected === undefined) {
    expectError(() => s.tx.putFacet(c, input), 'NotFound', `putFacet ${coordId(c)}`);
  } else {
    expect(s.tx.putFacet(c, input)).toEqual(expected);
  }
}

/**
 * Right hash (SHA-256 of the current raw), the facet's own hash (stale after a re-put of the
 * cell, right otherwise) or random bytes, on a facet the cell has or may lack.
 */
function opUpdateFacet(s: StepCtx): void {
  const { rand } = s;
  // Mostly a cell that has a facet 1…5 (else updateFacet could only fail with NotFound).
  const withFacets = [...s.model.cells.values()].map((cell) => cell.coord)
    .filter((at) => s.model.listFacets(at).some((f) => f.id !== 0));
  const c = withFacets.length > 0 && rand.bool(0.8) ? pick(rand, withFacets) : someCell(s);
  const own = s.model.listFacets(c).filter((f) => f.id !== 0);
  const facet = own.length > 0 && rand.bool(0.85) ? pick(rand, own) : undefined;
  const id = facet?.id ?? (1 + rand.int(5)) as FacetId;
  const raw = s.model.getCell(c)?.rawContent;
  const roll = rand.int(4);
  const hash = roll < 2 && raw !== undefined ? sha256(raw)
    : roll === 2 && facet !== undefined ? facet.derivationHash : rand.bytes(32);
  const content = `updated ${s.step} ${rand.int(1000)}`;
  const expected = s.model.updateFacet(c, id, content, hash, s.nowMs);
  s.all.count(`updateFacet${typeof expected === 'string' ? ` ${expected}` : ''}`);
  const update = (): unknown => s.tx.updateFacet(c, id, content, hash);
  if (typeof expected === 'string') {
    expectError(update, expected, `updateFacet ${coordId(c)} ${id}`);
    // Nothing changed, already inside the transaction.
    expect(s.tx.listFacets(c)).toEqual(s.model.listFacets(c));
  } else {
    expect(update()).toEqual(expected);
  }
}

const weightedOps: readonly [number, (s: StepCtx) => void][] = [
  [28, opPutCell], [3, opInvalidPutCell], [10, opDeleteCell], [15, opPutEdge],
  [6, opDeleteEdge], [14, opMarkSeam], [7, opResolveSeam], [8, opPutFacet], [9, opUpdateFacet],
];
const weightTotal = weightedOps.reduce((sum, [w]) => sum + w, 0);

function randomOp(rand: Prng): (s: StepCtx) => void {
  let roll = rand.int(weightTotal);
  for (const [w, op] of weightedOps) {
    if (roll < w) return op;
    roll -= w;
  }
  throw new Error('unreachable');
}

class Abort extends Error {}

/**
 * One step: a few random operations in one update transaction, applied to a copy of the model.
 * Returns the model after the step: the copy when the transaction committed, `model` itself when
 * the step deliberately threw at the end (the whole transaction must roll back).
 */
async function runStep(db: Database, model: RecordModel, all: Universe, rand: Prng,
  step: number): Promise<RecordModel> {
  const nowMs = t0 + step * 1000;
  vi.setSystemTime(nowMs);
  const next = model.snapshot();
  const abort = rand.bool(0.06);
  try {
    await db.update((tx: WriteTx) => {
      const s: StepCtx = { tx, model: next, all, rand, nowMs, step };
      for (let op = 0, n = 1 + rand.int(6); op < n; op++) randomOp(rand)(s);
      if (abort) throw new Abort('rolled back on purpose');
    });
  } catch (e) {
    if (!(e instanceof Abort)) throw e;
    all.count('rolled back');
    return model;
  }
  return next;
}

// ---------------------------------------------------------------------------------------------
// Reads compared with the model

function checkCells(tx: ReadTx, model: RecordModel, rand: Prng, where: string): void {
  for (const c of coordPool) {
    expect(tx.getCell(c), `${where} getCell ${coordId(c)}`).toEqual(model.getCell(c));
    expect(tx.listFacets(c), `${where} listFacets ${coordId(c)}`).toEqual(model.listFacets(c));
  }
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
  const start = all.filter((cell) =>
    comparePackedCoords(packCoord(cell.coord), packCoord(after)) <= 0).length;
  expect(tx.listCellsByTag(tag, { after, limit }), `${where} page of ${tag}`)
    .toEqual(all.slice(start, start + limit));
}

function checkEdges(tx: ReadTx, model: RecordModel, all: Universe, where: string): void {
  for (const c of targetPool) {
    expect(tx.listEdges(c), `${where} listEdges ${coordId(c)}`).toEqual(model.listEdges(c));
  }
  for (const [k, [from, to, type]] of all.edgeTriples) {
    expect(tx.getEdge(from, to, type), `${where} getEdge ${k}`)
      .toEqual(model.getEdge(from, to, type));
  }
}

function checkSeams(tx: ReadTx, model: RecordModel, all: Universe, rand: Prng,
  where: string): void {
  for (const [text, id] of all.seamIds) {
    expect(tx.getSeam(id), `${where} getSeam ${text}`).toEqual(model.getSeam(text));
  }
  expect(tx.getSeam(unknownSeamId), `${where} unknown seam`).toBeUndefined();
  for (const c of targetPool) {
    expect(tx.seamsOfCell(c), `${where} seamsOfCell ${coordId(c)}`)
      .toEqual(model.seamsOfCell(c));
  }
  expect(tx.listSeams(), `${where} listSeams`).toEqual(model.listSeams());
  expect(tx.listSeamsByWeek(weekBucket(t0)), `${where} seams by week`)
    .toEqual(model.listSeams());
  for (const s of sourcePool.filter((x) => x !== '')) {
    expect(tx.listSeamsBySource(s), `${where} seams by source ${s}`)
      .toEqual(model.listSeamsBySource(s));
  }
  const probes: [Coord, number][] = [[{ q: 0, r: 0 }, 2], [{ q: -300, r: 42 }, 1]];
  for (let i = 0; i < 4; i++) probes.push([pick(rand, targetPool), rand.int(4)]);
  for (const [center, radius] of probes) {
    const opts: FindSeamsOptions = {
      ...(rand.bool(0.5) ? { unresolvedOnly: rand.bool(0.7) } : {}),
      ...(rand.bool(0.2) ? { asOfMs: t0 + rand.int(80) * 1000 } : {}),
    };
    expect(tx.findSeams(center, radius, opts),
      `${where} findSeams ${coordId(center)} r ${radius} ${JSON.stringify(opts)}`)
      .toEqual(model.findSeams(center, radius, opts));
  }
}

function checkReads(tx: ReadTx, model: RecordModel, all: Universe, rand: Prng,
  where: string): void {
  checkCells(tx, model, rand, where);
  checkEdges(tx, model, all, where);
  checkSeams(tx, model, all, rand, where);
}

function checkHealth(db: Database, model: RecordModel, where: string): void {
  const report = db.healthCheck();
  expect(report.errors, `${where} health errors`).toEqual([]);
  expect(report.ok, `${where} health ok`).toBe(true);
  const seams = model.listSeams();
  const unresolved = seams.filter((s) => s.resolutionStatus === 'unresolved').length;
  expect({
    cellCount: report.cellCount, seamCount: report.seamCount,
    unresolvedSeams: report.unresolvedSeams, resolvedSeams: report.resolvedSeams,
    orphanedSeams: report.orphanedSeams, orphanWarnings: report.warnings.length,
  }, `${where} health counts`).toEqual({
    cellCount: model.cells.size, seamCount: seams.length,
    unresolvedSeams: unresolved, resolvedSeams: seams.length - unresolved,
    orphanedSeams: model.orphanedSeams(), orphanWarnings: model.orphanedSeams(),
  });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each([false, true])('records against a model (mvcc %s)', (mvcc) => {
  it('random cell, facet, edge and seam operations agree with the model', async () => {
    const seed = seedFromEnv(Date.now() % 1_000_000);
    console.log(`records model seed ${seed} (HEXXLA_SEED=${seed} to replay)`);
    const rand = new Prng(seed);
    const tmp = await tmpDb.open({ mvcc });
    let model = new RecordModel();
    const all = new Universe();
    const history: [bigint, RecordModel][] = [];
    const steps = 80;
    for (let step = 1; step <= steps; step++) {
      model = await runStep(tmp.db, model, all, rand, step);
      history.push([tmp.db.commitSeq(), model.snapshot()]);
      const where = `seed ${seed} step ${step}`;
      tmp.db.view((tx) => checkReads(tx, model, all, rand, where));
      checkHealth(tmp.db, model, where);
      if (mvcc) {
        for (let i = 0; i < 2; i++) {
          const [seq, then] = pick(rand, history);
          tmp.db.viewAt(seq, (tx) => checkReads(tx, then, all, rand, `${where} at seq ${seq}`));
        }
      }
      if (step === steps / 2) {
        await tmp.reopen();
        tmp.db.view((tx) => checkReads(tx, model, all, rand, `${where} after reopen`));
      }
    }
    await tmp.reopen();
    tmp.db.view((tx) => checkReads(tx, model, all, rand, `seed ${seed} after reopen`));
    checkHealth(tmp.db, model, `seed ${seed} after reopen`);
    all.tally.set('orphaned seams at the end', model.orphanedSeams());
    console.log(`seed ${seed}: ${[...all.tally].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
    if (mvcc) {
      for (const [seq, then] of history) {
        tmp.db.viewAt(seq, (tx) => checkReads(tx, then, all, rand, `seed ${seed} at seq ${seq}`));
      }
    }
  });
});
