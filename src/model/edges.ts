/**
 * Directed, typed, weighted edges (SPEC §3.3).
 *
 * An edge lives at `edgeKey(from, to, relationType)` (docs/records.md), so putting the same triple
 * again overwrites it (a new MVCC version under format v2) and the out-edges of a cell are one
 * prefix scan in key order: by packed `to` coordinate, then by relation type (byte length first).
 * `from` must be an existing cell; `to` need not be (edges may point at cells written later, and
 * deleting a cell removes only its out-edges). Edges have no secondary index.
 */
import type { Coord } from '../coord/index.js';
import { decodeEdge, encodeEdge } from '../engine/codec.js';
import { cellKey, edgeKey, edgePrefix } from '../engine/keys.js';
import { checkEdge, checkCoord, type Edge, type Provenance } from '../engine/records.js';
import { hexxlaError } from '../errors.js';
import type { ReadCtx, WriteCtx } from './context.js';
import type { EdgeInput } from './types.js';

/** Weight of an edge put without one. */
export const edgeWeightDefault = 1;

/**
 * Fills in the provenance defaults shared by cells and edges: source '' (none), confidence 1,
 * createdAtMs kept from the record being overwritten (else `nowMs`), updatedAtMs `nowMs`. Given
 * fields win. Throws `InvalidArgument` when `given` is neither undefined nor an object; the
 * fields themselves are validated with the record (checkEdge / checkCell).
 */
export function provenanceWithDefaults(
  given: Partial<Provenance> | undefined,
  existingCreatedAtMs: number | undefined,
  nowMs: number,
): Provenance {
  if (given !== undefined && (typeof given !== 'object' || given === null)) {
    throw hexxlaError('InvalidArgument', 'provenance must be an object');
  }
  return {
    sourceId: given?.sourceId ?? '',
    confidence: given?.confidence ?? 1,
    createdAtMs: given?.createdAtMs ?? existingCreatedAtMs ?? nowMs,
    updatedAtMs: given?.updatedAtMs ?? nowMs,
  };
}

/** Reads and decodes the edge at `key`, or undefined. */
function readEdge(ctx: ReadCtx, key: Uint8Array): Edge | undefined {
  const value = ctx.records.get(key);
  return value === undefined ? undefined : decodeEdge(value);
}

/**
 * Puts the edge (from, to, relationType), overwriting an existing one with the same triple.
 * Returns the edge as stored. Throws `InvalidArgument` / `InvalidCoordinate` for bad input and
 * `NotFound` when `from` is not an existing cell; nothing is written then.
 */
export function putEdge(ctx: WriteCtx, input: EdgeInput): Edge {
  if (typeof input !== 'object' || input === null) {
    throw hexxlaError('InvalidArgument', 'edge input must be an object');
  }
  // Validates both coordinates and the relation type before anything is read.
  const key = edgeKey(input.from, input.to, input.relationType);
  const existing = readEdge(ctx, key);
  const edge: Edge = {
    from: { q: input.from.q, r: input.from.r },
    to: { q: input.to.q, r: input.to.r },
    relationType: input.relationType,
    weight: input.weight ?? edgeWeightDefault,
    provenance: provenanceWithDefaults(
      input.provenance, existing?.provenance.createdAtMs, ctx.nowMs),
  };
  checkEdge(edge);
  if (!ctx.records.has(cellKey(edge.from))) {
    throw hexxlaError('NotFound', 'edge source cell does not exist', {
      from: `${edge.from.q},${edge.from.r}`,
    });
  }
  const value = encodeEdge(edge);
  ctx.records.put(key, value);
  ctx.change({ op: 'putEdge', key, value });
  return edge;
}

/** The edge (from, to, relationType), or undefined. Throws for a malformed triple. */
export function getEdge(ctx: ReadCtx, from: Coord, to: Coord, type: string): Edge | undefined {
  return readEdge(ctx, edgeKey(from, to, type));
}

/** Every out-edge of `from`, in key order. Throws `InvalidCoordinate`. */
export function listEdges(ctx: ReadCtx, from: Coord): Edge[] {
  const out: Edge[] = [];
  for (const [, value] of ctx.records.scan(edgePrefix(from))) out.push(decodeEdge(value));
  return out;
}

/** Deletes one edge; returns whether it existed (a missing edge is no error, no change). */
export function deleteEdge(ctx: WriteCtx, from: Coord, to: Coord, type: string): boolean {
  const key = edgeKey(from, to, type);
  if (!ctx.records.delete(key)) return false;
  ctx.change({ op: 'deleteEdge', key });
  return true;
}

/**
 * Deletes every out-edge of `from` and returns how many there were. The cascade of deleteCell:
 * it records no change entries (the cell's 'deleteCell' entry implies them).
 */
export function deleteOutEdges(ctx: WriteCtx, from: Coord): number {
  checkCoord(from, 'from');
  // Collect first: deleting while the scan's cursor walks the same range would disturb it.
  const keys: Uint8Array[] = [];
  for (const [key] of ctx.records.scan(edgePrefix(from))) keys.push(key);
  for (const key of keys) ctx.records.delete(key);
  return keys.length;
}
