/**
 * The record half of the SDK (CellService): cells, facets, edges, seams, ring walks and write
 * batches, with the library's method names, argument order and result shapes (src/engine/tx.ts
 * ReadTx / WriteTx, Database.putCell / putCells). Differences forced by the network, all
 * documented in docs/client.md:
 * - every call is async and takes options last: a deadline, an AbortSignal, a snapshot
 *   selector `at` for reads, and `onHeader` to learn the commit seq a call was served at;
 * - each write is its own commit (as Database.putCell); several writes in one commit go
 *   through `writeBatch`, guarded by preconditions if wanted;
 * - listings are `Listing`s (async iterables over pages, all at the first page's snapshot)
 *   and walkRing is an async iterable fed by a server stream.
 * Reads that find nothing return undefined, as in the library (the server's NOT_FOUND is
 * turned back into undefined); every other failure is thrown as the library's HexxlaError.
 */
import { CellService } from '../../gen/hexxladb/v1/cell_service_pb.js';
import { ErrorReason } from '../../gen/hexxladb/v1/errors_pb.js';
import type { ResponseHeader as WireHeader } from '../../gen/hexxladb/v1/header_pb.js';
import { hexxlaError, isHexxlaError } from '../errors.js';
import { codeOfReason } from './error-from-status.js';
import {
  cellIn, cellOut, coordOut, edgeIn, edgeOut, facetIn, facetOut, headerIn, msOut,
  readAtOut, resolutionOut, seamIdOut, seamIn,
} from './convert.js';
import { Listing, type Page } from './listing.js';
import type { CallOptions, Transport } from './transport.js';
import { writeBatchOut, writeResultIn, type WriteBatch, type WriteBatchResult } from './batch.js';
import type {
  BatchPutOptions, BatchPutResult, Cell, CellInput, Coord, Edge, EdgeInput, Facet, FacetId,
  FacetInput, FindSeamsOptions, ReadAt, ResolutionStatus, ResponseHeader, RingCell, Seam,
  SeamInput, Ulid, WalkOptions,
} from './types.js';

/** Options of a write. */
export interface WriteOptions extends CallOptions {
  /** Receives the response header: commitSeq is the write's commit. */
  readonly onHeader?: (header: ResponseHeader) => void;
}

/** Options of a read. */
export interface ReadOptions extends WriteOptions {
  /** The snapshot to read (default: the head). */
  readonly at?: ReadAt;
}

/** Options of a listing. */
export interface ListOptions extends ReadOptions {
  /** Items per page (0 or absent = the server's default; capped by the server). */
  readonly pageSize?: number;
}

const cells = CellService.method;

/** Undefined instead of a NotFound error (the library's getters return undefined). */
async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isHexxlaError(err, 'NotFound')) return undefined;
    throw err;
  }
}

export class RecordClient {
  constructor(protected readonly transport: Transport) {}

  /** Reports a response header to the caller's onHeader. */
  protected served(header: WireHeader | undefined, options: WriteOptions): void {
    options.onHeader?.(headerIn(header));
  }

  /** A Listing over one paged RPC; `call(token)` returns the raw response. */
  protected listing<T>(options: ListOptions,
    call: (page: { pageSize: number; pageToken: string }) => Promise<{
      header?: WireHeader; page?: { nextPageToken: string }; items: T[] }>): Listing<T> {
    return new Listing(async (pageToken): Promise<Page<T>> => {
      const res = await call({ pageSize: options.pageSize ?? 0, pageToken });
      this.served(res.header, options);
      return { items: res.items, nextPageToken: res.page?.nextPageToken ?? '',
        header: headerIn(res.header) };
    });
  }

  /** Puts a cell in its own commit; returns it as stored (Database.putCell). */
  async putCell(input: CellInput, options: WriteOptions = {}): Promise<Cell> {
    const res = await this.transport.unary(cells.putCell, { cell: cellOut(input) }, options);
    this.served(res.header, options);
    return cellIn(res.cell);
  }

  /** The cell at `c`, or undefined (ReadTx.getCell). */
  async getCell(c: Coord, options: ReadOptions = {}): Promise<Cell | undefined> {
    const request = { coord: coordOut(c), readAt: readAtOut(options.at) };
    return orUndefined(this.transport.unary(cells.getCell, request, options, true)
      .then((res) => {
        this.served(res.header, options);
        return cellIn(res.cell);
      }));
  }

  /** Deletes the cell with its facets and out-edges; false when there was none. */
  async deleteCell(c: Coord, options: WriteOptions = {}): Promise<boolean> {
    const res = await this.transport.unary(cells.deleteCell, { coord: coordOut(c) }, options);
    this.served(res.header, options);
    return res.deleted;
  }

  /** Puts many cells, `batchSize` per commit (Database.putCells). */
  async putCells(inputs: readonly CellInput[],
    options: BatchPutOptions & WriteOptions = {}): Promise<BatchPutResult> {
    const res = await this.transport.unary(cells.batchPutCells, {
      cells: inputs.map(cellOut), batchSize: options.batchSize ?? 0,
      continueOnError: options.continueOnError ?? false,
    }, options);
    this.served(res.header, options);
    return {
      written: res.written,
      errors: res.errors.map((e) => {
        const code = codeOfReason(reasonName(e.reason)) ?? 'InvalidArgument';
        return { index: e.index, error: hexxlaError(code, `cell ${e.index} was rejected`,
          { index: e.index }) };
      }),
    };
  }

  /** Every cell in key order, at one snapshot. */
  listCells(options: ListOptions = {}): Listing<Cell> {
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(cells.listCells,
        { readAt: readAtOut(options.at), page }, options, true);
      return { ...res, items: res.cells.map(cellIn) };
    });
  }

  /** The cells carrying `tag`, in key order. */
  listCellsByTag(tag: string, options: ListOptions = {}): Listing<Cell> {
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(cells.listCellsByTag,
        { readAt: readAtOut(options.at), page, tag }, options, true);
      return { ...res, items: res.cells.map(cellIn) };
    });
  }

  /** The cells of one provenance source, in key order. */
  listCellsBySource(sourceId: string, options: ListOptions = {}): Listing<Cell> {
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(cells.listCellsBySource,
        { readAt: readAtOut(options.at), page, sourceId }, options, true);
      return { ...res, items: res.cells.map(cellIn) };
    });
  }

  /** The cells whose validFrom lies in one ISO week bucket (the library's weekBucket). */
  listCellsByWeek(bucket: number, options: ListOptions = {}): Listing<Cell> {
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(cells.listCellsByWeek,
        { readAt: readAtOut(options.at), page, weekBucket: bucket }, options, true);
      return { ...res, items: res.cells.map(cellIn) };
    });
  }

  /** Every tag in use, sorted (ReadTx.distinctTags). */
  distinctTags(options: ListOptions = {}): Promise<string[]> {
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(cells.listDistinctTags,
        { readAt: readAtOut(options.at), page }, options, true);
      return { ...res, items: res.tags };
    }).toArray();
  }

  /** Upserts facet 1 … 5 of an existing cell (WriteTx.putFacet). */
  async putFacet(c: Coord, input: FacetInput, options: WriteOptions = {}): Promise<Facet> {
    const res = await this.transport.unary(cells.putFacet, { facet: facetOut(c, input) },
      options);
    this.served(res.header, options);
    return facetIn(res.facet);
  }

  /** Replaces a facet's content when `derivationHash` matches (FacetDerivationMismatch). */
  async updateFacet(c: Coord, id: FacetId, derivedContent: string, derivationHash: Uint8Array,
    options: WriteOptions = {}): Promise<Facet> {
    const res = await this.transport.unary(cells.updateFacet,
      { coord: coordOut(c), facetId: id, derivedContent, derivationHash }, options);
    this.served(res.header, options);
    return facetIn(res.facet);
  }

  /** One facet, or undefined. */
  async getFacet(c: Coord, id: FacetId, options: ReadOptions = {}): Promise<Facet | undefined> {
    const request = { coord: coordOut(c), facetId: id, readAt: readAtOut(options.at) };
    return orUndefined(this.transport.unary(cells.getFacet, request, options, true)
      .then((res) => {
        this.served(res.header, options);
        return facetIn(res.facet);
      }));
  }

  /** The facets of a cell by id (at most six). */
  async listFacets(c: Coord, options: ReadOptions = {}): Promise<Facet[]> {
    const res = await this.transport.unary(cells.listFacets,
      { coord: coordOut(c), readAt: readAtOut(options.at) }, options, true);
    this.served(res.header, options);
    return res.facets.map(facetIn);
  }

  /** Puts an edge (overwrites the same from/to/relationType). */
  async putEdge(input: EdgeInput, options: WriteOptions = {}): Promise<Edge> {
    const res = await this.transport.unary(cells.putEdge, { edge: edgeOut(input) }, options);
    this.served(res.header, options);
    return edgeIn(res.edge);
  }

  /** putEdge sugar (WriteTx.linkCells). */
  linkCells(from: Coord, to: Coord, relationType: string, weight = 1,
    options: WriteOptions = {}): Promise<Edge> {
    return this.putEdge({ from, to, relationType, weight }, options);
  }

  /** One edge, or undefined. */
  async getEdge(from: Coord, to: Coord, relationType: string,
    options: ReadOptions = {}): Promise<Edge | undefined> {
    const request = { fromCoord: coordOut(from, 'from'), toCoord: coordOut(to, 'to'),
      relationType, readAt: readAtOut(options.at) };
    return orUndefined(this.transport.unary(cells.getEdge, request, options, true)
      .then((res) => {
        this.served(res.header, options);
        return edgeIn(res.edge);
      }));
  }

  /** The out-edges of a cell, in key order. */
  listEdges(from: Coord, options: ListOptions = {}): Listing<Edge> {
    const fromCoord = coordOut(from, 'from');
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(cells.listEdges,
        { readAt: readAtOut(options.at), page, fromCoord }, options, true);
      return { ...res, items: res.edges.map(edgeIn) };
    });
  }

  /** Deletes one edge; false when there was none. */
  async deleteEdge(from: Coord, to: Coord, relationType: string,
    options: WriteOptions = {}): Promise<boolean> {
    const res = await this.transport.unary(cells.deleteEdge, { fromCoord: coordOut(from, 'from'),
      toCoord: coordOut(to, 'to'), relationType }, options);
    this.served(res.header, options);
    return res.deleted;
  }

  /** Marks a contradiction between two existing cells (WriteTx.markConflict). */
  async markConflict(a: Coord, b: Coord, input: SeamInput = {},
    options: WriteOptions = {}): Promise<Seam> {
    const res = await this.transport.unary(cells.markSeamConflict, { cellA: coordOut(a, 'a'),
      cellB: coordOut(b, 'b'), reason: input.reason ?? '',
      confidenceDelta: input.confidenceDelta ?? 0 }, options);
    this.served(res.header, options);
    return seamIn(res.seam);
  }

  /** Marks that `newer` replaces `older` (WriteTx.markSupersedes). */
  async markSupersedes(newer: Coord, older: Coord, input: SeamInput = {},
    options: WriteOptions = {}): Promise<Seam> {
    const res = await this.transport.unary(cells.markSeamSupersedes, {
      newer: coordOut(newer, 'newer'), older: coordOut(older, 'older'),
      reason: input.reason ?? '', confidenceDelta: input.confidenceDelta ?? 0 }, options);
    this.served(res.header, options);
    return seamIn(res.seam);
  }

  /** Sets a seam's resolution (WriteTx.resolveSeam). */
  async resolveSeam(id: Ulid, status: ResolutionStatus, note = '',
    options: WriteOptions = {}): Promise<Seam> {
    const res = await this.transport.unary(cells.resolveSeam, { id: seamIdOut(id),
      resolutionStatus: resolutionOut(status), resolutionNote: note }, options);
    this.served(res.header, options);
    return seamIn(res.seam);
  }

  /** One seam, or undefined. */
  async getSeam(id: Ulid, options: ReadOptions = {}): Promise<Seam | undefined> {
    const request = { id: seamIdOut(id), readAt: readAtOut(options.at) };
    return orUndefined(this.transport.unary(cells.getSeam, request, options, true)
      .then((res) => {
        this.served(res.header, options);
        return seamIn(res.seam);
      }));
  }

  /** The seams involving one cell, oldest first (ReadTx.seamsOfCell). */
  seamsOfCell(c: Coord, options: ListOptions = {}): Listing<Seam> {
    const coord = coordOut(c);
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(cells.listCellSeams,
        { readAt: readAtOut(options.at), page, coord }, options, true);
      return { ...res, items: res.seams.map(seamIn) };
    });
  }

  /** The seams touching cells within `radius` of `center`, oldest first. */
  findSeams(center: Coord, radius: number,
    options: FindSeamsOptions & ListOptions = {}): Listing<Seam> {
    const c = coordOut(center, 'center');
    const detectedBefore = options.asOfMs === undefined ? undefined
      : msOut(options.asOfMs, 'asOfMs');
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(cells.findSeams, { readAt: readAtOut(options.at),
        page, center: c, radius, unresolvedOnly: options.unresolvedOnly ?? false,
        detectedBefore }, options, true);
      return { ...res, items: res.seams.map(seamIn) };
    });
  }

  /** The seams of one source, oldest first. */
  listSeamsBySource(sourceId: string, options: ListOptions = {}): Listing<Seam> {
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(cells.listSeamsBySource,
        { readAt: readAtOut(options.at), page, sourceId }, options, true);
      return { ...res, items: res.seams.map(seamIn) };
    });
  }

  /** The seams of one ISO week bucket of their detection time, oldest first. */
  listSeamsByWeek(bucket: number, options: ListOptions = {}): Listing<Seam> {
    return this.listing(options, async (page) => {
      const res = await this.transport.unary(cells.listSeamsByWeek,
        { readAt: readAtOut(options.at), page, weekBucket: bucket }, options, true);
      return { ...res, items: res.seams.map(seamIn) };
    });
  }

  /** The cells within `radius` of `center`, ring by ring, streamed (ReadTx.walkRing). */
  async *walkRing(center: Coord, radius: number,
    options: WalkOptions & ReadOptions = {}): AsyncGenerator<RingCell> {
    const request = { readAt: readAtOut(options.at), center: coordOut(center, 'center'), radius,
      facetMask: options.facetMask ?? 0, validAt: options.validAtMs === undefined ? undefined
        : msOut(options.validAtMs, 'validAtMs') };
    let first = true;
    for await (const m of this.transport.stream(cells.walkRing, request, options,
      { idempotent: true })) {
      if (first) this.served(m.header, options);
      first = false;
      yield { ring: m.ring, cell: cellIn(m.cell), facets: m.facets.map(facetIn) };
    }
  }

  /** At most `maxCells` cells, ring by ring from `center` (ReadTx.loadContext). */
  async loadContext(center: Coord, maxRadius: number, maxCells: number,
    options: ReadOptions = {}): Promise<Cell[]> {
    const res = await this.transport.unary(cells.loadContext, { readAt: readAtOut(options.at),
      center: coordOut(center, 'center'), maxRadius, maxCells }, options, true);
    this.served(res.header, options);
    return res.cells.map(cellIn);
  }

  /**
   * Applies `batch.mutations` in one commit when every precondition holds; else nothing is
   * written and PreconditionFailed (context `precondition` = its index) is thrown. A failing
   * mutation aborts the whole batch (context `mutation` = its index).
   */
  async writeBatch(batch: WriteBatch, options: WriteOptions = {}): Promise<WriteBatchResult> {
    const res = await this.transport.unary(cells.writeBatch, writeBatchOut(batch), options);
    this.served(res.header, options);
    return { ...headerIn(res.header), results: res.results.map(writeResultIn) };
  }
}

/** The ErrorReason enum value's name without its prefix (what ErrorInfo.reason carries). */
function reasonName(reason: ErrorReason): string {
  return ErrorReason[reason] ?? '';
}
