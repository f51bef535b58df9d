/**
 * Changelog entries (src/changelog/format.ts) as `ChangeEvent` messages (changelog_service.proto).
 *
 * Besides the raw key and value (the engine's key and record encodings, kept so that an SDK can
 * hand back exactly what the library returns), every event carries the mutation decoded into
 * the service's own messages (`record`): a client needs no engine codec. The decoding follows
 * what each op stores (src/model/*.ts, Database.tagSnapshot):
 *
 *   putCell      key cellKey(coord),            value encoded Cell   → cell
 *   putSeam,
 *   resolveSeam  key seamKey(id),               value encoded Seam   → seam
 *   putFacet     key facetKey(coord, id),       value encoded Facet  → facet (+ its coord)
 *   putEdge      key edgeKey(from, to, type),   value encoded Edge   → edge
 *   deleteCell   key cellKey(coord)                                  → deleted_cell
 *   deleteEdge   key edgeKey(from, to, type)                         → deleted_edge
 *   tagSnapshot  key snapshotTagKey(label),     value u64 BE seq     → snapshot_tag {label, seq}
 *   deleteSnapshotTag  key snapshotTagKey(label)                     → snapshot_tag {label}
 *   put/deleteEmbedding  key embeddingKey(coord)                     → embedding_coord
 *
 * Frames are checksummed, so a value that does not decode is damage the checksum missed or an
 * engine bug: the decoders' CorruptDatabase propagates (DATA_LOSS) rather than a silent skip.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  ChangeOp as WireChangeOp, type ChangeEventSchema,
} from '../../../gen/hexxladb/v1/changelog_service_pb.js';
import type { ChangelogEntry } from '../../changelog/format.js';
import { decodeCell, decodeEdge, decodeFacet, decodeSeam } from '../../engine/codec.js';
import {
  decodeCellKey, decodeEdgeKey, decodeEmbeddingKey, decodeFacetKey, decodeSnapshotTagKey,
} from '../../engine/keys.js';
import { assertNever } from '../../assert.js';
import { hexxlaError } from '../../errors.js';
import { changeOps, type ChangeOp } from '../../index.js';
import { cellOut, coordOut, edgeOut, facetOut, msOut, seamOut } from '../convert.js';

type EventInit = MessageInitShape<typeof ChangeEventSchema>;
type RecordInit = EventInit['record'];

/** The wire op of an engine op (the proto enum mirrors changeOps number for number). */
export function wireOp(op: ChangeOp): WireChangeOp {
  return changeOps[op] as number as WireChangeOp;
}

/** The engine op of a wire op; InvalidArgument naming `field` for UNSPECIFIED or unknown. */
export function engineOp(op: WireChangeOp, field: string): ChangeOp {
  const found = (Object.keys(changeOps) as ChangeOp[]).find((name) => changeOps[name] === op);
  if (found === undefined) {
    throw hexxlaError('InvalidArgument', `${field} holds an unknown change op`,
      { field, op });
  }
  return found;
}

function required(entry: ChangelogEntry): Uint8Array {
  if (entry.value === undefined) {
    throw hexxlaError('CorruptDatabase', `changelog ${entry.op} at seq ${entry.seq} has no value`,
      { seq: entry.seq, op: entry.op });
  }
  return entry.value;
}

function taggedSeq(entry: ChangelogEntry): bigint {
  const value = required(entry);
  if (value.length !== 8) {
    throw hexxlaError('CorruptDatabase', `changelog tagSnapshot at seq ${entry.seq} has a ` +
      'malformed value', { seq: entry.seq });
  }
  return new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0);
}

/** The decoded form of one entry (see the module comment). */
export function recordOf(entry: ChangelogEntry): RecordInit {
  const { key } = entry;
  switch (entry.op) {
    case 'putCell':
      return { case: 'cell', value: cellOut(decodeCell(required(entry))) };
    case 'putSeam':
    case 'resolveSeam':
      return { case: 'seam', value: seamOut(decodeSeam(required(entry))) };
    case 'putFacet':
      return { case: 'facet',
        value: facetOut(decodeFacetKey(key).coord, decodeFacet(required(entry))) };
    case 'putEdge':
      return { case: 'edge', value: edgeOut(decodeEdge(required(entry))) };
    case 'deleteCell':
      return { case: 'deletedCell', value: coordOut(decodeCellKey(key)) };
    case 'deleteEdge': {
      const edge = decodeEdgeKey(key);
      return { case: 'deletedEdge', value: { fromCoord: coordOut(edge.from),
        toCoord: coordOut(edge.to), relationType: edge.relationType } };
    }
    case 'tagSnapshot':
      return { case: 'snapshotTag',
        value: { label: decodeSnapshotTagKey(key), taggedSeq: taggedSeq(entry) } };
    case 'deleteSnapshotTag':
      return { case: 'snapshotTag', value: { label: decodeSnapshotTagKey(key) } };
    case 'putEmbedding':
    case 'deleteEmbedding':
      return { case: 'embeddingCoord', value: coordOut(decodeEmbeddingKey(key)) };
    default:
      // A new engine op is a compile error here until it is mapped (and added to the proto).
      return assertNever(entry.op);
  }
}

/** One entry as a ChangeEvent. */
export function eventOf(entry: ChangelogEntry): EventInit {
  return {
    seq: entry.seq,
    committedAt: msOut(entry.timeMs),
    op: wireOp(entry.op),
    family: entry.family,
    key: entry.key,
    value: entry.value ?? new Uint8Array(0),
    record: recordOf(entry),
  };
}

/**
 * Rough encoded size of an event, for cutting pages below the message bound: the raw value goes
 * out twice (raw and decoded), plus the key and a fixed allowance for tags and small fields.
 */
export function eventBytesEstimate(entry: ChangelogEntry): number {
  return 2 * entry.key.length + 2 * (entry.value?.length ?? 0) + 96;
}
