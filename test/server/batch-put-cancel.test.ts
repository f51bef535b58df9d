/**
 * BatchPutCells stops when its call is cancelled (SPEC §12.2: "cancelled / deadline →
 * CANCELLED / DEADLINE_EXCEEDED (and the work stops)").
 *
 * Goal: a client that gives up on a long batch put (cancel, or its deadline) does not leave the
 * server committing the rest of it for nobody.
 * Method: a real server over a temporary database; a BatchPutCells of many cells with one cell
 * per commit; the client cancels once the server has committed some of them; then wait until the
 * server has no call in flight and look at the head seq.
 * Properties: the call ends CANCELLED; when the server's handler has returned, only part of the
 * batch was committed (the batches committed before the cancel stay, as with any error).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BatchPutCellsRequestSchema, CellService,
} from '../../gen/hexxladb/v1/cell_service_pb.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
afterEach(stopAll);

const cellCount = 10_000;

/** Resolves once `done()` holds, checking after each turn of the event loop. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

/** A raw BatchPutCells (one cell per commit) cancelled by `signal`; resolves with its code. */
function batchPut(address: string, signal: AbortSignal): Promise<grpc.status> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const request = create(BatchPutCellsRequestSchema, { batchSize: 1, cells: Array.from(
    { length: cellCount }, (_, i) => ({ coord: { q: i % 100, r: Math.floor(i / 100) },
      rawContent: `c${i}` })) });
  return new Promise((resolve) => {
    const call = client.makeUnaryRequest(
      `/${CellService.typeName}/${CellService.method.batchPutCells.name}`,
      (req: Uint8Array) => Buffer.from(req), (res: Buffer) => res,
      toBinary(BatchPutCellsRequestSchema, request), new grpc.Metadata(), {}, (err) => {
        client.close();
        resolve(err === null ? grpc.status.OK : err.code);
      });
    signal.addEventListener('abort', () => call.cancel(), { once: true });
  });
}

describe('BatchPutCells and cancellation', () => {
  it('stops committing once the call is cancelled', async () => {
    const { address, server } = await startServer(tmp);
    const ctl = new AbortController();
    const call = batchPut(address, ctl.signal);
    await until(() => server.db.commitSeq() >= 5n);
    ctl.abort();
    expect(await call).toBe(grpc.status.CANCELLED);
    await until(() => server.inflightCalls === 0);
    expect(server.db.commitSeq()).toBeLessThan(BigInt(cellCount));
  });
});
