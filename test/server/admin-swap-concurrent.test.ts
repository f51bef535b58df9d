/**
 * Concurrent in-place operations through AdminService (SPEC §8 swap, §4.4 online rotation).
 *
 * Goal: two file-replacing operations that overlap (a Compact with swap retried by an operator
 * whose first call is still running, or a swap racing a RotateEncryption) never lose a commit
 * acknowledged after them and never answer INTERNAL.
 * Method: a server that owns a real on-disk database (with its changelog; encrypted for the
 * rotation case); start two swaps, or a swap and a rotation, at once; then write, stop the
 * server and reopen the files with the library.
 * Properties:
 *   - each call succeeds or fails with a typed, non-INTERNAL status;
 *   - every write acknowledged after the operations is in the reopened database and the
 *     structural check passes;
 *   - the changelog sidecar is still there and holds the write.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../gen/hexxladb/v1/admin_service_pb.js';
import { CellService } from '../../gen/hexxladb/v1/cell_service_pb.js';
import { open } from '../../src/index.js';
import {
  createLogger, defaultConfig, HexxlaServer, resolveConfig,
} from '../../src/server/index.js';
import { clientFor, collect } from './harness.js';

const dirs: string[] = [];
const servers: HexxlaServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.shutdown(1000)));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const oldKey = { encryptionKey: new Uint8Array(32).fill(1) };
const newKey = new Uint8Array(32).fill(2);

async function serve(options: { encrypted?: boolean } = {}):
  Promise<{ dbPath: string; server: HexxlaServer; address: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-swap-'));
  dirs.push(dir);
  const dbPath = path.join(dir, 'live.db');
  const keyFile = path.join(dir, 'key');
  fs.writeFileSync(keyFile, oldKey.encryptionKey);
  const server = await HexxlaServer.start({ logger: createLogger('silent'),
    config: resolveConfig({ ...defaultConfig, listen: '127.0.0.1:0', databasePath: dbPath,
      backupDir: path.join(dir, 'backups'), changelog: true,
      ...(options.encrypted === true ? { encryptionKeyFile: keyFile } : {}) }) });
  servers.push(server);
  return { dbPath, server, address: `127.0.0.1:${server.port}` };
}

/** The gRPC code a call ended with (OK when it succeeded). */
async function codeOf(p: Promise<unknown>): Promise<grpc.status> {
  try {
    await p;
    return grpc.status.OK;
  } catch (err) {
    return (err as grpc.ServiceError).code;
  }
}

async function expectDurable(dbPath: string, server: HexxlaServer,
  cells: ReturnType<typeof clientFor>, credentials: { encryptionKey?: Uint8Array } = {}):
  Promise<void> {
  await cells.putCell!({ cell: { coord: { q: 7, r: 7 }, rawContent: 'acknowledged' } });
  await server.shutdown(1000);
  expect(fs.existsSync(`${dbPath}-changelog`)).toBe(true);
  const db = await open(dbPath, { create: false, changelog: true, ...credentials });
  try {
    expect(db.getCell({ q: 7, r: 7 })?.rawContent).toBe('acknowledged');
    expect(db.readChangelogSince(db.commitSeq() - 1n).map((e) => e.op)).toEqual(['putCell']);
    expect(db.check().ok).toBe(true);
  } finally {
    await db.close();
  }
}

describe('AdminService: overlapping in-place operations', () => {
  it('two concurrent swaps lose no later write and answer no INTERNAL', async () => {
    const { dbPath, server, address } = await serve();
    const cells = clientFor(CellService, address);
    const admin = clientFor(AdminService, address);
    await cells.batchPutCells!({ cells: Array.from({ length: 2000 },
      (_, i) => ({ coord: { q: i, r: 1 }, rawContent: 'x'.repeat(200) })) });
    const codes = await Promise.all([
      codeOf(collect(admin.streams.compact!({ swap: true }))),
      codeOf(collect(admin.streams.compact!({ swap: true }))),
    ]);
    expect(codes).not.toContain(grpc.status.INTERNAL);
    expect(codes).toContain(grpc.status.OK);
    await expectDurable(dbPath, server, cells);
  });

  it('a swap racing a rotation loses no later write and answers no INTERNAL', async () => {
    const { dbPath, server, address } = await serve({ encrypted: true });
    const cells = clientFor(CellService, address);
    const admin = clientFor(AdminService, address);
    await cells.batchPutCells!({ cells: Array.from({ length: 2000 },
      (_, i) => ({ coord: { q: i, r: 1 }, rawContent: 'x'.repeat(200) })) });
    const codes = await Promise.all([
      codeOf(collect(admin.streams.compact!({ swap: true }))),
      codeOf(admin.rotateEncryption!({ newEncryptionKey: newKey, discardChangelog: true })),
    ]);
    expect(codes).not.toContain(grpc.status.INTERNAL);
    expect(codes).toContain(grpc.status.OK);
    const rotated = codes[1] === grpc.status.OK;
    await expectDurable(dbPath, server, cells, rotated ? { encryptionKey: newKey } : oldKey);
  });
});
