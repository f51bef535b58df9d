/**
 * Two Compact calls naming the same destination at once (SPEC §8; admin_service.proto
 * CompactRequest.destination_name: "An existing file is refused (FAILED_PRECONDITION)").
 *
 * Goal: when two operators (or a retry) compact into one name concurrently, one copy lands and
 * the other is refused; the refused call must not break the one that is running.
 * Method: a real server over an on-disk database big enough that the copies overlap; two
 * Compact streams with the same destination_name started together.
 * Properties: exactly one call succeeds and the other fails with FAILED_PRECONDITION; the
 * destination exists afterwards and no temporary `.compacting` file is left.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminService } from '../../gen/hexxladb/v1/admin_service_pb.js';
import { CellService } from '../../gen/hexxladb/v1/cell_service_pb.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { clientFor, collect, startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
const dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<grpc.status> {
  try {
    await p;
    return grpc.status.OK;
  } catch (err) {
    return (err as grpc.ServiceError).code;
  }
}

describe('Compact into one name twice at once', () => {
  it('lands one copy and refuses the other', async () => {
    const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexxla-same-'));
    dirs.push(backupDir);
    const { address } = await startServer(tmp, { backupDir }, { mvcc: true, backend: 'disk' });
    const cells = clientFor(CellService, address);
    const admin = clientFor(AdminService, address);
    await cells.batchPutCells!({ cells: Array.from({ length: 5000 }, (_, i) =>
      ({ coord: { q: i % 100, r: Math.floor(i / 100) }, rawContent: 'z'.repeat(300) })) });
    const codes = await Promise.all([
      codeOf(collect(admin.streams.compact!({ destinationName: 'same.db' }))),
      codeOf(collect(admin.streams.compact!({ destinationName: 'same.db' }))),
    ]);
    expect([...codes].sort()).toEqual([grpc.status.OK, grpc.status.FAILED_PRECONDITION]);
    expect(fs.readdirSync(backupDir).sort()).toEqual(['same.db']);
  });
});
