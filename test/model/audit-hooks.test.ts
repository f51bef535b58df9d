/**
 * Goal: defects found by the library audit of record hooks (SPEC §3.1; RecordHooks docs: errors
 * of after-put hooks "never fail the commit"): an onHookError handler that itself throws must
 * not turn a durable commit into a rejected update (a caller would retry a write that landed),
 * nor stop the other after-put hooks of that commit.
 * Method: public API on the memory file system (TmpDb).
 */
import { describe, expect, it } from 'vitest';
import { coord } from '../../src/index.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();

describe('after-put hooks', () => {
  it('a throwing onHookError neither rejects the committed update nor skips hooks', async () => {
    const seen: string[] = [];
    const { db } = await tmpDb.open({
      hooks: {
        afterPutCell: (cell) => {
          seen.push(cell.rawContent);
          throw new Error(`hook failed on ${cell.rawContent}`);
        },
        onHookError: (err) => {
          throw err; // e.g. a logger that is down
        },
      },
    });
    await expect(db.update((tx) => {
      tx.putCell({ coord: coord(0, 0), rawContent: 'a' });
      tx.putCell({ coord: coord(1, 0), rawContent: 'b' });
      return 'done';
    })).resolves.toBe('done');
    expect(seen).toEqual(['a', 'b']);
    expect(db.getCell(coord(1, 0))?.rawContent).toBe('b');
    await expect(db.putCells([{ coord: coord(2, 0), rawContent: 'c' },
      { coord: coord(3, 0), rawContent: 'd' }], { batchSize: 1 }))
      .resolves.toEqual({ written: 2, errors: [] });
  });
});

describe('async hooks', () => {
  async function settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  function watchUnhandled(): { unhandled: unknown[]; stop: () => void } {
    const unhandled: unknown[] = [];
    const on = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', on);
    return { unhandled, stop: () => process.off('unhandledRejection', on) };
  }

  it('an async validator is refused instead of being bypassed', async () => {
    const watch = watchUnhandled();
    try {
      const { db } = await tmpDb.open({
        hooks: {
          validateCell: (async (cell: { rawContent: string }) => {
            if (cell.rawContent === 'bad') throw new Error('rejected by the validator');
          }) as unknown as (cell: unknown) => void,
        },
      });
      await expect(db.putCell({ coord: coord(0, 0), rawContent: 'bad' }))
        .rejects.toMatchObject({ code: 'InvalidArgument' });
      expect(db.getCell(coord(0, 0))).toBeUndefined();
      await settle();
      expect(watch.unhandled).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it('a rejected async after-put hook goes to onHookError, not to an unhandled rejection',
    async () => {
      const watch = watchUnhandled();
      try {
        const errors: unknown[] = [];
        const { db } = await tmpDb.open({
          hooks: {
            afterPutCell: (async () => {
              throw new Error('async hook failed');
            }) as unknown as () => void,
            onHookError: (err) => errors.push(err),
          },
        });
        await db.putCell({ coord: coord(0, 0), rawContent: 'a' });
        await settle();
        expect(watch.unhandled).toEqual([]);
        expect(errors).toHaveLength(1);
      } finally {
        watch.stop();
      }
    });

  // Review: an async onHookError that rejects crashed the process (unhandled rejection).
  it('an async onHookError that rejects is contained too', async () => {
    const watch = watchUnhandled();
    try {
      let calls = 0;
      const { db } = await tmpDb.open({
        hooks: {
          afterPutCell: () => {
            throw new Error('hook failed');
          },
          onHookError: (async () => {
            calls++;
            throw new Error('logger down');
          }) as unknown as () => void,
        },
      });
      await db.putCell({ coord: coord(0, 0), rawContent: 'a' });
      await settle();
      expect(calls).toBe(1);
      expect(watch.unhandled).toEqual([]);
    } finally {
      watch.stop();
    }
  });
});

describe('putCells progress callback', () => {
  it('an async onProgress that rejects rejects the call, not the process', async () => {
    const unhandled: unknown[] = [];
    const on = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', on);
    try {
      const { db } = await tmpDb.open();
      const onProgress = (async () => {
        throw new Error('progress sink down');
      }) as unknown as (done: number, total: number) => void;
      await expect(db.putCells([{ coord: coord(0, 0), rawContent: 'a' }], { onProgress }))
        .rejects.toThrow('progress sink down');
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(db.getCell(coord(0, 0))?.rawContent).toBe('a'); // the batch had committed
    } finally {
      process.off('unhandledRejection', on);
    }
  });
});
