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
