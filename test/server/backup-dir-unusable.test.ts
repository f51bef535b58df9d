/**
 * A backup directory the server cannot use (SPEC §9 confinement, §12.2 errors).
 *
 * Goal: when the configured backup directory cannot be created (a file is in its place), the
 * calls that need it fail with a typed status an operator can act on, not INTERNAL "internal
 * error", and the server's path stays out of the message.
 * Method: a real server whose backupDir names an existing regular file; Compact, Backup and
 * VerifyBackup through the raw grpc-js client.
 * Properties: each fails with FAILED_PRECONDITION (reason PRECONDITION_FAILED) whose message
 * says the backup directory is unusable and does not contain the path.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../gen/hexxladb/v1/admin_service_pb.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { clientFor, collect, failure, startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
const dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('an unusable backup directory', () => {
  it('fails Compact, Backup and VerifyBackup with FAILED_PRECONDITION', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-bdir-'));
    dirs.push(dir);
    const backupDir = path.join(dir, 'not-a-directory');
    fs.writeFileSync(backupDir, 'a file where the backup directory should be');
    const { address } = await startServer(tmp, { backupDir });
    const admin = clientFor(AdminService, address);
    for (const call of [
      () => collect(admin.streams.compact!({ destinationName: 'copy.db' })),
      () => collect(admin.streams.backup!({})),
      () => admin.verifyBackup!({ directoryName: 'copy' }),
    ]) {
      const res = await failure(call());
      expect(res.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(res.reason).toBe('PRECONDITION_FAILED');
      expect(res.message).toMatch(/backup directory/);
      expect(res.message).not.toContain(dir);
    }
  });
});
