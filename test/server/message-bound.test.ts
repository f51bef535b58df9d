/**
 * Responses under a configured send bound smaller than the default (SPEC §12.1 "no unbounded
 * unary responses", §12.3 "max receive/send message size"; limits.ts).
 *
 * Goal: a server started with --max-message-bytes below 1 MiB still serves its streams and
 * pages: it cuts its messages to the bound instead of failing the call with grpc-js's
 * RESOURCE_EXHAUSTED "Sent message larger than max".
 * Method: a real server with maxSendMessageBytes = 256 KiB over an on-disk database of
 * incompressible cells (about 900 KiB in all); the raw grpc-js test client.
 * Properties:
 *   - Backup streams the whole backup in chunks that fit the bound, and the streamed copy
 *     verifies (VerifyBackup ok);
 *   - ListCells with the largest page size returns a non-empty page that fits, with a token, and
 *     paging to the end yields every cell exactly once.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AdminService, type BackupResponse, VerifyBackupResponseSchema,
} from '../../gen/hexxladb/v1/admin_service_pb.js';
import { CellService, ListCellsResponseSchema } from '../../gen/hexxladb/v1/cell_service_pb.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { as, clientFor, collect, startServer, stopAll, writeBackup } from './harness.js';

const tmp = useTmpDb();
const dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const boundBytes = 256 * 1024;
const cellCount = 900;

async function serveFilled(): Promise<{ address: string; backupDir: string }> {
  const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-bound-'));
  dirs.push(backupDir);
  const { address } = await startServer(tmp, { backupDir, maxSendMessageBytes: boundBytes },
    { mvcc: true, backend: 'disk' });
  const cells = clientFor(CellService, address);
  await cells.batchPutCells!({ cells: Array.from({ length: cellCount }, (_, i) => ({
    coord: { q: i % 30, r: Math.floor(i / 30) }, rawContent: randomBytes(500).toString('hex'),
  })) });
  return { address, backupDir };
}

describe('a send bound below 1 MiB', () => {
  it('streams a backup in chunks that fit', async () => {
    const { address, backupDir } = await serveFilled();
    const admin = clientFor(AdminService, address);
    const messages = await collect<BackupResponse>(admin.streams.backup!({}));
    const chunks = messages.filter((m) => m.item.case === 'chunk');
    expect(chunks.length).toBeGreaterThan(1);
    writeBackup(messages, path.join(backupDir, 'copy'));
    const verified = as(VerifyBackupResponseSchema,
      await admin.verifyBackup!({ directoryName: 'copy' }));
    expect(verified.errors).toEqual([]);
    expect(verified.ok).toBe(true);
  });

  it('pages cells by bytes as well as by count', async () => {
    const { address } = await serveFilled();
    const cells = clientFor(CellService, address);
    const seen = new Set<string>();
    let token = '';
    let pages = 0;
    do {
      const page = as(ListCellsResponseSchema,
        await cells.listCells!({ page: { pageSize: 1000, pageToken: token } }));
      expect(page.cells.length).toBeGreaterThan(0);
      for (const c of page.cells) seen.add(`${c.coord?.q},${c.coord?.r}`);
      token = page.page?.nextPageToken ?? '';
      pages++;
    } while (token !== '');
    expect(pages).toBeGreaterThan(1);
    expect(seen.size).toBe(cellCount);
  });
});
