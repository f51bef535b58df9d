/**
 * Goal: the health check (SPEC §11) counts cells and seams, reports orphaned seams as warnings,
 * finds index entries without records and records without index entries, includes the
 * structural check, and caps its error list.
 * Method: build a small database through the public API, then damage indexes directly through
 * the versioned record layer (as a bug in the engine would), on both formats.
 */
import { describe, expect, it } from 'vitest';
import { coord } from '../../src/index.js';
import { cellKey, tagIndexKey, sourceIndexKey } from '../../src/engine/keys.js';
import { RecordWriter } from '../../src/mvcc/records.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();

describe('health check', () => {
  for (const mvcc of [false, true]) {
    it(`is clean on a healthy database and counts records (mvcc ${mvcc})`, async () => {
      const { db } = await tmpDb.open({ mvcc });
      await db.update((tx) => {
        for (let i = 0; i < 20; i++) {
          tx.putCell({ coord: coord(i, -i), rawContent: `cell ${i}`, tags: ['a', `t${i % 3}`],
            provenance: { sourceId: i % 2 === 0 ? 'even' : '' },
            validity: i % 4 === 0 ? { validFromMs: 1_700_000_000_000 + i } : {} });
        }
        tx.markConflict(coord(0, 0), coord(1, -1), { reason: 'disagree' });
        const s = tx.markSupersedes(coord(2, -2), coord(3, -3));
        tx.resolveSeam(s.id, 'superseded', 'newer wins');
      });
      const report = db.healthCheck();
      expect(report).toMatchObject({ ok: true, errorCount: 0, cellCount: 20, seamCount: 2,
        resolvedSeams: 1, unresolvedSeams: 1, orphanedSeams: 0, indexEntriesWithoutRecord: 0,
        recordsWithoutIndexEntry: 0 });
      expect(report.structure?.ok).toBe(true);
      await db.deleteCell(coord(1, -1));
      const after = db.healthCheck();
      expect(after).toMatchObject({ ok: true, cellCount: 19, orphanedSeams: 1 });
      expect(after.warnings.join('\n')).toMatch(/orphaned seam/);
    });

    it(`finds index damage both ways and caps the list (mvcc ${mvcc})`, async () => {
      const tmp = await tmpDb.open({ mvcc, check: false });
      const { db } = tmp;
      await db.update((tx) => {
        for (let i = 0; i < 5; i++) {
          tx.putCell({ coord: coord(i, 0), rawContent: `c${i}`, tags: ['x'],
            provenance: { sourceId: 'src' } });
        }
      });
      await db.storage.update((tx) => {
        const w = new RecordWriter(tx, mvcc);
        w.delete(tagIndexKey('x', coord(0, 0))); // a record without its index entry
        w.put(tagIndexKey('ghost', coord(1, 0)), Uint8Array.of(1)); // cell lacks the tag
        w.put(sourceIndexKey('src', coord(9, 9)), Uint8Array.of(1)); // no such cell
        w.delete(cellKey(coord(4, 0))); // leaves its tag and source entries behind
      });
      const report = db.healthCheck();
      expect(report.ok).toBe(false);
      expect(report.recordsWithoutIndexEntry).toBe(1);
      expect(report.indexEntriesWithoutRecord).toBe(4);
      expect(report.errors.join('\n')).toMatch(/missing tag "x" index entry/);
      const capped = db.healthCheck({ errorsMax: 2 });
      expect(capped.errors).toHaveLength(2);
      expect(capped.errorCount).toBe(5);
      expect(db.healthCheck({ indexes: false }).ok).toBe(true);
      expect(() => db.healthCheck({ errorsMax: -1 })).toThrowError(
        expect.objectContaining({ code: 'InvalidArgument' }));
    });
  }
});
