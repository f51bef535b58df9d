/**
 * CellService handlers for seams (SPEC §3.4), ring walks and loadContext (SPEC §3.2, §10.3).
 * WalkRing streams: the engine walks synchronously inside one snapshot, then the cells are sent
 * one message each with back-pressure; a cancelled call stops the stream.
 */
import type { CellService } from '../../../gen/hexxladb/v1/cell_service_pb.js';
import { hexxlaError } from '../../errors.js';
import type { Seam } from '../../index.js';
import {
  cellOut, coordIn, facetOut, msIn, resolutionIn, seamIdIn, seamOut,
} from '../convert.js';
import { findSeamsRadiusMax, loadContextCellsMax, walkRadiusMax } from '../limits.js';
import { offsetList, readAt, readPage, type Cursor } from '../snapshot.js';
import { checkLive, checkMax, write, type HandlerDeps, type HandlersOf } from './common.js';
import { ulidToString } from '../../index.js';

type Handlers = HandlersOf<typeof CellService>;

/** Seam listings resume after the last seam id (the engine's `after`). */
const afterSeam = (cursor: Cursor | undefined): { after?: Uint8Array } =>
  (typeof cursor === 'string' ? { after: seamIdIn(cursor) } : {});
const seamCursor = (seam: Seam): Cursor => ulidToString(seam.id);

export function seamHandlers({ db }: HandlerDeps): Handlers {
  return {
    async markSeamConflict(req, ctx) {
      const a = coordIn(req.cellA, 'cell_a');
      const b = coordIn(req.cellB, 'cell_b');
      const input = { reason: req.reason, confidenceDelta: req.confidenceDelta };
      const { value, header } = await write(db, ctx, (tx) => tx.markConflict(a, b, input));
      return { header, seam: seamOut(value) };
    },
    async markSeamSupersedes(req, ctx) {
      const newer = coordIn(req.newer, 'newer');
      const older = coordIn(req.older, 'older');
      const input = { reason: req.reason, confidenceDelta: req.confidenceDelta };
      const { value, header } = await write(db, ctx,
        (tx) => tx.markSupersedes(newer, older, input));
      return { header, seam: seamOut(value) };
    },
    async resolveSeam(req, ctx) {
      const id = seamIdIn(req.id);
      const status = resolutionIn(req.resolutionStatus);
      const { value, header } = await write(db, ctx,
        (tx) => tx.resolveSeam(id, status, req.resolutionNote));
      return { header, seam: seamOut(value) };
    },
    async getSeam(req, ctx) {
      checkLive(ctx);
      const id = seamIdIn(req.id);
      const { value, header } = readAt(db, req.readAt, (tx) => tx.getSeam(id));
      if (value === undefined) throw hexxlaError('NotFound', 'no such seam', { id: req.id });
      return { header, seam: seamOut(value) };
    },
  };
}

/** Seam listings, paged (by seam id where the engine resumes, else by offset). */
export function seamListHandlers({ db, pageBytes }: HandlerDeps): Handlers {
  return {
    async findSeams(req, ctx) {
      checkLive(ctx);
      const center = coordIn(req.center, 'center');
      checkMax(req.radius, findSeamsRadiusMax, 'radius');
      const asOfMs = req.detectedBefore === undefined
        ? undefined : msIn(req.detectedBefore, 'detected_before');
      const opts = { unresolvedOnly: req.unresolvedOnly,
        ...(asOfMs === undefined ? {} : { asOfMs }) };
      const scope = `find:${center.q},${center.r},${req.radius},${JSON.stringify(opts)}`;
      const page = readPage(db, { budgetBytes: pageBytes, readAt: req.readAt, page: req.page, scope,
        ...offsetList((tx) => tx.findSeams(center, req.radius, opts)) });
      return { header: page.header, seams: page.items.map(seamOut),
        page: { nextPageToken: page.nextPageToken } };
    },
    async listSeamsBySource(req, ctx) {
      checkLive(ctx);
      const page = readPage(db, { budgetBytes: pageBytes, readAt: req.readAt, page: req.page,
        scope: `seam-source:${req.sourceId}`,
        list: (tx, cursor, limit) =>
          tx.listSeamsBySource(req.sourceId, { limit, ...afterSeam(cursor) }),
        cursorOf: seamCursor });
      return { header: page.header, seams: page.items.map(seamOut),
        page: { nextPageToken: page.nextPageToken } };
    },
    async listSeamsByWeek(req, ctx) {
      checkLive(ctx);
      const page = readPage(db, { budgetBytes: pageBytes, readAt: req.readAt, page: req.page,
        scope: `seam-week:${req.weekBucket}`,
        list: (tx, cursor, limit) =>
          tx.listSeamsByWeek(req.weekBucket, { limit, ...afterSeam(cursor) }),
        cursorOf: seamCursor });
      return { header: page.header, seams: page.items.map(seamOut),
        page: { nextPageToken: page.nextPageToken } };
    },
    async listCellSeams(req, ctx) {
      checkLive(ctx);
      const c = coordIn(req.coord, 'coord');
      const page = readPage(db, { budgetBytes: pageBytes, readAt: req.readAt, page: req.page,
        scope: `cell-seams:${c.q},${c.r}`, ...offsetList((tx) => tx.seamsOfCell(c)) });
      return { header: page.header, seams: page.items.map(seamOut),
        page: { nextPageToken: page.nextPageToken } };
    },
  };
}

export function ringHandlers({ db }: HandlerDeps): Handlers {
  return {
    async *walkRing(req, ctx) {
      checkLive(ctx);
      const center = coordIn(req.center, 'center');
      checkMax(req.radius, walkRadiusMax, 'radius');
      const validAtMs = req.validAt === undefined ? undefined : msIn(req.validAt, 'valid_at');
      const opts = { facetMask: req.facetMask, ...(validAtMs === undefined ? {} : { validAtMs }) };
      const { value, header } = readAt(db, req.readAt,
        (tx) => tx.walkRing(center, req.radius, opts));
      for (const item of value) {
        yield { header, ring: item.ring, cell: cellOut(item.cell),
          facets: item.facets.map((f) => facetOut(item.cell.coord, f)) };
      }
    },
    async loadContext(req, ctx) {
      checkLive(ctx);
      const center = coordIn(req.center, 'center');
      checkMax(req.maxRadius, walkRadiusMax, 'max_radius');
      checkMax(req.maxCells, loadContextCellsMax, 'max_cells');
      const { value, header } = readAt(db, req.readAt,
        (tx) => tx.loadContext(center, req.maxRadius, req.maxCells));
      return { header, cells: value.map(cellOut) };
    },
  };
}
