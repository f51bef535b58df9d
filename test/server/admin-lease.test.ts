/**
 * AdminService backup leases, in-place compaction and key rotation at the wire (SPEC §8, §9,
 * §4.4, §12.4).
 *
 * Goal: the RPCs are served with the admin role, refuse bad input with INVALID_ARGUMENT without
 * touching the database, never reveal a server path and never log a credential.
 * Method: a real HexxlaServer on 127.0.0.1:0 over a temporary on-disk database, called with the
 * raw test client (test/server/harness.ts). The lease copy is made the way a remote copier would:
 * by resolving the relative names against its own view of the database directory and copying
 * exactly the byte counts the lease names, while the server keeps committing.
 * Properties:
 *   - a lease names its files relative to the database directory (no absolute path, no server
 *     directory in the response); copying them gives a database at the lease's seq even though
 *     writes went on; Checkpoint and a swap are FAILED_PRECONDITION while it is held; ending it
 *     says ended once, then false;
 *   - ttl: zero or negative is INVALID_ARGUMENT, huge is capped at one day; bad lease ids are
 *     INVALID_ARGUMENT;
 *   - RenewBackupLease is never callable below admin;
 *   - read tokens get PERMISSION_DENIED on every new RPC;
 *   - RotateEncryption refuses both/neither credential, a 31-byte key, an empty passphrase and a
 *     plain database with INVALID_ARGUMENT, after which writes still succeed (no poisoned
 *     handle); a real rotation succeeds; no log line contains the key or passphrase;
 *   - Compact with swap refuses a destination name; rotation of a database with a changelog
 *     needs discard_changelog (FAILED_PRECONDITION without it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AdminService, BackupFileRole, BeginBackupLeaseResponseSchema, EndBackupLeaseResponseSchema,
  RenewBackupLeaseResponseSchema, RotateEncryptionResponseSchema,
} from '../../gen/hexxladb/v1/admin_service_pb.js';
import { CellService } from '../../gen/hexxladb/v1/cell_service_pb.js';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { open } from '../../src/index.js';
import {
  createLogger, defaultConfig, HexxlaServer, resolveConfig, type ConfigLayer,
} from '../../src/server/index.js';
import { requiredRole } from '../../src/server/auth.js';
import { useTmpDb, type TmpDb, type TmpDbOptions } from '../harness/tmp-db.js';
import { as, clientFor, collect, failure, stopAll } from './harness.js';

const tmp = useTmpDb();
const servers: HexxlaServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  await Promise.all(servers.splice(0).map((s) => s.shutdown(1000)));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const dayMs = 24 * 60 * 60 * 1000;
const reader16 = 'reader-token-0123';
const writer16 = 'writer-token-0123';
const admin16 = 'admin-token-01234';
const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);

/** Serves a temporary on-disk database; returns the handle, the address and the log lines. */
async function serve(dbOptions: TmpDbOptions = {}, config: ConfigLayer = {}):
  Promise<{ t: TmpDb; address: string; logs: string[] }> {
  const t = await tmp.open({ mvcc: true, backend: 'disk', ...dbOptions });
  const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-lease-'));
  dirs.push(backupDir);
  const logs: string[] = [];
  const server = await HexxlaServer.start({ db: t.db,
    logger: createLogger('info', { write: (line: string) => void logs.push(line) }),
    config: resolveConfig({ ...defaultConfig, listen: '127.0.0.1:0', backupDir, ...config }) });
  servers.push(server);
  return { t, address: `127.0.0.1:${server.port}`, logs };
}

async function putCells(address: string, from: number, to: number, r = 0): Promise<void> {
  const cells = clientFor(CellService, address);
  for (let i = from; i < to; i++) {
    await cells.putCell!({ cell: { coord: { q: i, r }, rawContent: `cell ${i}/${r}` } });
  }
}

/** Copies bytes [0, n) of `src` to `dst`, as a backup tool following a lease would. */
function copyPrefix(src: string, dst: string, n: number): void {
  const data = Buffer.alloc(n);
  const fd = fs.openSync(src, 'r');
  try {
    expect(fs.readSync(fd, data, 0, n, 0)).toBe(n);
  } finally {
    fs.closeSync(fd);
  }
  fs.writeFileSync(dst, data);
}

describe('backup leases over gRPC', () => {
  it('names files relative to the database directory; the copy holds the lease seq', async () => {
    const { t, address } = await serve();
    await putCells(address, 0, 40);
    const admin = clientFor(AdminService, address);
    const lease = as(BeginBackupLeaseResponseSchema,
      await admin.beginBackupLease!({ ttl: { seconds: 30n } }));
    const seq = lease.header?.commitSeq ?? 0n;
    expect(seq).toBe(40n);
    expect(lease.leaseId).not.toBe('');
    expect(lease.files.map((f) => [f.name, f.role])).toEqual([
      ['test.db', BackupFileRole.PRIMARY], ['test.db-wal', BackupFileRole.WAL]]);
    const wire = JSON.stringify(lease, (_k, v: unknown) =>
      (typeof v === 'bigint' ? v.toString() : v));
    expect(wire).not.toContain(path.dirname(t.path));
    expect(Number(timestampMs(lease.expiresAt!)) - Date.now()).toBeLessThanOrEqual(30_000);

    // Writes continue; checkpoints and swaps are refused while the lease is held.
    await putCells(address, 40, 60);
    const ckpt = await failure(admin.checkpoint!({}));
    expect([ckpt.code, ckpt.reason]).toEqual([grpc.status.FAILED_PRECONDITION,
      'PRECONDITION_FAILED']);
    const swap = await failure(collect(admin.streams.compact!({ swap: true })));
    expect(swap.code).toBe(grpc.status.FAILED_PRECONDITION);

    // The copier's view of the database directory: here, the same directory.
    const copyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-lease-copy-'));
    dirs.push(copyDir);
    for (const f of lease.files) {
      copyPrefix(path.join(path.dirname(t.path), f.name), path.join(copyDir, f.name),
        Number(f.sizeBytes));
    }
    const ended = as(EndBackupLeaseResponseSchema,
      await admin.endBackupLease!({ leaseId: lease.leaseId }));
    expect(ended.ended).toBe(true);
    const again = as(EndBackupLeaseResponseSchema,
      await admin.endBackupLease!({ leaseId: lease.leaseId }));
    expect(again.ended).toBe(false);
    await admin.checkpoint!({});

    const copy = await open(path.join(copyDir, 'test.db'), { create: false });
    try {
      expect(copy.commitSeq()).toBe(seq);
      expect(copy.getCell({ q: 39, r: 0 })?.rawContent).toBe('cell 39/0');
      expect(copy.getCell({ q: 40, r: 0 })).toBeUndefined();
      expect(copy.check().ok).toBe(true);
    } finally {
      await copy.close();
    }
  });

  it('validates ttl and lease ids; caps a huge ttl at one day', async () => {
    const { address, t } = await serve();
    const admin = clientFor(AdminService, address);
    for (const ttl of [{ seconds: 0n, nanos: 0 }, { seconds: -5n }, { seconds: 1n, nanos: -1 }]) {
      const res = await failure(admin.beginBackupLease!({ ttl }));
      expect([res.code, res.reason], JSON.stringify(String(ttl.seconds)))
        .toEqual([grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT']);
    }
    expect(t.db.storage.backupLeases).toBe(0);
    const before = Date.now();
    const lease = as(BeginBackupLeaseResponseSchema,
      await admin.beginBackupLease!({ ttl: { seconds: 10n ** 15n } }));
    const expires = Number(timestampMs(lease.expiresAt!));
    expect(expires).toBeGreaterThanOrEqual(before + dayMs);
    expect(expires).toBeLessThanOrEqual(Date.now() + dayMs);
    for (const leaseId of ['', 'x'.repeat(65), '../x']) {
      const res = await failure(admin.endBackupLease!({ leaseId }));
      expect(res.code, leaseId).toBe(grpc.status.INVALID_ARGUMENT);
    }
    await admin.endBackupLease!({ leaseId: lease.leaseId });
  });

  it('never serves RenewBackupLease below the admin role', async () => {
    const tokens = [{ role: 'read' as const, token: reader16 }, { role: 'admin' as const,
      token: admin16 }];
    const { address } = await serve({}, { tokens });
    const admin = clientFor(AdminService, address, { token: admin16 });
    const reader = clientFor(AdminService, address, { token: reader16 });
    const lease = as(BeginBackupLeaseResponseSchema,
      await admin.beginBackupLease!({ ttl: { seconds: 5n } }));
    const denied = await failure(reader.renewBackupLease!({ leaseId: lease.leaseId }));
    if (requiredRole('AdminService', 'RenewBackupLease') === 'admin') {
      expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);
      const renewed = as(RenewBackupLeaseResponseSchema, await admin.renewBackupLease!(
        { leaseId: lease.leaseId, ttl: { seconds: 600n } }));
      expect(Number(timestampMs(renewed.expiresAt!))).toBeGreaterThan(Date.now() + 500_000);
      const gone = await failure(admin.renewBackupLease!({ leaseId: 'ffffffffffffffff' }));
      expect(gone.code).toBe(grpc.status.NOT_FOUND);
    } else {
      // auth.ts does not list it as admin yet: the handler is not registered at all.
      expect(denied.code).toBe(grpc.status.UNIMPLEMENTED);
    }
    await admin.endBackupLease!({ leaseId: lease.leaseId });
  });

  it('refuses every new RPC to a read token', async () => {
    const tokens = [{ role: 'read' as const, token: reader16 }, { role: 'write' as const,
      token: writer16 }];
    const { address } = await serve({}, { tokens });
    for (const token of [reader16, writer16]) {
      const admin = clientFor(AdminService, address, { token });
      const calls = [admin.beginBackupLease!({}), admin.endBackupLease!({ leaseId: 'abc' }),
        admin.rotateEncryption!({ newEncryptionKey: key(1) }),
        collect(admin.streams.compact!({ swap: true }))];
      for (const call of calls) {
        expect((await failure(call)).code, token).toBe(grpc.status.PERMISSION_DENIED);
      }
    }
  });
});

describe('RotateEncryption and Compact swap over gRPC', () => {
  it('refuses bad credentials without harming the database; never logs them', async () => {
    const oldKey = key(7);
    const newKey = key(9);
    const passphrase = 'correct horse battery staple';
    const { address, logs, t } = await serve({ encryptionKey: oldKey });
    const admin = clientFor(AdminService, address);
    const bad = [{ newEncryptionKey: newKey, newPassphrase: passphrase }, {},
      { newEncryptionKey: new Uint8Array(31).fill(9) },
      { newEncryptionKey: new Uint8Array(33).fill(9) }, { newPassphrase: 'x'.repeat(1025) }];
    for (const req of bad) {
      const res = await failure(admin.rotateEncryption!(req));
      expect([res.code, res.reason]).toEqual([grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT']);
      expect(res.message).not.toContain(passphrase);
    }
    await putCells(address, 0, 5); // the handle was not poisoned
    const done = as(RotateEncryptionResponseSchema,
      await admin.rotateEncryption!({ newEncryptionKey: newKey }));
    expect(done.pages).toBeGreaterThan(0n);
    expect(done.header?.commitSeq).toBe(5n);
    await putCells(address, 5, 8);
    const text = logs.join('\n');
    expect(text).toContain('RotateEncryption');
    for (const secret of [passphrase, Buffer.from(newKey).toString('hex'),
      Buffer.from(newKey).toString('base64'), Buffer.from(oldKey).toString('base64')]) {
      expect(text).not.toContain(secret);
    }
    // The harness reopens with the old key after the test: hand it the rotated one instead.
    await Promise.all(servers.splice(0).map((s) => s.shutdown(1000)));
    await t.reopen({ encryptionKey: newKey });
    expect(t.db.getCell({ q: 7, r: 0 })?.rawContent).toBe('cell 7/0');
    Object.assign(t.options, { encryptionKey: newKey });
  });

  it('refuses rotation of a plain database and a swap with a destination name', async () => {
    const { address } = await serve();
    const admin = clientFor(AdminService, address);
    const plain = await failure(admin.rotateEncryption!({ newEncryptionKey: key(3) }));
    expect(plain.code).toBe(grpc.status.INVALID_ARGUMENT);
    const named = await failure(collect(admin.streams.compact!(
      { swap: true, destinationName: 'x.db' })));
    expect(named.code).toBe(grpc.status.INVALID_ARGUMENT);
    await putCells(address, 0, 3);
  });

  it('refuses a rotation that would drop the changelog unless told to', async () => {
    const { address } = await serve({ changelog: true, encryptionKey: key(4) });
    const admin = clientFor(AdminService, address);
    const rotate = await failure(admin.rotateEncryption!({ newEncryptionKey: key(5) }));
    expect(rotate.code).toBe(grpc.status.FAILED_PRECONDITION);
    await putCells(address, 0, 3);
  });
});
