/** Facets 0–5 of a cell (SPEC §3.2). */
import type { Coord } from '../coord/index.js';
import type { Cell, Facet, FacetId, Seam } from '../engine/records.js';
import { hexxlaError } from '../errors.js';
import type { ReadCtx, WriteCtx } from './context.js';
import type { FacetInput } from './types.js';

const todo = (): never => { throw hexxlaError('InvalidArgument', 'not implemented yet'); };

export function contentHash(_rawContent: string): Uint8Array { return todo(); }
export function getFacet(_ctx: ReadCtx, _c: Coord, _id: FacetId): Facet | undefined {
  return todo();
}
export function listFacets(_ctx: ReadCtx, _c: Coord): Facet[] { return todo(); }
export function putFacet(_ctx: WriteCtx, _c: Coord, _input: FacetInput): Facet { return todo(); }
export function updateFacet(_ctx: WriteCtx, _c: Coord, _id: FacetId, _content: string,
  _hash: Uint8Array): Facet { return todo(); }
export function writeRawFacet(_ctx: WriteCtx, _cell: Cell): void { todo(); }
export function noteSeam(_ctx: WriteCtx, _c: Coord, _seam: Seam): void { todo(); }
export function deleteFacets(_ctx: WriteCtx, _c: Coord): number { return todo(); }
