/**
 * Goal: defects found by the library audit of the transaction entry points (SPEC §5, §13): a
 * callback that is not a function is InvalidArgument, and an async callback, refused with
 * InvalidArgument, does not also crash the process with an unhandled rejection when it touches
 * the ended transaction after its first await (TxClosed in a promise nobody can catch).
 * Method: public API on the memory file system (TmpDb); process 'unhandledRejection' events.
 */
import { describe, expect, it } from 'vitest';
import { coord } from '../../src/index.js';
import type { ReadTx, WriteTx } from '../../src/index.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();
const invalid = expect.objectContaining({ code: 'InvalidArgument' });

describe('transaction callbacks', () => {
  it('refuses a callback that is not a function', async () => {
    const { db } = await tmpDb.open();
    expect(() => db.view(null as never)).toThrowError(invalid);
    await expect(db.update(null as never)).rejects.toThrowError(invalid);
    await expect(db.batch(5 as never)).rejects.toThrowError(invalid);
  });

  it('an async callback is refused without an unhandled rejection', async () => {
    const { db } = await tmpDb.open();
    await db.putCell({ coord: coord(0, 0), rawContent: 'a' });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const late = async (tx: ReadTx | WriteTx): Promise<unknown> => {
        await null;
        return tx.getCell(coord(0, 0)); // TxClosed: the transaction ended
      };
      expect(() => db.view(late)).toThrowError(invalid);
      await expect(db.update(late)).rejects.toThrowError(invalid);
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
