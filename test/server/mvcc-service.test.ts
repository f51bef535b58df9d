/**
 * MvccService over gRPC (SPEC §5, §6).
 *
 * Goal: stats, snapshot tags, diffs and prune passes are served with correct headers.
 * Method: a real server over a temporary MVCC database; a grpc-js client.
 * Properties: stats count live cells; tags are listed sorted and paged, deleted, and an
 * unknown tag is NOT_FOUND; a diff streams added / modified / removed cells; a prune pass
 * removes shadowed versions without changing reads at the head; an unset profile is
 * INVALID_ARGUMENT.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { CellService } from '../../gen/hexxladb/v1/cell_service_pb.js';
import {
  DiffChange, type DiffSnapshotsResponse, GetMvccStatsResponseSchema,
  ListSnapshotTagsResponseSchema, MvccService, PruneCellVersionsResponseSchema, PruneProfile,
} from '../../gen/hexxladb/v1/mvcc_service_pb.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { as, clientFor, collect, failure, startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
afterEach(stopAll);

describe('MvccService', () => {
  it('serves stats, tags, diffs and prune passes', async () => {
    const { address } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    const mvcc = clientFor(MvccService, address);
    const put = (q: number, text: string) =>
      cells.putCell!({ cell: { coord: { q, r: 0 }, rawContent: text } });
    await put(0, 'a');
    await put(1, 'b'); // seq 2
    for (const label of ['zeta', 'alpha', 'mid']) await mvcc.tagSnapshot!({ label });
    await put(1, 'b2');
    await put(2, 'c');
    await cells.deleteCell!({ coord: { q: 0, r: 0 } });
    const stats = as(GetMvccStatsResponseSchema, await mvcc.getMvccStats!({}));
    expect(stats.cellCount).toBe(2n);
    const first = as(ListSnapshotTagsResponseSchema,
      await mvcc.listSnapshotTags!({ page: { pageSize: 2 } }));
    const second = as(ListSnapshotTagsResponseSchema, await mvcc.listSnapshotTags!({
      page: { pageSize: 2, pageToken: first.page?.nextPageToken ?? '' } }));
    expect([...first.tags, ...second.tags].map((t) => t.label)).toEqual(['alpha', 'mid', 'zeta']);
    expect(second.page?.nextPageToken).toBe('');
    await mvcc.deleteSnapshotTag!({ label: 'mid' });
    const gone = await failure(mvcc.getSnapshotTag!({ label: 'mid' }));
    expect(gone.code).toBe(grpc.status.NOT_FOUND);
    expect(gone.reason).toBe('SNAPSHOT_TAG_NOT_FOUND');
    const diff = await collect<DiffSnapshotsResponse>(
      mvcc.streams.diffSnapshots!({ fromSeq: 2n, toSeq: stats.headSeq }));
    const changes = diff.flatMap((m) => m.entries.map((e) => [e.coord?.q, e.change]));
    expect(changes).toEqual([[2, DiffChange.ADDED], [1, DiffChange.MODIFIED],
      [0, DiffChange.REMOVED]]);
    // Tags pin seq 2 (pruning keeps what they see): drop them so the old versions can go.
    for (const label of ['alpha', 'zeta']) await mvcc.deleteSnapshotTag!({ label });
    const pass = as(PruneCellVersionsResponseSchema, await mvcc.pruneCellVersions!({
      beforeSeq: stats.headSeq, maxDelete: 1000 }));
    expect(pass.removed).toBeGreaterThan(0n);
    const b = await cells.getCell!({ coord: { q: 1, r: 0 } });
    expect(b).toMatchObject({ cell: { rawContent: 'b2' } });
    await mvcc.pruneByProfile!({ profile: PruneProfile.BALANCED });
    const unset = await failure(mvcc.pruneByProfile!({}));
    expect(unset.code).toBe(grpc.status.INVALID_ARGUMENT);
  });
});
