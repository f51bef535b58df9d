/** Directed, typed, weighted edges (SPEC §3.3). */
import type { Coord } from '../coord/index.js';
import type { Edge } from '../engine/records.js';
import { hexxlaError } from '../errors.js';
import type { ReadCtx, WriteCtx } from './context.js';
import type { EdgeInput } from './types.js';

const todo = (): never => { throw hexxlaError('InvalidArgument', 'not implemented yet'); };

export function putEdge(_ctx: WriteCtx, _input: EdgeInput): Edge { return todo(); }
export function getEdge(_ctx: ReadCtx, _from: Coord, _to: Coord, _type: string): Edge | undefined {
  return todo();
}
export function listEdges(_ctx: ReadCtx, _from: Coord): Edge[] { return todo(); }
export function deleteEdge(_ctx: WriteCtx, _from: Coord, _to: Coord, _type: string): boolean {
  return todo();
}
export function deleteOutEdges(_ctx: WriteCtx, _from: Coord): number { return todo(); }
