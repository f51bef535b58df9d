/**
 * WriteBatch (SPEC §12.1): guarded mutations applied in one db.update commit.
 *
 * Everything runs inside the one synchronous update callback, so no other write can slip in
 * between the precondition checks and the mutations (ARCHITECTURE §2). The request is first
 * converted in full (a malformed mutation fails before any work); then each precondition is
 * checked against the transaction's view (the head it builds on, with its own writes not yet
 * made); then the mutations run in order. Any error throws out of the callback, which rolls the
 * whole transaction back: nothing is written. The failing precondition or mutation is named by
 * index in the error context (ErrorInfo metadata `precondition` / `mutation`).
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  CellService, Mutation, MutationResultSchema, Precondition,
} from '../../../gen/hexxladb/v1/cell_service_pb.js';
import { hexxlaError, HexxlaError, isHexxlaError } from '../../errors.js';
import type { WriteTx } from '../../index.js';
import {
  cellIn, cellOut, coordIn, edgeIn, edgeOut, facetIdIn, facetIn, facetOut, resolutionIn,
  seamIdIn, seamOut,
} from '../convert.js';
import { writeBatchMutationsMax, writeBatchPreconditionsMax } from '../limits.js';
import { checkMax, write, type HandlerDeps, type HandlersOf } from './common.js';

type Result = MessageInitShape<typeof MutationResultSchema>;
/** A mutation converted to engine input, ready to run inside the transaction. */
type Step = (tx: WriteTx) => Result;

/** Converts one mutation; conversion errors surface before the transaction starts. */
function stepOf(m: Mutation): Step {
  const op = m.op;
  switch (op.case) {
    case 'putCell': {
      const input = cellIn(op.value.cell);
      return (tx) => ({ result: { case: 'cell', value: cellOut(tx.putCell(input)) } });
    }
    case 'deleteCell': {
      const c = coordIn(op.value.coord, 'coord');
      return (tx) => ({ result: { case: 'deleted', value: tx.deleteCell(c) } });
    }
    case 'putFacet': {
      const { coord, input } = facetIn(op.value.facet);
      return (tx) => ({ result: { case: 'facet',
        value: facetOut(coord, tx.putFacet(coord, input)) } });
    }
    case 'updateFacet': {
      const v = op.value;
      const c = coordIn(v.coord, 'coord');
      return (tx) => ({ result: { case: 'facet', value: facetOut(c,
        tx.updateFacet(c, facetIdIn(v.facetId), v.derivedContent, v.derivationHash)) } });
    }
    case 'putEdge': {
      const input = edgeIn(op.value.edge);
      return (tx) => ({ result: { case: 'edge', value: edgeOut(tx.putEdge(input)) } });
    }
    case 'deleteEdge': {
      const v = op.value;
      const from = coordIn(v.fromCoord, 'from_coord');
      const to = coordIn(v.toCoord, 'to_coord');
      return (tx) => ({ result: { case: 'deleted',
        value: tx.deleteEdge(from, to, v.relationType) } });
    }
    default:
      return seamStepOf(m);
  }
}

function seamStepOf(m: Mutation): Step {
  const op = m.op;
  switch (op.case) {
    case 'markSeamConflict': {
      const v = op.value;
      const a = coordIn(v.cellA, 'cell_a');
      const b = coordIn(v.cellB, 'cell_b');
      const input = { reason: v.reason, confidenceDelta: v.confidenceDelta };
      return (tx) => ({ result: { case: 'seam', value: seamOut(tx.markConflict(a, b, input)) } });
    }
    case 'markSeamSupersedes': {
      const v = op.value;
      const newer = coordIn(v.newer, 'newer');
      const older = coordIn(v.older, 'older');
      const input = { reason: v.reason, confidenceDelta: v.confidenceDelta };
      return (tx) => ({ result: { case: 'seam',
        value: seamOut(tx.markSupersedes(newer, older, input)) } });
    }
    case 'resolveSeam': {
      const v = op.value;
      const id = seamIdIn(v.id);
      const status = resolutionIn(v.resolutionStatus);
      return (tx) => ({ result: { case: 'seam',
        value: seamOut(tx.resolveSeam(id, status, v.resolutionNote)) } });
    }
    default:
      throw hexxlaError('InvalidArgument', 'mutation has no operation set');
  }
}

/** A precondition check; throws PreconditionFailed when it does not hold. */
function checkPrecondition(tx: WriteTx, p: Precondition, index: number): void {
  const head = tx.readSeq - 1n; // the transaction builds the commit after the head
  const fail = (what: string): never => {
    throw hexxlaError('PreconditionFailed', `precondition ${index} failed: ${what}`,
      { precondition: index });
  };
  const check = p.check;
  switch (check.case) {
    case 'headSeqEquals':
      if (head !== check.value) fail(`head seq is ${head}, not ${check.value}`);
      return;
    case 'cellExists': {
      const c = coordIn(check.value, 'cell_exists');
      if (tx.getCell(c) === undefined) fail(`no cell at ${c.q},${c.r}`);
      return;
    }
    case 'cellAbsent': {
      const c = coordIn(check.value, 'cell_absent');
      if (tx.getCell(c) !== undefined) fail(`a cell exists at ${c.q},${c.r}`);
      return;
    }
    default:
      throw hexxlaError('InvalidArgument', `precondition ${index} has no check set`,
        { precondition: index });
  }
}

/** Adds the failing mutation's index to a typed error (other errors pass through). */
function atMutation(err: unknown, index: number): unknown {
  if (!isHexxlaError(err)) return err;
  return new HexxlaError(err.code, `mutation ${index}: ${err.message}`,
    { context: { ...err.context, mutation: index }, cause: err });
}

function convertAll(mutations: readonly Mutation[]): Step[] {
  return mutations.map((m, i) => {
    try {
      return stepOf(m);
    } catch (err) {
      throw atMutation(err, i);
    }
  });
}

export function writeBatchHandlers({ db }: HandlerDeps): HandlersOf<typeof CellService> {
  return {
    async writeBatch(req, ctx) {
      if (req.mutations.length === 0) {
        throw hexxlaError('InvalidArgument', 'mutations must not be empty');
      }
      checkMax(req.mutations.length, writeBatchMutationsMax, 'mutations');
      checkMax(req.preconditions.length, writeBatchPreconditionsMax, 'preconditions');
      const steps = convertAll(req.mutations);
      const { value, header } = await write(db, ctx, (tx) => {
        req.preconditions.forEach((p, i) => checkPrecondition(tx, p, i));
        return steps.map((step, i) => {
          try {
            return step(tx);
          } catch (err) {
            throw atMutation(err, i);
          }
        });
      }, (results) => results.some((r) => !(r.result?.case === 'deleted' &&
        r.result.value === false)));
      return { header, results: value };
    },
  };
}
