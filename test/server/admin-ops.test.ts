/**
 * AdminService Compact, Backup and VerifyBackup over gRPC (SPEC §8, §9).
 *
 * Goal: the long operations work through the service, confined to the backup directory.
 * Method: a real server over a temporary MVCC database with a real backup directory; the test
 * writes while a backup streams, writes the streamed files into a directory, and verifies and
 * opens that copy.
 * Properties:
 *   - a streamed hot backup taken during writes verifies (VerifyBackup RPC) and opens at the
 *     manifest's seq with every write acknowledged before the backup started;
 *   - Compact streams progress and ends with done; the file lands in the backup directory; an
 *     existing destination is refused with FAILED_PRECONDITION;
 *   - names that could escape the backup directory are refused with INVALID_ARGUMENT.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AdminService, type BackupResponse, type CompactResponse, VerifyBackupResponseSchema,
} from '../../gen/hexxladb/v1/admin_service_pb.js';
import { CellService } from '../../gen/hexxladb/v1/cell_service_pb.js';
import { open } from '../../src/index.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { as, clientFor, collect, failure, startServer, stopAll, writeBackup } from './harness.js';

const tmp = useTmpDb();
const dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-admin-'));
  dirs.push(d);
  return d;
}

/** Writes a streamed backup into `dir` as the CLI would. */
describe('AdminService long operations', () => {
  it('streams a hot backup taken during writes that verifies and restores', async () => {
    const backupDir = tempDir();
    const { address } = await startServer(tmp, { backupDir });
    const cells = clientFor(CellService, address);
    const admin = clientFor(AdminService, address);
    for (let i = 0; i < 50; i++) {
      await cells.putCell!({ cell: { coord: { q: i, r: 0 }, rawContent: `before ${i}` } });
    }
    const backup = collect<BackupResponse>(admin.streams.backup!({}));
    const during = Promise.all(Array.from({ length: 20 }, (_, i) =>
      cells.putCell!({ cell: { coord: { q: i, r: 1 }, rawContent: `during ${i}` } })));
    const [messages] = await Promise.all([backup, during]);
    expect(messages[0]?.item.case).toBe('manifestJson');
    const seq = messages[0]?.header?.commitSeq ?? 0n;
    expect(seq).toBeGreaterThanOrEqual(50n);
    writeBackup(messages, path.join(backupDir, 'restored'));
    const verified = as(VerifyBackupResponseSchema,
      await admin.verifyBackup!({ directoryName: 'restored' }));
    expect(verified.errors).toEqual([]);
    expect(verified.ok).toBe(true);
    expect(verified.backupSeq).toBe(seq);
    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'restored',
      'manifest.json'), 'utf8')) as { files: { name: string; role: string }[] };
    const primary = manifest.files.find((f) => f.role === 'primary')?.name ?? '';
    const db = await open(path.join(backupDir, 'restored', primary), { create: false });
    try {
      expect(db.commitSeq()).toBe(seq);
      for (let i = 0; i < 50; i++) {
        expect(db.getCell({ q: i, r: 0 })?.rawContent).toBe(`before ${i}`);
      }
      expect(db.check().ok).toBe(true);
    } finally {
      await db.close();
    }
    // No temporary backup directory is left behind.
    expect(fs.readdirSync(backupDir).filter((n) => n.startsWith('streaming-'))).toEqual([]);
  });

  it('compacts into the backup directory with streamed progress', async () => {
    const backupDir = tempDir();
    const { address } = await startServer(tmp, { backupDir });
    const cells = clientFor(CellService, address);
    const admin = clientFor(AdminService, address);
    for (let i = 0; i < 30; i++) {
      await cells.putCell!({ cell: { coord: { q: i, r: 0 }, rawContent: 'x'.repeat(100) } });
    }
    const steps = await collect<CompactResponse>(
      admin.streams.compact!({ destinationName: 'compacted.db' }));
    const last = steps[steps.length - 1];
    expect(last?.done).toBe(true);
    expect(last?.header?.commitSeq).toBe(30n);
    expect(last?.entriesCopied).toBeGreaterThan(0n);
    expect(steps.slice(0, -1).every((s) => !s.done)).toBe(true);
    expect(fs.statSync(path.join(backupDir, 'compacted.db')).size)
      .toBe(Number(last?.destinationBytes));
    const again = await failure(collect(admin.streams.compact!(
      { destinationName: 'compacted.db' })));
    expect(again.code).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it('refuses names that could leave the backup directory', async () => {
    const backupDir = tempDir();
    const { address } = await startServer(tmp, { backupDir });
    const admin = clientFor(AdminService, address);
    for (const name of ['../escape', '/etc/passwd', '..', '.hidden', 'a/b', '']) {
      const res = await failure(admin.verifyBackup!({ directoryName: name }));
      expect(res.code, name).toBe(grpc.status.INVALID_ARGUMENT);
      const c = await failure(collect(admin.streams.compact!({ destinationName: name })));
      expect(c.code, name).toBe(grpc.status.INVALID_ARGUMENT);
    }
    expect(fs.readdirSync(path.dirname(backupDir)).includes('escape')).toBe(false);
  });
});
