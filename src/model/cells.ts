/** Cells (SPEC §3.1): put with hooks and secondary indexes, get, delete with cascade, listings. */
import type { Coord } from '../coord/index.js';
import type { Cell } from '../engine/records.js';
import { hexxlaError } from '../errors.js';
import type { ReadCtx, WriteCtx } from './context.js';
import type { CellInput, ListOptions } from './types.js';

const todo = (): never => { throw hexxlaError('InvalidArgument', 'not implemented yet'); };

export function getCell(_ctx: ReadCtx, _c: Coord): Cell | undefined { return todo(); }
export function putCell(_ctx: WriteCtx, _input: CellInput): Cell { return todo(); }
export function deleteCell(_ctx: WriteCtx, _c: Coord): boolean { return todo(); }
export function listCells(_ctx: ReadCtx, _opts?: ListOptions): Cell[] { return todo(); }
export function listCellsByTag(_ctx: ReadCtx, _tag: string, _opts?: ListOptions): Cell[] {
  return todo();
}
export function listCellsBySource(_ctx: ReadCtx, _id: string, _opts?: ListOptions): Cell[] {
  return todo();
}
export function listCellsByWeek(_ctx: ReadCtx, _bucket: number, _opts?: ListOptions): Cell[] {
  return todo();
}
export function distinctTags(_ctx: ReadCtx): string[] { return todo(); }
