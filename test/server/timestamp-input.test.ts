/**
 * Malformed google.protobuf.Timestamp inputs are refused (SPEC §12.2: validation →
 * INVALID_ARGUMENT).
 *
 * Goal: a Timestamp whose `nanos` lies outside [0, 999,999,999] (invalid by the well-known
 * type's definition; clients in other languages can build one by hand) is refused with
 * INVALID_ARGUMENT naming the field, instead of being folded into another instant and stored or
 * used for a read.
 * Method: a real server over a temporary MVCC database; the raw grpc-js test client.
 * Properties: PutCell (validity, provenance), GetCell read_at.as_of and FindSeams
 * detected_before refuse nanos of -1 and 1e9, and nothing is written; nanos 999,999,999 is
 * accepted.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { CellService } from '../../gen/hexxladb/v1/cell_service_pb.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { clientFor, failure, startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
afterEach(stopAll);

const badNanos = [-1, 1_000_000_000];

describe('Timestamp inputs', () => {
  it('refuses nanos outside [0, 999999999] with INVALID_ARGUMENT', async () => {
    const { address, server } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    await cells.putCell!({ cell: { coord: { q: 0, r: 0 }, rawContent: 'seed' } });
    const head = server.db.commitSeq();
    for (const nanos of badNanos) {
      const ts = { seconds: 1_700_000_000n, nanos };
      const calls: [string, Promise<unknown>][] = [
        ['valid_from', cells.putCell!({ cell: { coord: { q: 1, r: 0 }, rawContent: 'x',
          validity: { validFrom: ts } } })],
        ['created_at', cells.putCell!({ cell: { coord: { q: 1, r: 0 }, rawContent: 'x',
          provenance: { sourceId: 's', confidence: 1, createdAt: ts } } })],
        ['as_of', cells.getCell!({ coord: { q: 0, r: 0 },
          readAt: { selector: { case: 'asOf', value: ts } } })],
        ['detected_before', cells.findSeams!({ center: { q: 0, r: 0 }, radius: 1,
          detectedBefore: ts })],
      ];
      for (const [field, call] of calls) {
        const res = await failure(call);
        expect(res.code, `${field} nanos ${nanos}`).toBe(grpc.status.INVALID_ARGUMENT);
        expect(res.message, field).toContain(field);
      }
    }
    expect(server.db.commitSeq()).toBe(head);
    await cells.putCell!({ cell: { coord: { q: 2, r: 0 }, rawContent: 'ok',
      validity: { validFrom: { seconds: 1_700_000_000n, nanos: 999_999_999 } } } });
  });
});
