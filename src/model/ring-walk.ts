/** Ring walks and loadContext (SPEC §3.2 walk-ring, §10.3 loadContext). */
import type { Coord } from '../coord/index.js';
import type { Cell } from '../engine/records.js';
import { hexxlaError } from '../errors.js';
import type { ReadCtx } from './context.js';
import type { RingCell, WalkOptions } from './types.js';

const todo = (): never => { throw hexxlaError('InvalidArgument', 'not implemented yet'); };

export function walkRing(_ctx: ReadCtx, _center: Coord, _radius: number,
  _opts?: WalkOptions): RingCell[] { return todo(); }
export function loadContext(_ctx: ReadCtx, _center: Coord, _maxRadius: number,
  _maxCells: number): Cell[] { return todo(); }
