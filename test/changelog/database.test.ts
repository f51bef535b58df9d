/**
 * Goal: with `changelog: true` every committed mutation reaches the sidecar exactly once, in
 * commit order, with the engine's op codes; failed commits leave nothing; a crash after the
 * commit keeps it; encrypted databases seal it; without the option the calls say so.
 * Method: public API on the memory file system (TmpDb), snapshotReopen as a lossless kill -9.
 */
import { describe, expect, it } from 'vitest';
import { coord, rotateEncryption } from '../../src/index.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();

describe('changelog through the database', () => {
  it('records every operation with its op code, in order, across reopen', async () => {
    const tmp = await tmpDb.open({ mvcc: true, changelog: true });
    const { db } = tmp;
    const a = coord(0, 0);
    const b = coord(1, 0);
    await db.update((tx) => {
      tx.putCell({ coord: a, rawContent: 'a' });
      tx.putCell({ coord: b, rawContent: 'b' });
    });
    const seam = await db.update((tx) => tx.markConflict(a, b, { reason: 'r' }));
    await db.update((tx) => tx.resolveSeam(seam.id, 'merged', 'ok'));
    await db.update((tx) => tx.linkCells(a, b, 'see-also'));
    await db.update((tx) => tx.putFacet(a, { id: 1, derivedContent: 'summary' }));
    await db.tagSnapshot('v1');
    await db.deleteCell(b);
    await expect(db.update(() => { throw new Error('rolled back'); })).rejects.toThrow();
    const ops = db.readChangelogSince(0n).map((e) => [e.seq, e.op]);
    expect(ops).toEqual([[1n, 'putCell'], [1n, 'putCell'], [2n, 'putSeam'], [3n, 'resolveSeam'],
      [4n, 'putEdge'], [5n, 'putFacet'], [6n, 'tagSnapshot'], [7n, 'deleteCell']]);
    expect(db.readChangelogFiltered(0n, { ops: ['putCell'] })).toHaveLength(2);
    await tmp.snapshotReopen(); // kill -9 after the acknowledgements: nothing may be lost
    await tmp.reopen({ changelog: true });
    expect(tmp.db.readChangelogSince(5n).map((e) => e.op)).toEqual(['tagSnapshot', 'deleteCell']);
    await tmp.db.putCell({ coord: a, rawContent: 'again' });
    expect(tmp.db.readChangelogSince(7n).map((e) => [e.seq, e.op])).toEqual([[8n, 'putCell']]);
  });

  it('feeds a subscriber every commit once, in order, while writers run', async () => {
    const { db } = await tmpDb.open({ changelog: true });
    for (let i = 0; i < 5; i++) await db.putCell({ coord: coord(i, 0), rawContent: `${i}` });
    const seen: bigint[] = [];
    const abort = new AbortController();
    const reader = (async () => {
      for await (const frame of db.subscribeChangelog(2n, { signal: abort.signal })) {
        seen.push(frame.seq);
        if (frame.seq === 45n) abort.abort();
      }
    })();
    await Promise.all(Array.from({ length: 40 }, (_, i) =>
      db.putCell({ coord: coord(i, 1), rawContent: `${i}` })));
    await reader;
    expect(seen).toEqual(Array.from({ length: 43 }, (_, i) => BigInt(i + 3)));
  });

  it('seals the changelog of an encrypted database', async () => {
    const key = new Uint8Array(32).fill(7);
    const tmp = await tmpDb.open({ changelog: true, encryptionKey: key });
    await tmp.db.putCell({ coord: coord(3, 3), rawContent: 'secret words here' });
    const bytes = tmp.memory!.readFile(`${tmp.path}-changelog`);
    expect(Buffer.from(bytes).includes(Buffer.from('secret words'))).toBe(false);
    await tmp.reopen({ changelog: true, encryptionKey: key });
    expect(tmp.db.readChangelogSince(0n)[0]?.op).toBe('putCell');
  });

  it('key rotation refuses a sealed changelog unless told to discard it', async () => {
    const oldKey = new Uint8Array(32).fill(1);
    const newKey = new Uint8Array(32).fill(2);
    // check: false — the after-test reopen would use the old key; checked here instead.
    const tmp = await tmpDb.open({ changelog: true, encryptionKey: oldKey, check: false });
    await tmp.db.putCell({ coord: coord(0, 1), rawContent: 'kept' });
    await tmp.db.close();
    const opts = { fs: tmp.fs };
    await expect(rotateEncryption(tmp.path, { encryptionKey: oldKey }, { encryptionKey: newKey },
      opts)).rejects.toMatchObject({ code: 'PreconditionFailed' });
    await rotateEncryption(tmp.path, { encryptionKey: oldKey }, { encryptionKey: newKey },
      { ...opts, discardChangelog: true });
    expect(tmp.fs.exists(`${tmp.path}-changelog`)).toBe(false);
    await tmp.open({ changelog: true, encryptionKey: newKey });
    expect(tmp.db.getCell(coord(0, 1))?.rawContent).toBe('kept');
    expect(tmp.db.changelogStartSeq()).toBe(1n);
    expect(() => tmp.db.readChangelogSince(0n)).toThrowError(
      expect.objectContaining({ code: 'PreconditionFailed' }));
    await tmp.db.putCell({ coord: coord(0, 2), rawContent: 'new' });
    expect(tmp.db.readChangelogSince(1n).map((e) => e.seq)).toEqual([2n]);
    expect(tmp.db.healthCheck().ok).toBe(true);
  });

  it('refuses changelog calls when it is off, and bad seqs', async () => {
    const { db } = await tmpDb.open();
    expect(() => db.readChangelogSince(0n)).toThrowError(
      expect.objectContaining({ code: 'ChangelogDisabled' }));
    expect(() => db.subscribeChangelog(0n)).toThrowError(
      expect.objectContaining({ code: 'ChangelogDisabled' }));
    const { db: on } = await tmpDb.open({ changelog: true });
    expect(() => on.readChangelogSince(-1n)).toThrowError(
      expect.objectContaining({ code: 'InvalidArgument' }));
  });
});
