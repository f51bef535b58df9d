/**
 * Goal: Database.rotateEncryption re-encrypts an open database: readers and queued writers go on,
 * afterwards only the new credentials open it, and the changelog restarts only on request.
 * Method: public API on the memory file system (TmpDb); writers queued during the rotation.
 */
import { describe, expect, it } from 'vitest';
import { coord } from '../../src/index.js';
import { useTmpDb } from '../harness/tmp-db.js';

const tmpDb = useTmpDb();
const oldKey = new Uint8Array(32).fill(3);
const newKey = new Uint8Array(32).fill(4);
// TmpDb.open merges with the options it was created with (which hold the old raw key).
const noKey = { encryptionKey: undefined } as unknown as Record<string, never>;

describe('online key rotation', () => {
  it('rotates while writers wait, then only the new key opens the database', async () => {
    const tmp = await tmpDb.open({ mvcc: true, encryptionKey: oldKey, check: false });
    const { db } = tmp;
    await db.update((tx) => {
      for (let i = 0; i < 200; i++) tx.putCell({ coord: coord(i, 0), rawContent: `c${i}` });
    });
    const rotation = db.rotateEncryption({ passphrase: 'correct horse battery' },
      { batchSize: 8 });
    const queued = Promise.all([1, 2, 3].map((i) =>
      db.putCell({ coord: coord(i, 9), rawContent: `queued ${i}` })));
    expect(db.getCell(coord(5, 0))?.rawContent).toBe('c5'); // readers are not blocked
    const result = await rotation;
    await queued;
    expect(result.pages).toBeGreaterThan(0);
    expect(db.view((tx) => tx.listCells()).length).toBe(203);
    expect(db.check().ok && db.healthCheck().ok).toBe(true);
    await db.close();
    await expect(tmp.open({ encryptionKey: oldKey })).rejects.toMatchObject(
      { code: 'EncryptionKeyMismatch' });
    const again = await tmp.open({ passphrase: 'correct horse battery', ...noKey });
    expect(again.getCell(coord(2, 9))?.rawContent).toBe('queued 2');
    await again.rotateEncryption({ encryptionKey: newKey });
    await again.putCell({ coord: coord(0, 1), rawContent: 'after' });
    await again.close();
    const last = await tmp.open({ encryptionKey: newKey });
    expect(last.view((tx) => tx.listCells()).length).toBe(204);
    await last.close();
  });

  it('restarts the changelog only when told to, and refuses a plain database', async () => {
    const tmp = await tmpDb.open({ encryptionKey: oldKey, changelog: true, check: false });
    await tmp.db.putCell({ coord: coord(0, 0), rawContent: 'x' });
    await expect(tmp.db.rotateEncryption({ encryptionKey: newKey })).rejects.toMatchObject(
      { code: 'PreconditionFailed' });
    await tmp.db.rotateEncryption({ encryptionKey: newKey }, { discardChangelog: true });
    const start = tmp.db.changelogStartSeq();
    expect(start).toBe(1n); // restarted at the head: commit 1 is not in the new log
    expect(tmp.db.readChangelogSince(start)).toEqual([]);
    await tmp.db.putCell({ coord: coord(1, 0), rawContent: 'y' });
    expect(tmp.db.readChangelogSince(start).map((e) => e.op)).toEqual(['putCell']);
    await tmp.db.close();
    const reopened = await tmp.open({ encryptionKey: newKey, changelog: true });
    expect(reopened.readChangelogSince(1n)).toHaveLength(1);
    // A cancelled rotation changes nothing, and the handle keeps working with the same key.
    const aborted = AbortSignal.abort();
    await expect(reopened.rotateEncryption({ encryptionKey: oldKey }, { signal: aborted,
      discardChangelog: true })).rejects.toMatchObject({ code: 'Cancelled' });
    await reopened.putCell({ coord: coord(2, 0), rawContent: 'still writable' });
    expect(reopened.readChangelogSince(1n)).toHaveLength(2);
    await reopened.close();
    const plain = await tmpDb.open();
    await expect(plain.db.rotateEncryption({ encryptionKey: newKey })).rejects.toMatchObject(
      { code: 'InvalidArgument' });
  });
});
