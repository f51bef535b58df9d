/**
 * Goal: `forEachSyncBoundary` cuts a multi-commit workload at every sync boundary, so engine
 * tests can check "no acknowledged commit is lost" after a simulated power loss at each one.
 * Method: a toy append-log workload (write a record, sync, count it acknowledged) run under the
 * helper in 'after', 'before' and torn modes; each image is checked against the acknowledged count.
 * Properties: the helper visits syncCount+1 'after' and syncCount 'before' boundaries; every
 * acknowledged record survives a 'drop' crash; at an 'after' boundary exactly the records synced
 * so far survive; torn images hold whole acknowledged records and at most a torn tail; a
 * nondeterministic workload is reported.
 */
import { describe, expect, it } from 'vitest';
import type { FaultyFileSystem } from './faulty-fs.js';
import { forEachSyncBoundary } from './sync-boundaries.js';

const recordBytes = 700;
const records = 4;

/** Appends `records` records of recordBytes bytes (value = record number), syncing each. */
function appendLog(acknowledged: { count: number }) {
  return async (fs: FaultyFileSystem): Promise<void> => {
    acknowledged.count = 0;
    const file = fs.open('/db/log', { create: true });
    await fs.syncDirectory('/db');
    for (let n = 1; n <= records; n++) {
      file.write(new Uint8Array(recordBytes).fill(n), (n - 1) * recordBytes);
      await file.sync();
      acknowledged.count = n;
    }
  };
}

const setup = (fs: FaultyFileSystem): void => {
  fs.mkdirp('/db');
  fs.flushAll();
};

/** Whole records at the front of the log. */
function wholeRecords(image: FaultyFileSystem): { whole: number; tail: number } {
  const log = image.exists('/db/log') ? image.readFile('/db/log') : new Uint8Array(0);
  let whole = 0;
  while (whole < records) {
    const record = log.subarray(whole * recordBytes, (whole + 1) * recordBytes);
    if (record.length < recordBytes || !record.every((b) => b === whole + 1)) break;
    whole++;
  }
  return { whole, tail: log.length - whole * recordBytes };
}

describe('forEachSyncBoundary', () => {
  it('visits every boundary and loses no acknowledged record', async () => {
    const acknowledged = { count: 0 };
    const seen: string[] = [];
    const result = await forEachSyncBoundary({
      setup,
      workload: appendLog(acknowledged),
      when: 'both',
      check: (image, boundary) => {
        seen.push(`${boundary.when}${boundary.index}`);
        const { whole, tail } = wholeRecords(image);
        expect(whole).toBeGreaterThanOrEqual(acknowledged.count);
        if (boundary.when === 'after') expect(whole).toBe(Math.max(0, boundary.index - 1));
        expect(tail).toBe(0);
        expect(boundary.workloadCompleted).toBe(boundary.when === 'after' && boundary.index === 5);
      },
    });
    expect(result).toEqual({ syncCount: 5, cases: 11 });
    expect(seen).toEqual(['after0', 'after1', 'after2', 'after3', 'after4', 'after5']
      .concat(['before1', 'before2', 'before3', 'before4', 'before5']));
  });

  it('yields torn tails at before-boundaries, never losing acknowledged records', async () => {
    const acknowledged = { count: 0 };
    const tails = new Set<number>();
    for (let seed = 1; seed <= 8; seed++) {
      await forEachSyncBoundary({
        seed,
        setup,
        workload: appendLog(acknowledged),
        when: 'before',
        crash: (index) => ({ mode: 'torn', seed: seed * 100 + index }),
        check: (image) => {
          const { whole, tail } = wholeRecords(image);
          expect(whole).toBeGreaterThanOrEqual(acknowledged.count);
          expect(tail).toBeLessThan(recordBytes);
          tails.add(tail);
        },
      });
    }
    expect([...tails].some((tail) => tail > 0)).toBe(true);
  });

  it('reports a workload that does not reach its boundary', async () => {
    let runs = 0;
    const flaky = async (fs: FaultyFileSystem): Promise<void> => {
      runs++;
      const file = fs.open('/db/log', { create: true });
      if (runs === 1) await file.sync();
    };
    await expect(forEachSyncBoundary({ setup, workload: flaky, check: () => undefined }))
      .rejects.toThrow(/not reached/);
  });
});
