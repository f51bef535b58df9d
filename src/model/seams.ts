/** Seams: contradiction and supersession markers between two cells (SPEC §3.4). */
import type { Coord } from '../coord/index.js';
import type { ResolutionStatus, Seam } from '../engine/records.js';
import type { Ulid } from '../engine/ulid.js';
import { hexxlaError } from '../errors.js';
import type { ReadCtx, WriteCtx } from './context.js';
import type { FindSeamsOptions, SeamInput } from './types.js';

const todo = (): never => { throw hexxlaError('InvalidArgument', 'not implemented yet'); };

export function markConflict(_ctx: WriteCtx, _a: Coord, _b: Coord, _in?: SeamInput): Seam {
  return todo();
}
export function markSupersedes(_ctx: WriteCtx, _newer: Coord, _older: Coord,
  _in?: SeamInput): Seam { return todo(); }
export function resolveSeam(_ctx: WriteCtx, _id: Ulid, _status: ResolutionStatus,
  _note: string): Seam { return todo(); }
export function getSeam(_ctx: ReadCtx, _id: Ulid): Seam | undefined { return todo(); }
export function seamsOfCell(_ctx: ReadCtx, _c: Coord): Seam[] { return todo(); }
export function findSeams(_ctx: ReadCtx, _center: Coord, _radius: number,
  _opts?: FindSeamsOptions): Seam[] { return todo(); }
export function listSeams(_ctx: ReadCtx, _opts?: { limit?: number; after?: Ulid }): Seam[] {
  return todo();
}
export function listSeamsBySource(_ctx: ReadCtx, _sourceId: string,
  _opts?: { limit?: number; after?: Ulid }): Seam[] { return todo(); }
export function listSeamsByWeek(_ctx: ReadCtx, _bucket: number,
  _opts?: { limit?: number; after?: Ulid }): Seam[] { return todo(); }
