/**
 * Goal: Database.putCells (SPEC §3.1) commits one transaction per batch, reports progress after
 * each committed batch, skips and reports items that fail with a HexxlaError when
 * continueOnError is set (the rest of their batch commits), and otherwise rejects at the first
 * failure with earlier batches committed and the failing batch not written. Options are
 * validated before anything is written. Both storage formats.
 * Method: temporary databases; commit counts from the commit seq under MVCC.
 */
import { describe, expect, it } from 'vitest';
import { coord } from '../../src/coord/index.js';
import { hexxlaError, isHexxlaError, type ErrorCode } from '../../src/errors.js';
import type { CellInput } from '../../src/index.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();

const inputsOf = (n: number, tag = 'batch'): CellInput[] =>
  Array.from({ length: n }, (_, i) => ({ coord: coord(i, -i), rawContent: `item ${i}`,
    tags: [tag] }));

async function expectRejects(run: Promise<unknown>, code: ErrorCode): Promise<void> {
  const caught = await run.then(() => undefined, (e: unknown) => e);
  expect(isHexxlaError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
}

describe.each([false, true])('putCells (mvcc %s)', (mvcc) => {
  it('writes everything in batches and reports progress after each', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const progress: [number, number][] = [];
    const seqBefore = tmp.db.commitSeq();
    const result = await tmp.db.putCells(inputsOf(25), {
      batchSize: 10, onProgress: (done, total) => progress.push([done, total]),
    });
    expect(result).toEqual({ written: 25, errors: [] });
    expect(progress).toEqual([[10, 25], [20, 25], [25, 25]]);
    if (mvcc) expect(tmp.db.commitSeq() - seqBefore).toBe(3n);
    expect(tmp.db.view((tx) => tx.listCellsByTag('batch')).length).toBe(25);
    await tmp.reopen();
    expect(tmp.db.view((tx) => tx.listCells()).length).toBe(25);
  });

  it('uses one batch of 1000 by default and handles an empty input', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const progress: number[] = [];
    expect(await tmp.db.putCells([], { onProgress: (done) => progress.push(done) }))
      .toEqual({ written: 0, errors: [] });
    expect(progress).toEqual([]);
    const result = await tmp.db.putCells(inputsOf(1001), {
      onProgress: (done) => progress.push(done),
    });
    expect(result.written).toBe(1001);
    expect(progress).toEqual([1000, 1001]);
  });

  it('continueOnError skips failing items, reports them and commits the rest', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const inputs = inputsOf(8);
    inputs[2] = { coord: coord(2, -2), rawContent: 'x', tags: ['dup', 'dup'] };
    inputs[5] = { coord: { q: 0.5, r: 0 }, rawContent: 'x' };
    // A validator that rejects with a HexxlaError is a per-item failure too.
    tmp.db.setHooks({
      validateCell: (cell) => {
        if (cell.rawContent === 'item 6') throw hexxlaError('InvalidArgument', 'policy');
      },
    });
    const result = await tmp.db.putCells(inputs, { batchSize: 3, continueOnError: true });
    expect(result.written).toBe(5);
    expect(result.errors.map((e) => [e.index, e.error.code]))
      .toEqual([[2, 'InvalidArgument'], [5, 'InvalidCoordinate'], [6, 'InvalidArgument']]);
    expect(tmp.db.getCell(coord(2, -2))).toBeUndefined();
    expect(tmp.db.getCell(coord(6, -6))).toBeUndefined();
    expect(tmp.db.view((tx) => tx.listCells()).length).toBe(5);
    // The failed items left no index entries behind.
    expect(tmp.db.view((tx) => tx.distinctTags())).toEqual(['batch']);
  });

  it('without continueOnError rejects at the first failure; earlier batches stay', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const inputs = inputsOf(9);
    inputs[7] = { coord: coord(7, -7), rawContent: 'x', provenance: { confidence: 9 } };
    const progress: number[] = [];
    await expectRejects(tmp.db.putCells(inputs, {
      batchSize: 3, onProgress: (done) => progress.push(done),
    }), 'InvalidArgument');
    expect(progress).toEqual([3, 6]);
    const stored = tmp.db.view((tx) => tx.listCells());
    expect(stored.map((c) => c.rawContent).sort()).toEqual(
      ['item 0', 'item 1', 'item 2', 'item 3', 'item 4', 'item 5']);
  });

  it('rejects a non-Hexxla error even with continueOnError', async () => {
    const tmp = await tmpDb.open({ mvcc });
    tmp.db.setHooks({
      validateCell: (cell) => {
        if (cell.rawContent === 'item 4') throw new TypeError('validator bug');
      },
    });
    await expect(tmp.db.putCells(inputsOf(6), { batchSize: 2, continueOnError: true }))
      .rejects.toThrow('validator bug');
    expect(tmp.db.view((tx) => tx.listCells()).length).toBe(4);
  });

  it('validates its options before writing anything', async () => {
    const tmp = await tmpDb.open({ mvcc });
    const bad: unknown[] = [
      { batchSize: 0 }, { batchSize: 100_001 }, { batchSize: 2.5 }, { batchSize: '10' },
      { continueOnError: 'yes' }, { onProgress: 42 }, 'options',
    ];
    for (const options of bad) {
      await expectRejects(tmp.db.putCells(inputsOf(3), options as never), 'InvalidArgument');
    }
    await expectRejects(tmp.db.putCells('cells' as never), 'InvalidArgument');
    expect(tmp.db.view((tx) => tx.listCells())).toEqual([]);
    expect((await tmp.db.putCells(inputsOf(2), { batchSize: 100_000 })).written).toBe(2);
  });
});
