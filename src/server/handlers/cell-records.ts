/**
 * CellService handlers for cells, facets and edges (SPEC §3.1–3.3) on the engine API. Reads run
 * at the request's snapshot (readAt / readPage); writes run one db.update each.
 */
import type { CellService } from '../../../gen/hexxladb/v1/cell_service_pb.js';
import { hexxlaError } from '../../errors.js';
import { reasonValueOf } from '../error-map.js';
import type { Cell, Coord } from '../../index.js';
import {
  cellIn, cellOut, coordIn, edgeIn, edgeOut, facetIdIn, facetIn, facetOut,
} from '../convert.js';
import { batchPutCellsMax } from '../limits.js';
import { offsetList, readAt, readPage, type Cursor } from '../snapshot.js';
import { checkMax, checkLive, write, type HandlerDeps, type HandlersOf } from './common.js';

type Handlers = HandlersOf<typeof CellService>;

/** Paging by coordinate: the engine resumes after the last coordinate returned. */
const afterCoord = (cursor: Cursor | undefined): { after?: Coord } =>
  (typeof cursor === 'object' ? { after: cursor } : {});
const coordCursor = (cell: Cell): Cursor => ({ q: cell.coord.q, r: cell.coord.r });

export function cellHandlers({ db }: HandlerDeps): Handlers {
  return {
    async putCell(req, ctx) {
      const input = cellIn(req.cell);
      const { value, header } = await write(db, ctx, (tx) => tx.putCell(input));
      return { header, cell: cellOut(value) };
    },
    async getCell(req, ctx) {
      checkLive(ctx);
      const c = coordIn(req.coord, 'coord');
      const { value, header } = readAt(db, req.readAt, (tx) => tx.getCell(c));
      if (value === undefined) {
        throw hexxlaError('NotFound', 'no cell at this coordinate', { coord: `${c.q},${c.r}` });
      }
      return { header, cell: cellOut(value) };
    },
    async deleteCell(req, ctx) {
      const c = coordIn(req.coord, 'coord');
      const { value, header } = await write(db, ctx, (tx) => tx.deleteCell(c), (d) => d);
      return { header, deleted: value };
    },
  };
}

/** Listings of cells and tags, paged (cells resume after the last coordinate). */
export function cellListHandlers({ db, pageBytes }: HandlerDeps): Handlers {
  return {
    async listCells(req, ctx) {
      checkLive(ctx);
      const page = readPage(db, { budgetBytes: pageBytes,
        readAt: req.readAt, page: req.page, scope: 'cells',
        list: (tx, cursor, limit) => tx.listCells({ limit, ...afterCoord(cursor) }),
        cursorOf: coordCursor });
      return { header: page.header, cells: page.items.map(cellOut),
        page: { nextPageToken: page.nextPageToken } };
    },
    async listCellsByTag(req, ctx) {
      checkLive(ctx);
      const page = readPage(db, { budgetBytes: pageBytes,
        readAt: req.readAt, page: req.page, scope: `tag:${req.tag}`,
        list: (tx, cursor, limit) => tx.listCellsByTag(req.tag, { limit, ...afterCoord(cursor) }),
        cursorOf: coordCursor });
      return { header: page.header, cells: page.items.map(cellOut),
        page: { nextPageToken: page.nextPageToken } };
    },
    async listCellsBySource(req, ctx) {
      checkLive(ctx);
      const page = readPage(db, { budgetBytes: pageBytes, readAt: req.readAt, page: req.page,
        scope: `source:${req.sourceId}`,
        list: (tx, cursor, limit) =>
          tx.listCellsBySource(req.sourceId, { limit, ...afterCoord(cursor) }),
        cursorOf: coordCursor });
      return { header: page.header, cells: page.items.map(cellOut),
        page: { nextPageToken: page.nextPageToken } };
    },
    async listCellsByWeek(req, ctx) {
      checkLive(ctx);
      const page = readPage(db, { budgetBytes: pageBytes, readAt: req.readAt, page: req.page,
        scope: `week:${req.weekBucket}`,
        list: (tx, cursor, limit) =>
          tx.listCellsByWeek(req.weekBucket, { limit, ...afterCoord(cursor) }),
        cursorOf: coordCursor });
      return { header: page.header, cells: page.items.map(cellOut),
        page: { nextPageToken: page.nextPageToken } };
    },
    async listDistinctTags(req, ctx) {
      checkLive(ctx);
      const page = readPage(db, { budgetBytes: pageBytes,
        readAt: req.readAt, page: req.page, scope: 'tags',
        ...offsetList((tx) => tx.distinctTags()) });
      return { header: page.header, tags: page.items,
        page: { nextPageToken: page.nextPageToken } };
    },
  };
}

/** BatchPutCells: the library's batch put (batch size, continue-on-error). */
export function batchPutHandlers({ db }: HandlerDeps): Handlers {
  return {
    async batchPutCells(req, ctx) {
      checkLive(ctx);
      checkMax(req.cells.length, batchPutCellsMax, 'cells');
      const inputs = req.cells.map(cellIn);
      const result = await db.putCells(inputs, {
        continueOnError: req.continueOnError,
        ...(req.batchSize === 0 ? {} : { batchSize: req.batchSize }),
        // Between commits: a cancelled call or a passed deadline stops the rest (SPEC §12.2);
        // the batches already committed stay, as after any error.
        onProgress: () => checkLive(ctx),
      });
      const head = db.commitSeq();
      return {
        header: { commitSeq: head, headSeq: head },
        written: result.written,
        errors: result.errors.map((e) => ({ index: e.index, reason: reasonValueOf(e.error.code) })),
      };
    },
  };
}

export function facetHandlers({ db }: HandlerDeps): Handlers {
  return {
    async putFacet(req, ctx) {
      const { coord, input } = facetIn(req.facet);
      const { value, header } = await write(db, ctx, (tx) => tx.putFacet(coord, input));
      return { header, facet: facetOut(coord, value) };
    },
    async updateFacet(req, ctx) {
      const c = coordIn(req.coord, 'coord');
      const { value, header } = await write(db, ctx, (tx) => tx.updateFacet(c,
        facetIdIn(req.facetId), req.derivedContent, req.derivationHash));
      return { header, facet: facetOut(c, value) };
    },
    async getFacet(req, ctx) {
      checkLive(ctx);
      const c = coordIn(req.coord, 'coord');
      const { value, header } = readAt(db, req.readAt,
        (tx) => tx.getFacet(c, facetIdIn(req.facetId)));
      if (value === undefined) {
        throw hexxlaError('NotFound', 'no such facet',
          { coord: `${c.q},${c.r}`, facet_id: req.facetId });
      }
      return { header, facet: facetOut(c, value) };
    },
    async listFacets(req, ctx) {
      checkLive(ctx);
      const c = coordIn(req.coord, 'coord');
      const { value, header } = readAt(db, req.readAt, (tx) => tx.listFacets(c));
      return { header, facets: value.map((f) => facetOut(c, f)) };
    },
  };
}

export function edgeHandlers({ db, pageBytes }: HandlerDeps): Handlers {
  return {
    async putEdge(req, ctx) {
      const input = edgeIn(req.edge);
      const { value, header } = await write(db, ctx, (tx) => tx.putEdge(input));
      return { header, edge: edgeOut(value) };
    },
    async linkCells(req, ctx) {
      const from = coordIn(req.fromCoord, 'from_coord');
      const to = coordIn(req.toCoord, 'to_coord');
      const { value, header } = await write(db, ctx,
        (tx) => tx.linkCells(from, to, req.relationType, req.weight ?? 1));
      return { header, edge: edgeOut(value) };
    },
    async getEdge(req, ctx) {
      checkLive(ctx);
      const from = coordIn(req.fromCoord, 'from_coord');
      const to = coordIn(req.toCoord, 'to_coord');
      const { value, header } = readAt(db, req.readAt,
        (tx) => tx.getEdge(from, to, req.relationType));
      if (value === undefined) throw hexxlaError('NotFound', 'no such edge');
      return { header, edge: edgeOut(value) };
    },
    async listEdges(req, ctx) {
      checkLive(ctx);
      const from = coordIn(req.fromCoord, 'from_coord');
      const page = readPage(db, { budgetBytes: pageBytes, readAt: req.readAt, page: req.page,
        scope: `edges:${from.q},${from.r}`, ...offsetList((tx) => tx.listEdges(from)) });
      return { header: page.header, edges: page.items.map(edgeOut),
        page: { nextPageToken: page.nextPageToken } };
    },
    async deleteEdge(req, ctx) {
      const from = coordIn(req.fromCoord, 'from_coord');
      const to = coordIn(req.toCoord, 'to_coord');
      const { value, header } = await write(db, ctx,
        (tx) => tx.deleteEdge(from, to, req.relationType), (d) => d);
      return { header, deleted: value };
    },
  };
}
