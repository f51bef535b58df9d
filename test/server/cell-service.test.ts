/**
 * CellService and MvccService over gRPC (SPEC §12.1, §12.2).
 *
 * Goal: the served engine behaves as the library does, seen through the wire contract.
 * Method: a real server on 127.0.0.1:0 over a temporary MVCC database (checked after each
 * test), called by a grpc-js client built from the same descriptors.
 * Properties:
 *   - put/get round trip keeps every field; the header's commit_seq is the write's seq and a
 *     read at the head is served at it;
 *   - snapshot selectors (read_seq, snapshot_tag, as_of) read older states;
 *   - errors carry the mapped status and ErrorInfo reason (domain hexxladb.dev): NOT_FOUND,
 *     INVALID_ARGUMENT (bad coordinate, missing field, bad page token), FAILED_PRECONDITION
 *     (facet mismatch, MVCC disabled), OUT_OF_RANGE (future read seq); no file path leaks;
 *   - paging returns every cell exactly once, at the first page's seq;
 *   - WriteBatch is atomic: a failing precondition or mutation writes nothing;
 *   - WalkRing streams cells with the header.
 */
import { createHash } from 'node:crypto';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CellService, GetCellResponseSchema, ListCellsResponseSchema, PutCellResponseSchema,
  WriteBatchResponseSchema,
} from '../../gen/hexxladb/v1/cell_service_pb.js';
import { MvccService } from '../../gen/hexxladb/v1/mvcc_service_pb.js';
import { useTmpDb } from '../harness/tmp-db.js';
import { as, clientFor, collect, failure, startServer, stopAll } from './harness.js';

const tmp = useTmpDb();
afterEach(stopAll); // registered after useTmpDb: runs first, before the database is closed

const cell = (q: number, r: number, rawContent: string, tags: string[] = []) => ({
  coord: { q, r }, rawContent, tags,
  provenance: { sourceId: 'agent-1', confidence: 0.75 },
});

describe('CellService: cells', () => {
  it('round-trips a cell with the commit seq in the header', async () => {
    const { address } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    const put = as(PutCellResponseSchema, await cells.putCell!({ cell: {
      ...cell(2, -1, 'the sky is blue', ['colour', 'sky']),
      validity: { validFrom: timestampFromMs(1_700_000_000_000) },
    } }));
    expect(put.header?.commitSeq).toBe(1n);
    const got = as(GetCellResponseSchema, await cells.getCell!({ coord: { q: 2, r: -1 } }));
    expect(got.header?.commitSeq).toBe(1n);
    expect(got.header?.headSeq).toBe(1n);
    expect(got.cell?.rawContent).toBe('the sky is blue');
    expect(got.cell?.tags).toEqual(['colour', 'sky']);
    expect(got.cell?.provenance?.sourceId).toBe('agent-1');
    expect(got.cell?.provenance?.confidence).toBe(0.75);
    expect(got.cell?.validity?.validFrom?.seconds).toBe(1_700_000_000n);
    expect(got.cell?.coord).toMatchObject({ q: 2, r: -1 });
  });

  it('reads older snapshots by read_seq, snapshot tag and time', async () => {
    const { address } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    const mvcc = clientFor(MvccService, address);
    await cells.putCell!({ cell: cell(0, 0, 'v1') });
    await mvcc.tagSnapshot!({ label: 'before-v2' });
    const afterV1Ms = Date.now();
    await new Promise((r) => setTimeout(r, 5)); // a later wall-clock ms for the next commit
    const v2 = as(PutCellResponseSchema, await cells.putCell!({ cell: cell(0, 0, 'v2') }));
    const head = as(GetCellResponseSchema, await cells.getCell!({ coord: { q: 0, r: 0 } }));
    expect(head.cell?.rawContent).toBe('v2');
    expect(head.header?.commitSeq).toBe(v2.header?.commitSeq);
    const bySeq = as(GetCellResponseSchema, await cells.getCell!({ coord: { q: 0, r: 0 },
      readAt: { selector: { case: 'readSeq', value: 1n } } }));
    expect(bySeq.cell?.rawContent).toBe('v1');
    expect(bySeq.header?.commitSeq).toBe(1n);
    expect(bySeq.header?.headSeq).toBe(v2.header?.commitSeq);
    const byTag = as(GetCellResponseSchema, await cells.getCell!({ coord: { q: 0, r: 0 },
      readAt: { selector: { case: 'snapshotTag', value: 'before-v2' } } }));
    expect(byTag.cell?.rawContent).toBe('v1');
    const byTime = as(GetCellResponseSchema, await cells.getCell!({ coord: { q: 0, r: 0 },
      readAt: { selector: { case: 'asOf', value: timestampFromMs(afterV1Ms) } } }));
    expect(byTime.cell?.rawContent).toBe('v1');
  });

  it('pages through every cell once, pinned to the first page seq', async () => {
    const { address } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    for (let i = 0; i < 7; i++) await cells.putCell!({ cell: cell(i, 0, `c${i}`) });
    const seen: string[] = [];
    let token = '';
    let firstSeq: bigint | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = as(ListCellsResponseSchema, await cells.listCells!({
        page: { pageSize: 3, pageToken: token } }));
      firstSeq ??= page.header?.commitSeq;
      expect(page.header?.commitSeq).toBe(firstSeq);
      seen.push(...page.cells.map((c) => c.rawContent));
      token = page.page?.nextPageToken ?? '';
      // A write between pages must not show up in this listing.
      if (pages === 0) await cells.putCell!({ cell: cell(100, 0, 'late') });
      if (token === '') break;
    }
    expect(seen.sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    const bad = await failure(cells.listCells!({ page: { pageSize: 3, pageToken: 'garbage' } }));
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.reason).toBe('INVALID_ARGUMENT');
  });
});

describe('CellService: error mapping', () => {
  it('maps NOT_FOUND, INVALID_ARGUMENT, OUT_OF_RANGE with ErrorInfo', async () => {
    const { address } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    const missing = await failure(cells.getCell!({ coord: { q: 5, r: 5 } }));
    expect(missing.code).toBe(grpc.status.NOT_FOUND);
    expect(missing.reason).toBe('NOT_FOUND');
    expect(missing.info?.domain).toBe('hexxladb.dev');
    expect(missing.info?.metadata['coord']).toBe('5,5');
    const noCoord = await failure(cells.getCell!({}));
    expect(noCoord.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noCoord.reason).toBe('INVALID_ARGUMENT');
    const badTag = await failure(cells.putCell!({ cell: cell(0, 0, 'x', ['dup', 'dup']) }));
    expect(badTag.code).toBe(grpc.status.INVALID_ARGUMENT);
    const future = await failure(cells.getCell!({ coord: { q: 0, r: 0 },
      readAt: { selector: { case: 'readSeq', value: 99n } } }));
    expect(future.code).toBe(grpc.status.OUT_OF_RANGE);
    expect(future.reason).toBe('READ_SEQ_FUTURE');
    expect(future.info?.metadata['seq']).toBe('99');
    const noTag = await failure(cells.getCell!({ coord: { q: 0, r: 0 },
      readAt: { selector: { case: 'snapshotTag', value: 'nope' } } }));
    expect(noTag.code).toBe(grpc.status.NOT_FOUND);
    expect(noTag.reason).toBe('SNAPSHOT_TAG_NOT_FOUND');
  });

  it('maps a facet derivation mismatch to FAILED_PRECONDITION', async () => {
    const { address } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    await cells.putCell!({ cell: cell(1, 1, 'raw text') });
    await cells.putFacet!({ facet: { coord: { q: 1, r: 1 }, facetId: 1, derivedContent: 's' } });
    const wrong = await failure(cells.updateFacet!({ coord: { q: 1, r: 1 }, facetId: 1,
      derivedContent: 'new', derivationHash: new Uint8Array(32) }));
    expect(wrong.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(wrong.reason).toBe('FACET_DERIVATION_MISMATCH');
    const hash = createHash('sha256').update('raw text').digest();
    const ok = await cells.updateFacet!({ coord: { q: 1, r: 1 }, facetId: 1,
      derivedContent: 'new', derivationHash: new Uint8Array(hash) });
    expect(ok).toMatchObject({ facet: { derivedContent: 'new' } });
  });

  it('maps MVCC calls on a v1 database to FAILED_PRECONDITION without leaking paths',
    async () => {
      const { address, server } = await startServer(tmp, {}, { mvcc: false });
      const cells = clientFor(CellService, address);
      const res = await failure(cells.getCell!({ coord: { q: 0, r: 0 },
        readAt: { selector: { case: 'readSeq', value: 0n } } }));
      expect(res.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(res.reason).toBe('MVCC_DISABLED');
      expect(res.info?.metadata['path']).toBeUndefined();
      expect(res.message).not.toContain(server.db.path);
    });
});

describe('CellService: WriteBatch', () => {
  it('applies all mutations in one commit', async () => {
    const { address } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    const res = as(WriteBatchResponseSchema, await cells.writeBatch!({
      preconditions: [{ check: { case: 'headSeqEquals', value: 0n } },
        { check: { case: 'cellAbsent', value: { q: 0, r: 0 } } }],
      mutations: [
        { op: { case: 'putCell', value: { cell: cell(0, 0, 'a') } } },
        { op: { case: 'putCell', value: { cell: cell(1, 0, 'b') } } },
        { op: { case: 'putEdge', value: { edge: { fromCoord: { q: 0, r: 0 },
          toCoord: { q: 1, r: 0 }, relationType: 'see-also', weight: 2 } } } },
        { op: { case: 'markSeamConflict', value: { cellA: { q: 0, r: 0 },
          cellB: { q: 1, r: 0 }, reason: 'disagree' } } },
      ],
    }));
    expect(res.header?.commitSeq).toBe(1n);
    expect(res.results.map((r) => r.result.case)).toEqual(['cell', 'cell', 'edge', 'seam']);
    const seam = res.results[3]?.result;
    expect(seam?.case === 'seam' ? seam.value.id : '').toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const got = as(GetCellResponseSchema, await cells.getCell!({ coord: { q: 1, r: 0 } }));
    expect(got.header?.commitSeq).toBe(1n);
  });

  it('writes nothing when a precondition or a mutation fails', async () => {
    const { address, server } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    await cells.putCell!({ cell: cell(0, 0, 'exists') });
    const head = server.db.commitSeq();
    const stale = await failure(cells.writeBatch!({
      preconditions: [{ check: { case: 'headSeqEquals', value: 0n } }],
      mutations: [{ op: { case: 'putCell', value: { cell: cell(5, 5, 'no') } } }],
    }));
    expect(stale.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(stale.reason).toBe('PRECONDITION_FAILED');
    expect(stale.info?.metadata['precondition']).toBe('0');
    const absent = await failure(cells.writeBatch!({
      preconditions: [{ check: { case: 'cellAbsent', value: { q: 0, r: 0 } } }],
      mutations: [{ op: { case: 'putCell', value: { cell: cell(5, 5, 'no') } } }],
    }));
    expect(absent.reason).toBe('PRECONDITION_FAILED');
    // The first mutation is fine, the second fails (edge from a missing cell): all roll back.
    const midway = await failure(cells.writeBatch!({
      preconditions: [{ check: { case: 'cellExists', value: { q: 0, r: 0 } } }],
      mutations: [
        { op: { case: 'putCell', value: { cell: cell(6, 6, 'rolled back') } } },
        { op: { case: 'putEdge', value: { edge: { fromCoord: { q: 9, r: 9 },
          toCoord: { q: 0, r: 0 }, relationType: 'x' } } } },
      ],
    }));
    expect(midway.code).toBe(grpc.status.NOT_FOUND);
    expect(midway.info?.metadata['mutation']).toBe('1');
    expect(server.db.commitSeq()).toBe(head);
    for (const c of [{ q: 5, r: 5 }, { q: 6, r: 6 }]) {
      expect((await failure(cells.getCell!({ coord: c }))).code).toBe(grpc.status.NOT_FOUND);
    }
  });
});

describe('CellService: ring walk', () => {
  it('streams the cells of the rings with the header', async () => {
    const { address } = await startServer(tmp);
    const cells = clientFor(CellService, address);
    await cells.putCell!({ cell: cell(0, 0, 'centre') });
    await cells.putCell!({ cell: cell(1, 0, 'ring one') });
    await cells.putCell!({ cell: cell(3, 0, 'ring three') });
    const items = await collect<{ ring: number; cell: { rawContent: string };
      header: { commitSeq: bigint } }>(
      cells.streams.walkRing!({ center: { q: 0, r: 0 }, radius: 2 }));
    expect(items.map((i) => [i.ring, i.cell.rawContent])).toEqual([[0, 'centre'],
      [1, 'ring one']]);
    expect(items.every((i) => i.header.commitSeq === 3n)).toBe(true);
  });
});
