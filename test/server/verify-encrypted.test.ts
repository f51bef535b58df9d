/**
 * The backup drill of an encrypted database through the service (SPEC §9 "a verify RPC ... the
 * backup drill as one command", §4.4).
 *
 * Goal: VerifyBackup can verify the backups the same server streams. A backup of an encrypted
 * database is encrypted with the database's keys (the copy inherits them), so the server must
 * open it with the credentials it serves the database with, including after a key rotation.
 * Method: a server that owns an on-disk database encrypted with a raw key (a key file, as
 * `hexxladb serve --encryption-key-file`); stream a Backup into the backup directory, call
 * VerifyBackup; rotate the key online, back up again and verify again.
 * Properties: VerifyBackup answers ok with no errors and the backup's seq, before and after a
 * rotation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AdminService, type BackupResponse, VerifyBackupResponseSchema,
} from '../../gen/hexxladb/v1/admin_service_pb.js';
import { CellService } from '../../gen/hexxladb/v1/cell_service_pb.js';
import {
  createLogger, defaultConfig, HexxlaServer, resolveConfig,
} from '../../src/server/index.js';
import { as, clientFor, collect, stopAll, writeBackup } from './harness.js';

const dirs: string[] = [];
const servers: HexxlaServer[] = [];
afterEach(async () => {
  await stopAll();
  await Promise.all(servers.splice(0).map((s) => s.shutdown(1000)));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('VerifyBackup of an encrypted database', () => {
  it('verifies the backups the server streams, before and after a key rotation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-verify-enc-'));
    dirs.push(dir);
    const keyFile = path.join(dir, 'key');
    fs.writeFileSync(keyFile, new Uint8Array(32).fill(7));
    const backupDir = path.join(dir, 'backups');
    const server = await HexxlaServer.start({ logger: createLogger('silent'),
      config: resolveConfig({ ...defaultConfig, listen: '127.0.0.1:0', changelog: false,
        databasePath: path.join(dir, 'data', 'enc.db'), backupDir, encryptionKeyFile: keyFile }) });
    servers.push(server);
    const address = `127.0.0.1:${server.port}`;
    const cells = clientFor(CellService, address);
    const admin = clientFor(AdminService, address);
    const drill = async (name: string): Promise<void> => {
      await cells.putCell!({ cell: { coord: { q: 1, r: 1 }, rawContent: `before ${name}` } });
      const messages = await collect<BackupResponse>(admin.streams.backup!({}));
      writeBackup(messages, path.join(backupDir, name));
      const res = as(VerifyBackupResponseSchema,
        await admin.verifyBackup!({ directoryName: name }));
      expect(res.errors, name).toEqual([]);
      expect(res.ok, name).toBe(true);
      expect(res.backupSeq, name).toBe(messages[0]?.header?.commitSeq);
    };
    await drill('first');
    await admin.rotateEncryption!({ newEncryptionKey: new Uint8Array(32).fill(9) });
    await drill('rotated');
  });
});
