/**
 * The SDK's admin operations against a live server (HexxlaServer on 127.0.0.1:0): backup
 * leases, in-place compaction and key rotation (SPEC §4.4, §8, §9).
 *
 * Method: the server serves a temporary database opened by the test (the server config has no
 * credential settings, so an encrypted database is served by handing the server an open handle:
 * StartOptions.db). The SDK is the only client.
 * Properties:
 *   - beginBackupLease → checkpoint is PreconditionFailed → endBackupLease true → checkpoint
 *     works; ending twice says false; files are relative names with the library's roles;
 *   - compactInPlace on a database with deleted cells shrinks the primary (page count down),
 *     every surviving cell reads back the same, deleted ones stay deleted, writes go on after;
 *   - rotateEncryption with a new raw key succeeds while serving; after the server stops, the
 *     database reopens with the new key (and not the old one) with every write, also the ones
 *     made after the rotation;
 *   - the SDK refuses a 31-byte key, both credentials at once and a bad ttl locally, as
 *     InvalidArgument.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HexxlaClient, isHexxlaError } from '../../src/client/index.js';
import {
  createLogger, defaultConfig, HexxlaServer, resolveConfig,
} from '../../src/server/index.js';
import { useTmpDb, type TmpDb, type TmpDbOptions } from '../harness/tmp-db.js';
import { expectCode } from './suite.js';

const tmp = useTmpDb();
const servers: HexxlaServer[] = [];
const clients: HexxlaClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.shutdown(1000)));
});

async function serve(dbOptions: TmpDbOptions = {}): Promise<{ t: TmpDb; client: HexxlaClient;
  server: HexxlaServer }> {
  const t = await tmp.open({ mvcc: true, ...dbOptions });
  const server = await HexxlaServer.start({ db: t.db, logger: createLogger('silent'),
    config: resolveConfig({ ...defaultConfig, listen: '127.0.0.1:0',
      backupDir: '/nonexistent-backup-dir-unused' }) });
  servers.push(server);
  const client = await HexxlaClient.connect(`127.0.0.1:${server.port}`);
  clients.push(client);
  return { t, client, server };
}

const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);

describe('SDK admin operations against a live server', () => {
  it('holds checkpoints off while a backup lease is held', async () => {
    const { client } = await serve();
    await client.putCell({ coord: { q: 1, r: 1 }, rawContent: 'a' });
    const lease = await client.beginBackupLease({ ttlMs: 20_000 });
    expect(lease.commitSeq).toBe(1n);
    expect(lease.files.map((f) => [f.path, f.role])).toEqual([['test.db', 'primary'],
      ['test.db-wal', 'wal']]);
    expect(lease.files.every((f) => f.bytes > 0)).toBe(true);
    expect(lease.expiresAtMs).toBeGreaterThan(Date.now());
    await expectCode(client.checkpoint(), 'PreconditionFailed');
    await client.putCell({ coord: { q: 2, r: 1 }, rawContent: 'b' }); // writes go on
    expect(await client.endBackupLease(lease.id)).toBe(true);
    expect(await client.endBackupLease(lease.id)).toBe(false);
    const checkpoints = (await client.status()).checkpoints;
    await client.checkpoint();
    expect((await client.status()).checkpoints).toBe(checkpoints + 1);
  });

  it('reports the log counters of the library (bytes written, fsync time)', async () => {
    const { t, client } = await serve();
    const before = await client.status();
    await client.putCell({ coord: { q: 9, r: 9 }, rawContent: 'counted' });
    const after = await client.status();
    const lib = t.db.stats();
    expect(after.walBytesWritten).toBe(lib.walBytesWritten);
    expect(after.walSyncMicros).toBe(lib.walSyncMicros);
    expect(after.walSyncs).toBe(lib.walSyncs);
    expect(after.walBytesWritten).toBeGreaterThan(before.walBytesWritten);
    expect(after.walSyncs).toBeGreaterThan(before.walSyncs);
    expect(after.walSyncMicros).toBeGreaterThan(0); // sent, not a default 0 on both sides
  });

  it('compacts the live database in place: it shrinks and the data stays', async () => {
    const { client, t } = await serve({ mvcc: false });
    const n = 600;
    await client.putCells(Array.from({ length: n }, (_, i) => ({ coord: { q: i, r: 0 },
      rawContent: `cell ${i} ${'x'.repeat(200)}` })));
    for (let i = 0; i < n; i++) if (i % 10 !== 0) await client.deleteCell({ q: i, r: 0 });
    await client.checkpoint();
    const before = await client.status();
    const progress: number[] = [];
    const result = await client.compactInPlace(
      { onProgress: (p) => progress.push(p.entriesRead) });
    expect(result.swapped).toBe(true);
    expect(result.destinationBytes).toBeLessThan(result.sourceBytes);
    const after = await client.status();
    expect(after.pageCount).toBeLessThan(before.pageCount);
    expect(after.commitSeq).toBe(before.commitSeq);
    for (let i = 0; i < n; i++) {
      const cell = await client.getCell({ q: i, r: 0 });
      expect(cell?.rawContent, String(i)).toBe(i % 10 === 0 ? `cell ${i} ${'x'.repeat(200)}`
        : undefined);
    }
    await client.putCell({ coord: { q: 0, r: 5 }, rawContent: 'after the swap' });
    expect(t.db.getCell({ q: 0, r: 5 })?.rawContent).toBe('after the swap');
  });

  it('rotates the encryption key online; the database reopens with the new key', async () => {
    const oldKey = key(1);
    const newKey = key(2);
    const { client, t } = await serve({ encryptionKey: oldKey });
    await client.putCells(Array.from({ length: 50 }, (_, i) => ({ coord: { q: i, r: 3 },
      rawContent: `before ${i}` })));
    const result = await client.rotateEncryption({ encryptionKey: newKey });
    expect(result.pages).toBeGreaterThan(0);
    expect(result.bytes).toBeGreaterThan(0);
    await client.putCell({ coord: { q: 0, r: 4 }, rawContent: 'after rotation' });
    await Promise.all(servers.splice(0).map((s) => s.shutdown(1000)));
    await t.db.close();
    await expect(t.open({ encryptionKey: oldKey })).rejects.toSatisfy((e: unknown) =>
      isHexxlaError(e, 'EncryptionKeyMismatch'));
    await t.open({ encryptionKey: newKey });
    expect(t.db.getCell({ q: 49, r: 3 })?.rawContent).toBe('before 49');
    expect(t.db.getCell({ q: 0, r: 4 })?.rawContent).toBe('after rotation');
    // The after-test check reopens with the stored options: give it the rotated key.
    Object.assign(t.options, { encryptionKey: newKey });
  });

  it('refuses malformed credentials and ttl before sending', async () => {
    const { client } = await serve({ encryptionKey: key(1) });
    await expectCode(client.rotateEncryption({ encryptionKey: new Uint8Array(31) }),
      'InvalidArgument');
    await expectCode(client.rotateEncryption(
      { encryptionKey: key(3), passphrase: 'p' } as never), 'InvalidArgument');
    await expectCode(client.beginBackupLease({ ttlMs: 0 }), 'InvalidArgument');
    await expectCode(client.beginBackupLease({ ttlMs: 1.5 }), 'InvalidArgument');
    expect((await client.status()).commitSeq).toBe(0n);
  });
});
