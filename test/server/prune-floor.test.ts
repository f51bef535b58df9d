/**
 * Reads below the prune floor over gRPC (SPEC §5, §6, §12; docs/mvcc.md "Prune floor").
 *
 * Goal: a read the server serves at an old seq (read_seq, as_of, a page token, a diff end) that
 * a prune pass has put below the floor fails with OUT_OF_RANGE, reason READ_SEQ_PRUNED, which
 * the SDK rebuilds as HexxlaError 'ReadSeqPruned', instead of answering from pruned history.
 * Method: an in-process server (test/server/harness.ts) on a temporary MVCC database, driven
 * only through the TypeScript SDK (HexxlaClient) and, for the tags listing, the raw client.
 * Properties: a paged ListCells continued after a prune at the head is refused (it returned an
 * empty page with the same seq before); read_seq, as_of and DiffSnapshots below the floor are
 * refused with seq and floor in the error context; reads at the head still work; the tags
 * listing (unversioned, always read at the head) keeps paging across a prune.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ListSnapshotTagsResponseSchema, MvccService,
} from '../../gen/hexxladb/v1/mvcc_service_pb.js';
import { HexxlaClient } from '../../src/client/index.js';
import { isHexxlaError } from '../../src/errors.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { as, clientFor, startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
afterEach(stopAll);

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

function expectPruned(err: unknown, seq: bigint, floor: bigint): void {
  expect(isHexxlaError(err, 'ReadSeqPruned'), String(err)).toBe(true);
  expect((err as { context: object }).context).toEqual({
    seq: String(seq), floor: String(floor), grpcStatus: 'OUT_OF_RANGE' });
}

describe('prune floor over gRPC', () => {
  it('a paged listing continued after a prune at the head fails with ReadSeqPruned', async () => {
    const { address } = await startServer(tmp);
    const client = await HexxlaClient.connect(address);
    try {
      for (let q = 0; q < 5; q++) await client.putCell({ coord: { q, r: 0 }, rawContent: `c${q}` });
      const listing = client.listCells({ pageSize: 2 });
      const first = await listing.page();
      expect(first.items).toHaveLength(2);
      expect(first.nextPageToken).not.toBe('');
      const seq = first.header.commitSeq;
      for (let q = 0; q < 5; q++) await client.deleteCell({ q, r: 0 });
      const dataHead = await client.commitSeq();
      expect(await client.pruneCellVersions(dataHead, 1000)).toBeGreaterThan(0);

      expectPruned(await rejection(listing.page(first.nextPageToken)), seq, dataHead);
      expectPruned(await rejection(client.getCell({ q: 0, r: 0 }, { at: { seq } })), seq,
        dataHead);
      // Before the first commit (seq 0) is the empty state whatever was pruned: it reads.
      expect(await client.getCell({ q: 0, r: 0 }, { at: { asOfMs: 0 } })).toBeUndefined();
      expectPruned(await rejection(client.snapshotDiff(seq, dataHead)), seq, dataHead);
      // At and after the floor everything still reads.
      expect(await client.listCells({ pageSize: 2 }).toArray()).toEqual([]);
      expect(await client.getCell({ q: 0, r: 0 }, { at: { seq: dataHead } })).toBeUndefined();
    } finally {
      client.close();
    }
  });

  it('the snapshot tags listing keeps paging across a prune (tags are unversioned)', async () => {
    const { address } = await startServer(tmp);
    const client = await HexxlaClient.connect(address);
    const mvcc = clientFor(MvccService, address);
    try {
      for (const label of ['a', 'b', 'c']) await client.tagSnapshot(label);
      await client.putCell({ coord: { q: 0, r: 0 }, rawContent: 'one' });
      const first = as(ListSnapshotTagsResponseSchema,
        await mvcc.listSnapshotTags!({ page: { pageSize: 2 } }));
      expect(first.tags.map((t) => t.label)).toEqual(['a', 'b']);
      await client.putCell({ coord: { q: 0, r: 0 }, rawContent: 'two' });
      expect(await client.pruneCellVersions(await client.commitSeq(), 1000)).toBeGreaterThan(0);
      const next = as(ListSnapshotTagsResponseSchema, await mvcc.listSnapshotTags!(
        { page: { pageSize: 2, pageToken: first.page!.nextPageToken } }));
      expect(next.tags.map((t) => t.label)).toEqual(['c']);
    } finally {
      client.close();
    }
  });
});
