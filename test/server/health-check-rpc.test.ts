/**
 * AdminService.HealthCheck runs the health check of SPEC §11 (structure plus records: cells,
 * seams, orphaned seams, index consistency both ways), or with structure_only the structural
 * check alone; through the SDK against a live server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HexxlaClient } from '../../src/client/index.js';
import { cellKey, tagIndexKey } from '../../src/engine/keys.js';
import { coord } from '../../src/index.js';
import { RecordWriter } from '../../src/mvcc/records.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
const clients: HexxlaClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await stopAll();
});

describe('HealthCheck RPC', () => {
  it('reports the record checks, and finds index damage the structure check cannot', async () => {
    const { address, server } = await startServer(tmp, {}, { mvcc: true, check: false });
    const client = await HexxlaClient.connect(address);
    clients.push(client);
    for (let i = 0; i < 4; i++) {
      await client.putCell({ coord: { q: i, r: 0 }, rawContent: `c${i}`, tags: ['x'] });
    }
    await client.markConflict({ q: 0, r: 0 }, { q: 1, r: 0 }, { reason: 'disagree' });
    await client.markSupersedes({ q: 2, r: 0 }, { q: 3, r: 0 });
    await client.deleteCell({ q: 3, r: 0 }); // its seam is orphaned now (a warning)
    const clean = await client.healthCheck();
    expect(clean).toMatchObject({ ok: true, errorCount: 0, records: { cells: 3, seams: 2,
      resolvedSeams: 0, unresolvedSeams: 2, orphanedSeams: 1, indexEntriesWithoutRecord: 0,
      recordsWithoutIndexEntry: 0 } });
    expect(clean.warnings.join('\n')).toMatch(/orphaned seam/);
    expect(clean.entries).toBeGreaterThan(0);

    // Damage the indexes behind the service's back (the structure stays sound).
    await server.db.storage.update((tx) => {
      const w = new RecordWriter(tx, true);
      w.delete(tagIndexKey('x', coord(0, 0))); // a cell without its index entry
      w.delete(cellKey(coord(1, 0))); // index entries without their cell
    });
    const damaged = await client.healthCheck({ errorsMax: 1 });
    expect(damaged.ok).toBe(false);
    expect(damaged.errorCount).toBeGreaterThanOrEqual(2);
    expect(damaged.errors).toHaveLength(1); // capped, counted in full
    expect(damaged.records?.recordsWithoutIndexEntry).toBe(1);
    expect(damaged.records?.indexEntriesWithoutRecord).toBeGreaterThanOrEqual(1);

    const structure = await client.healthCheck({ structureOnly: true, verifyValues: true });
    expect(structure.ok).toBe(true);
    expect(structure.records).toBeUndefined();
    expect(structure.pages).toBe(damaged.pages);
  });
});
