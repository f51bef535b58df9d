/**
 * grpc.health.v1 Watch streams and graceful shutdown (SPEC §12.1 health, §12.4 shutdown).
 *
 * Goal: a Watch stream (what gRPC clients with client-side health checking keep open, one per
 * channel) never holds a shutdown for its whole grace period: on shutdown the watcher is told
 * NOT_SERVING and its stream ends, as the changelog subscriptions are ended at once.
 * Method: a real server over a temporary database; a raw grpc-js Watch of the overall status
 * (''); shut the server down with a grace period and record how the Watch ends.
 * Properties: the watcher sees SERVING, then NOT_SERVING, then the stream ends with status OK
 * (not CANCELLED by the forced stop at the end of the grace period).
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { useTmpDb } from '../harness/tmp-db.js';
import { startServer } from './harness.js';

const tmp = useTmpDb();

/** grpc.health.v1.HealthCheckResponse.status is field 1 (varint): 1 SERVING, 2 NOT_SERVING. */
function statusOf(message: Buffer): number {
  return message.length >= 2 && message[0] === 0x08 ? message[1]! : 0;
}

describe('health Watch and shutdown', () => {
  it('tells watchers NOT_SERVING and ends their streams when the server stops', async () => {
    const { address, server } = await startServer(tmp);
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    const watch = client.makeServerStreamRequest('/grpc.health.v1.Health/Watch',
      (request: Buffer) => request, (response: Buffer) => response, Buffer.alloc(0),
      new grpc.Metadata(), {});
    const seen: number[] = [];
    const ended = new Promise<grpc.status>((resolve) => {
      watch.on('status', (s: grpc.StatusObject) => resolve(s.code));
      watch.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => watch.on('data', (m: Buffer) => {
      seen.push(statusOf(m));
      resolve();
    }));
    await server.shutdown(2000);
    expect(await ended).toBe(grpc.status.OK);
    expect(seen).toEqual([1, 2]);
    client.close();
  });
});
