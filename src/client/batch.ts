/**
 * WriteBatch as plain data (SPEC §12.1): since a transaction callback cannot cross the
 * network, the SDK's stand-in for `db.update(tx => …)` is a list of mutations, named after the
 * WriteTx methods they perform, applied in order in one commit, optionally guarded by
 * preconditions checked inside that commit (compare-and-set).
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  MutationResult as WireResult, MutationSchema, PreconditionSchema, WriteBatchRequestSchema,
} from '../../gen/hexxladb/v1/cell_service_pb.js';
import { HexxlaError, hexxlaError, isHexxlaError } from '../errors.js';
import {
  cellIn, cellOut, coordOut, edgeIn, edgeOut, facetIn, facetOut, resolutionOut, seamIdOut,
  seamIn,
} from './convert.js';
import type {
  Cell, CellInput, Coord, Edge, EdgeInput, Facet, FacetId, FacetInput, ResolutionStatus,
  ResponseHeader, Seam, SeamInput, Ulid,
} from './types.js';

/** A guard of a batch; the batch fails with PreconditionFailed unless it holds. */
export type Precondition =
  /** The newest durable commit seq equals this (nothing was committed since it was read). */
  | { readonly headSeqEquals: bigint }
  | { readonly cellExists: Coord }
  | { readonly cellAbsent: Coord };

/** One write of a batch, named after the WriteTx method it runs. */
export type Mutation =
  | { readonly putCell: CellInput }
  | { readonly deleteCell: Coord }
  | { readonly putFacet: { readonly coord: Coord; readonly facet: FacetInput } }
  | { readonly updateFacet: { readonly coord: Coord; readonly id: FacetId;
    readonly derivedContent: string; readonly derivationHash: Uint8Array } }
  | { readonly putEdge: EdgeInput }
  | { readonly deleteEdge: { readonly from: Coord; readonly to: Coord;
    readonly relationType: string } }
  | { readonly markConflict: { readonly a: Coord; readonly b: Coord } & SeamInput }
  | { readonly markSupersedes: { readonly newer: Coord; readonly older: Coord } & SeamInput }
  | { readonly resolveSeam: { readonly id: Ulid; readonly status: ResolutionStatus;
    readonly note?: string } };

/** A batch: preconditions (all must hold) and mutations (1 … the server's maximum). */
export interface WriteBatch {
  readonly preconditions?: readonly Precondition[];
  readonly mutations: readonly Mutation[];
}

/** The result of one mutation, in the same position as the mutation. */
export type MutationResult =
  | { readonly cell: Cell }
  | { readonly deleted: boolean }
  | { readonly facet: Facet }
  | { readonly edge: Edge }
  | { readonly seam: Seam };

/** The batch's commit (header fields) and per-mutation results. */
export interface WriteBatchResult extends ResponseHeader {
  readonly results: MutationResult[];
}

type WireMutation = MessageInitShape<typeof MutationSchema>;

function preconditionOut(p: Precondition): MessageInitShape<typeof PreconditionSchema> {
  if ('headSeqEquals' in p) return { check: { case: 'headSeqEquals', value: p.headSeqEquals } };
  if ('cellExists' in p) return { check: { case: 'cellExists', value: coordOut(p.cellExists) } };
  return { check: { case: 'cellAbsent', value: coordOut(p.cellAbsent) } };
}

function seamMutationOut(m: Mutation): WireMutation {
  if ('markConflict' in m) {
    const v = m.markConflict;
    return { op: { case: 'markSeamConflict', value: { cellA: coordOut(v.a, 'a'),
      cellB: coordOut(v.b, 'b'), reason: v.reason ?? '',
      confidenceDelta: v.confidenceDelta ?? 0 } } };
  }
  if ('markSupersedes' in m) {
    const v = m.markSupersedes;
    return { op: { case: 'markSeamSupersedes', value: { newer: coordOut(v.newer, 'newer'),
      older: coordOut(v.older, 'older'), reason: v.reason ?? '',
      confidenceDelta: v.confidenceDelta ?? 0 } } };
  }
  if ('resolveSeam' in m) {
    const v = m.resolveSeam;
    return { op: { case: 'resolveSeam', value: { id: seamIdOut(v.id),
      resolutionStatus: resolutionOut(v.status), resolutionNote: v.note ?? '' } } };
  }
  throw hexxlaError('InvalidArgument', 'a mutation must name exactly one operation');
}

function mutationOut(m: Mutation): WireMutation {
  if ('putCell' in m) return { op: { case: 'putCell', value: { cell: cellOut(m.putCell) } } };
  if ('deleteCell' in m) {
    return { op: { case: 'deleteCell', value: { coord: coordOut(m.deleteCell) } } };
  }
  if ('putFacet' in m) {
    return { op: { case: 'putFacet',
      value: { facet: facetOut(m.putFacet.coord, m.putFacet.facet) } } };
  }
  if ('updateFacet' in m) {
    const v = m.updateFacet;
    return { op: { case: 'updateFacet', value: { coord: coordOut(v.coord), facetId: v.id,
      derivedContent: v.derivedContent, derivationHash: v.derivationHash } } };
  }
  if ('putEdge' in m) return { op: { case: 'putEdge', value: { edge: edgeOut(m.putEdge) } } };
  if ('deleteEdge' in m) {
    const v = m.deleteEdge;
    return { op: { case: 'deleteEdge', value: { fromCoord: coordOut(v.from, 'from'),
      toCoord: coordOut(v.to, 'to'), relationType: v.relationType } } };
  }
  return seamMutationOut(m);
}

/** Adds the index of the item that failed to a typed error, as the server does. */
function at<T, R>(items: readonly T[], what: 'mutation' | 'precondition',
  fn: (item: T) => R): R[] {
  return items.map((item, index) => {
    try {
      return fn(item);
    } catch (err) {
      if (!isHexxlaError(err)) throw err;
      throw new HexxlaError(err.code, `${what} ${index}: ${err.message}`,
        { context: { ...err.context, [what]: index }, cause: err });
    }
  });
}

/** The wire request of a batch; a bad coordinate or time names the item's index. */
export function writeBatchOut(batch: WriteBatch):
  MessageInitShape<typeof WriteBatchRequestSchema> {
  return {
    preconditions: at(batch.preconditions ?? [], 'precondition', preconditionOut),
    mutations: at(batch.mutations, 'mutation', mutationOut),
  };
}

export function writeResultIn(r: WireResult): MutationResult {
  const result = r.result;
  switch (result.case) {
    case 'cell': return { cell: cellIn(result.value) };
    case 'deleted': return { deleted: result.value };
    case 'facet': return { facet: facetIn(result.value) };
    case 'edge': return { edge: edgeIn(result.value) };
    case 'seam': return { seam: seamIn(result.value) };
    default:
      throw hexxlaError('InvalidArgument', 'the server sent a mutation result without a value');
  }
}
